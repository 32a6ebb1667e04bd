-- 01_stg_payments_raw: the raw text of each refused row that raw_spend holds it for: the text
-- the careful reader kept, or the row's fields written back as delimited text (rows of the
-- careful reader, and rows of DuckDB's reader with a blank date, which keep their fields).
-- inputs : stg_payments, raw_spend
-- output : stg_payments.raw set on those refused rows (the rest of DuckDB's rows:
--          01_stg_payments_raw_csv, from the file's kept rows)
-- grain  : one row per refused row
-- units  : text
update stg_payments as s
set raw = coalesce(w.raw, ps_fields_as_line(w.fields, w.delimiter))
from raw_spend as w
where s.reason is not null
    and s.read_row = w.read_row
    and (w.raw is not null or w.fields is not null);
