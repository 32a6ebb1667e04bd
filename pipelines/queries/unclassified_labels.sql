-- unclassified_labels: the label combinations no catalogue rule matches, largest first,
-- so a council can see which rules to add.
-- inputs : spend_lines, payments
-- params : $limit
-- grain  : one row per (org_unit, purpose)
-- units  : gross_pence integer pence (absolute amounts); lines counts
select
    p.org_unit,
    p.purpose,
    count(*) as lines,
    sum(abs(p.amount_pence))::bigint as gross_pence
from spend_lines as s
inner join payments as p using (row_id)
where s.service_id = 'unclassified'
group by p.org_unit, p.purpose
order by gross_pence desc, p.org_unit, p.purpose
limit $limit
