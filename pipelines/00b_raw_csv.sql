-- 00b_raw_csv: read one well-formed delimited file with DuckDB's CSV reader (the fast path).
-- inputs : the file at $path (registered by placespend.ingest; no paths in SQL)
-- params : $path, $skip (lines before the first data row), $columns (struct name -> VARCHAR,
--          f000, f001, ... in file order), $delimiter
-- output : raw_csv (temporary), rows in file order; lines the reader refuses go to the
--          temporary tables ps_csv_rejects / ps_csv_reject_scans and send the file to the
--          careful Python reader instead
-- grain  : one row per data row
-- units  : all text
create or replace temp table raw_csv as
select *
from read_csv(
    $path,
    header = false,
    skip = $skip,
    columns = $columns,
    delim = $delimiter,
    quote = '"',
    escape = '"',
    auto_detect = false,
    strict_mode = true,
    store_rejects = true,
    rejects_table = 'ps_csv_rejects',
    rejects_scan = 'ps_csv_reject_scans'
);
