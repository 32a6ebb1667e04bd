-- compare_groups: the apportioned spend of a built store as (service x month x scope) totals,
-- the input the allocation comparison shares out with placespend, tobler and a pandas loop.
-- inputs : spend_lines, payments (a complete store)
-- output : a result set, one row per (service_id, month, scope_type, scope_code)
-- units  : total_pence integer pence (signed); month 'YYYY-MM'
select
    row_number() over (order by l.service_id, month, l.scope_type, l.scope_code) as group_id,
    l.service_id,
    strftime(p.payment_date, '%Y-%m') as month,
    l.scope_type,
    l.scope_code,
    sum(l.amount_pence)::bigint as total_pence,
    count(*) as n_lines
from spend_lines as l
inner join payments as p using (row_id)
where l.basis = 'apportioned'
group by l.service_id, month, l.scope_type, l.scope_code
order by group_id
