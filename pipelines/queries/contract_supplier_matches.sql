-- contract_supplier_matches: payee names matched to a contract's supplier other than by
-- their key, with how and the score, and the lines and pounds paid to the payee.
-- inputs : supplier_matches, payments
-- params : $limit
-- grain  : one row per (payee_key, supplier_key) matched by 'normalised' or 'near'
-- units  : pence integer pence; score 0-100
with

paid as (
    select payee_key, count(*) as lines, sum(amount_pence) as pence
    from payments
    group by payee_key
)

select m.payee, m.supplier, m.match, m.score, p.lines, p.pence
from supplier_matches as m
left join paid as p using (payee_key)
where m.match <> 'exact'
order by m.match = 'near' desc, m.score, m.payee
limit $limit
