-- 00c_raw_spend_append_csv: the fast path's counterpart of 00d_raw_spend_append: pick the
-- mapped columns straight out of raw_csv, by name, without first gathering each row's fields
-- into a list (which cost more than the picks, and doubled the memory of a large file).
-- inputs : raw_csv (one file, rows in file order, no refused lines, no multi-line fields:
--          placespend.ingest checks both before running this step)
-- params : $file_index, $source_file, $delimiter; $rows_before (rows read from the load's
--          earlier files); $row_offset (lines before the first data row, plus one);
--          $<field>_name = raw_csv column of the mapped field (f000, f001, ...; NULL when the
--          file has none); $<field>_const = constant used when the column is absent;
--          $unique_n = how many columns the declared unique key has (0: none), $unique_1 ..
--          $unique_4 their raw_csv names
-- output : rows appended to raw_spend. fields is kept only for rows with a blank date (the
--          candidates for a totals line); 01_stg_payments_raw_csv writes the raw text of the
--          file's refused rows back from raw_csv, which placespend.ingest keeps until then
-- grain  : one row per raw_csv row
-- units  : all text; the mapped fields trimmed, NULL when blank
insert into raw_spend
select
    $file_index,
    $source_file,
    ordinal + $row_offset,
    $rows_before + ordinal + 1,
    $delimiter,
    record[$amount_name],
    ps_clean(record[$transaction_id_name]),
    date_clean,
    ps_clean(record[$amount_name]),
    ps_clean(coalesce(record[$payee_name], $payee_const)),
    ps_clean(coalesce(record[$purpose_name], $purpose_const)),
    ps_clean(coalesce(record[$org_unit_name], $org_unit_const)),
    ps_clean(record[$capital_or_revenue_name]),
    case when $unique_n > 0
        then [ps_clean(record[$unique_1]), ps_clean(record[$unique_2]),
              ps_clean(record[$unique_3]), ps_clean(record[$unique_4])][1:$unique_n] end,
    case when blank_date then list_value(*columns('^f[0-9]+$')) end,
    null,
    null,
    null
from (
    select
        rowid as ordinal,
        raw_csv as record,  -- the row as a struct: a field by its name, without copying
        ps_clean(raw_csv[$date_name]) as date_clean,
        date_clean is null as blank_date,  -- *COLUMNS cannot sit beside IS NULL
        *
    from raw_csv
);
