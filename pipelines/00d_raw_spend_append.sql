-- 00d_raw_spend_append: pick the mapped columns out of one file's rows.
-- inputs : raw_file (one file: source_row, ordinal, fields, raw, read_problem, repair_note; from
--          00c_raw_file_from_csv or the Python reader)
-- params : $file_index, $source_file, $delimiter; $rows_before (rows read from the load's
--          earlier files, so read_row runs on across files); $row_offset (added to raw_file.source_row
--          to give the 1-based line in the file: 0 from the Python reader, which numbers
--          lines itself); $<field>_col = 1-based position of the
--          mapped column (NULL when the file has none); $<field>_const = constant used when
--          the column is absent (NULL otherwise)
-- output : rows appended to raw_spend; the mapped fields trimmed here, as they are copied (once,
--          and not again by each step of 01_stg_payments that reads them)
-- grain  : one row per raw_file row
-- units  : all text, as read
insert into raw_spend
select
    $file_index,
    $source_file,
    source_row + $row_offset,
    $rows_before + ordinal + 1,
    $delimiter,
    case when read_problem is null then fields[$amount_col] end,
    case when read_problem is null then nullif(ps_trim(fields[$transaction_id_col]), '') end,
    case when read_problem is null then nullif(ps_trim(fields[$date_col]), '') end,
    case when read_problem is null then nullif(ps_trim(fields[$amount_col]), '') end,
    case when read_problem is null
        then nullif(ps_trim(coalesce(fields[$payee_col], $payee_const)), '') end,
    case when read_problem is null
        then nullif(ps_trim(coalesce(fields[$purpose_col], $purpose_const)), '') end,
    case when read_problem is null
        then nullif(ps_trim(coalesce(fields[$org_unit_col], $org_unit_const)), '') end,
    fields,
    raw,
    read_problem,
    repair_note
from raw_file;
