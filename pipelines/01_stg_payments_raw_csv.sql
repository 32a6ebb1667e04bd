-- 01_stg_payments_raw_csv: the raw text of one fast-path file's refused rows, written back as
-- delimited text from the fields DuckDB's reader split (00c kept no fields for most rows;
-- 01_stg_payments_raw has done the rest).
-- inputs : stg_payments, raw_csv (that file's rows, kept by placespend.ingest for this step)
-- params : $rows_before (rows read from the load's earlier files), $delimiter
-- output : stg_payments.raw set on the file's refused rows
-- grain  : one row per refused row of the file
-- units  : text
update stg_payments as s
set raw = r.raw
from (
    select
        $rows_before + rowid + 1 as read_row,
        ps_fields_as_line(list_value(*columns(*)), $delimiter) as raw
    from raw_csv
    where $rows_before + rowid + 1 in (
        select read_row from stg_payments where reason is not null and raw is null
    )
) as r
where s.read_row = r.read_row;
