-- 00c_raw_file_from_csv: present the fast-path rows in the shape 00d_raw_spend_append reads.
-- inputs : raw_csv (one file, rows in file order, no refused lines, no multi-line fields:
--          placespend.ingest checks both before running this step)
-- output : raw_file (temporary view): source_row (0-based row number here; 00d adds the
--          line offset), ordinal (0-based position in the file), fields, raw, read_problem,
--          repair_note
-- grain  : one row per data row
-- units  : all text
-- A view, so the fields list is built once, while 00d copies the rows into raw_spend.
create or replace temp view raw_file as
select
    rowid as source_row,
    rowid as ordinal,
    list_value(*columns(*)) as fields,
    cast(null as varchar) as raw,
    cast(null as varchar) as read_problem,
    cast(null as varchar) as repair_note
from raw_csv;
