-- dates_by_fallback: dates the mapping's formats did not read into the allowed range and that
-- 01_stg_payments read in a common day-first layout instead, counted per file for the summary.
-- inputs : stg_payments
-- grain  : one row per file with such dates, in load order
select
    source_file,
    count(*) as n_rows,
    arg_min(fallback_date_text, read_row) as example
from stg_payments
where fallback_date_text is not null
group by source_file
order by min(read_row)
