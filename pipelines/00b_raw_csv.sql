-- 00b_raw_csv: read again, every field as text, a file 00c_raw_spend_append_csv read (rare).
--          Only for a file some of whose rows were refused: 01_stg_payments_raw_csv writes
--          their raw text back from these fields. A clean file is read once.
-- inputs : the file at $path (registered by placespend.ingest; no paths in SQL)
-- params : $path, $skip (lines before the first data row), $columns (struct name -> VARCHAR,
--          f000, f001, ... in file order), $delimiter
-- output : raw_csv (temporary), rows in file order (placespend.ingest checks they are as many
--          as the first read found)
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
    strict_mode = true
);
