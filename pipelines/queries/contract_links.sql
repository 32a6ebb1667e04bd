-- contract_links: payment lines placed by a contract, by how the supplier matched.
-- inputs : linked, payments
-- grain  : one row per supplier_match ('exact', 'normalised', 'near')
-- units  : pence integer pence
select l.supplier_match, count(*) as lines, sum(p.amount_pence) as pence
from linked as l
inner join payments as p using (row_id)
where l.link_status = 'contract'
group by l.supplier_match
order by l.supplier_match
