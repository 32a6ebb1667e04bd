-- capital_unread: capital/revenue values a spend file gave that read as neither.
-- inputs : spend_lines, payments
-- grain  : one row per (source_file, value)
-- units  : amount_pence integer pence; n_lines payment lines
-- Those lines are kept and take capital or revenue from the catalogue's rules, as a blank would.
select
    p.source_file,
    l.capital_or_revenue_unread as value,
    count(*) as n_lines,
    sum(l.amount_pence)::bigint as amount_pence,
    min(p.source_row) as first_row
from spend_lines as l
inner join payments as p using (row_id)
where l.capital_or_revenue_unread is not null
group by all
order by n_lines desc, source_file, value
