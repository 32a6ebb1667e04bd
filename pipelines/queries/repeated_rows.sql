-- repeated_rows: rows of one file that are the same payments as rows of an earlier file of the
-- load (quarantined by 01_stg_payments), counted per pair of files for the build summary.
-- inputs : stg_payments
-- grain  : one row per (later file, earlier file) sharing rows, in load order
-- units  : pence integer pence, signed
select
    source_file,
    repeats_file,
    count(*) as n_rows,
    cast(coalesce(sum(amount_pence), 0) as bigint) as pence
from stg_payments
where repeats_file is not null
group by source_file, repeats_file
order by min(read_row)
