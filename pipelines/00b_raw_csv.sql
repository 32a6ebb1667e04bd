-- 00b_raw_csv: read one well-formed delimited file with DuckDB's CSV reader (the fast path).
-- inputs : the file at $path (registered by placespend.ingest; no paths in SQL)
-- params : $path, $skip (lines before the first data row), $columns (struct name -> VARCHAR,
--          f000, f001, ... in file order), $delimiter
-- output : raw_csv (temporary), rows in file order. Any line the reader refuses raises an
--          error, which sends the whole file to the careful Python reader instead (collecting
--          refused lines with store_rejects would cost time with the square of a bad line's
--          fields: minutes for one line of 100,000 delimiters)
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
