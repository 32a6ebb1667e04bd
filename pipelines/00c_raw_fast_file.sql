-- 00c_raw_fast_file: a file about to be read by DuckDB's reader, so raw_spend numbers its rows.
-- inputs : none
-- params : $file_index, $source_file, $delimiter, $row_offset (lines before the first data row,
--          plus one), $rows_before (rows read from the load's earlier files)
-- output : one row appended to raw_fast_files (00a), first_rowid NULL until the file's rows are
--          in raw_fast (00c_raw_spend_append_csv appends them under this file_index; then
--          placespend.ingest sets first_rowid, or removes the row if the fast reader gave up)
-- grain  : one row per file read by DuckDB's reader
-- units  : rowids and row counts
insert into raw_fast_files
values ($file_index, $source_file, $delimiter, null, $row_offset, $rows_before)
