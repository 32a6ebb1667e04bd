-- 00c_raw_fast_fields: every field of a DuckDB-read file's rows whose date is blank, the
-- candidates for a totals line whose label may sit in any field (00f_totals_lines): such rows
-- are copied to raw_careful with their fields (placespend.ingest then deletes them from
-- raw_fast, so raw_spend still holds each row once).
-- inputs : raw_spend, raw_fast_files (00a, 00c), raw_csv (the file read again, every field as
--          text, by 00b_raw_csv: placespend.ingest reads it only for a file with such rows)
-- params : $file_index
-- output : rows appended to raw_careful, numbered as raw_spend numbered them
-- grain  : one row per such row
-- units  : text, every field of the row in file order
insert into raw_careful
select s.* replace (c.fields as fields)
from raw_spend as s
inner join raw_fast_files as f using (file_index)
inner join (
    select rowid as ordinal, list_value(*columns(*)) as fields
    from raw_csv
) as c on s.source_row - f.row_offset = c.ordinal
where s.file_index = $file_index
    and s.date_clean is null
