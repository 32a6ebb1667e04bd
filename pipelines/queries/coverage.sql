-- coverage: how much of the accepted spend the catalogue's rules classify.
-- inputs : spend_lines
-- grain  : one row
-- units  : *_pence integer pence; lines counts
select
    count(*) as lines,
    count(*) filter (where service_id <> 'unclassified') as classified_lines,
    coalesce(sum(abs(amount_pence)), 0)::bigint as gross_pence,
    coalesce(sum(abs(amount_pence)) filter (where service_id <> 'unclassified'), 0)::bigint
        as classified_gross_pence
from spend_lines
