-- 00e_raw_read_totals: each file's rows and pence as read, counted straight from the raw text
-- before any validation, so 01d_ingest_check can prove nothing was lost or counted twice after
-- raw_spend itself is dropped (it is the biggest table of a load: dropping it as soon as
-- 01_stg_payments has read it keeps a large load within the build's memory).
-- inputs : raw_spend, the macros of 00_ingest_macros
-- output : raw_read_totals (temporary)
-- grain  : one row per source file
-- units  : read_pence integer pence, signed
create or replace temp table raw_read_totals as
select
    source_file,
    count(*) as raw_rows,
    coalesce(sum(case when read_problem is null then ps_amount_pence(amount_text) end), 0)
        as read_pence
from raw_spend
group by source_file;
