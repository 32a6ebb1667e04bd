-- 00c_raw_file_from_csv: number the fast-path rows by their line in the file.
-- inputs : raw_csv (one file, rows in file order, no refused lines, no multi-line fields:
--          placespend.ingest checks both before running this step)
-- params : $first_data_line (1-based line number of the first data row)
-- output : raw_file (temporary): source_row, fields, raw, read_problem, repair_note
-- grain  : one row per data row
-- units  : all text
create or replace temp table raw_file as
select
    rowid + $first_data_line as source_row,
    list_value(*columns(*)) as fields,
    cast(null as varchar) as raw,
    cast(null as varchar) as read_problem,
    cast(null as varchar) as repair_note
from raw_csv;
