-- 01d_ingest_check: recount each file from the raw rows the readers left, so placespend.ingest
-- can prove the staging lost nothing between reading and the summary (the summary against
-- payments and spend_quarantine is the declared check checks/files_conserved.sql).
-- inputs : raw_read_totals (counted from raw_spend by 00e), ingest_summary
-- output : a result set (no table), one row per source file
-- grain  : one row per source file
-- units  : *_pence integer pence, signed; rows are counts
select
    s.source_file,
    coalesce(r.raw_rows, 0) as raw_rows,
    cast(coalesce(r.read_pence, 0) as bigint) as read_pence,
    s.rows_read,
    s.accepted_pence,
    s.quarantined_pence
from ingest_summary as s
left join raw_read_totals as r using (source_file);
