-- 00c_raw_spend_append_csv: read one well-formed delimited file with DuckDB's CSV reader (the
-- fast path) and keep only what the later steps need: the mapped columns, trimmed, in one pass
-- over the file. The reader splits every field but only the mapped ones are kept: the fields of
-- a row with a blank date (a totals line may carry its label in any field) are added by
-- 00c_raw_fast_fields, and a refused row's raw text by 01_stg_payments_raw_csv, each from a
-- second read of the file (00b) that only a file with such rows needs.
-- inputs : the file at $path (registered by placespend.ingest; no paths in SQL);
--          raw_fast_files (its row for this file, which 00c_raw_fast_file added)
-- params : $path, $skip (lines before the first data row), $columns (struct name -> VARCHAR,
--          f000, f001, ... in file order), $delimiter;
--          $<field>_name = column of the mapped field (f000, f001, ...; NULL when the file has
--          none); $<field>_const = constant used when the column is absent; $unique_n = how
--          many columns the declared unique key has (0: none), $unique_1 .. $unique_4 their
--          column names
-- output : rows appended to raw_fast in file order (00a), fields NULL. Any line the reader refuses raises
--          an error, which sends the whole file to the careful Python reader instead
--          (collecting refused lines with store_rejects would cost time with the square of a
--          bad line's fields: minutes for one line of 100,000 delimiters); so does a file whose
--          rows do not line up with its lines (placespend.ingest checks after this step)
-- grain  : one row per data row
-- units  : all text; the mapped fields trimmed, NULL when blank
insert into raw_fast
select
    (select file_index from raw_fast_files where first_rowid is null),  -- the file being read
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
    null  -- fields: 00c_raw_fast_fields, for the rows with a blank date
from (
    select
        csv as record,  -- the row as a struct: a field by its name, without copying
        ps_clean(csv[$date_name]) as date_clean
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
    ) as csv
);
