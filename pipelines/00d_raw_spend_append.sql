-- 00d_raw_spend_append: pick the mapped columns out of the rows of one file read by the careful
-- Python reader (DuckDB's reader appends through 00c_raw_spend_append_csv instead).
-- inputs : raw_file (source_row = 1-based line in the file, ordinal = 0-based position, fields,
--          raw, read_problem, repair_note)
-- params : $file_index, $source_file, $delimiter; $rows_before (rows read from the load's
--          earlier files, so read_row runs on across files); $<field>_col = 1-based position
--          of the mapped column (NULL when the file has none); $<field>_const = constant used
--          when the column is absent (NULL otherwise); $unique_n = how many columns the
--          declared unique key has (0: none), $unique_1 .. $unique_4 their 1-based positions
-- output : rows appended to raw_careful (00a); the mapped fields trimmed here, as they are
--          copied (once, and not again by each step of 01_stg_payments that reads them)
-- grain  : one row per raw_file row
-- units  : all text; the mapped fields trimmed, NULL when blank
insert into raw_careful
select
    $file_index,
    $source_file,
    source_row,
    $rows_before + ordinal + 1,
    $delimiter,
    case when read_problem is null then fields[$amount_col] end,
    case when read_problem is null then ps_clean(fields[$transaction_id_col]) end,
    case when read_problem is null then ps_clean(fields[$date_col]) end,
    case when read_problem is null then ps_clean(fields[$amount_col]) end,
    case when read_problem is null then ps_clean(coalesce(fields[$payee_col], $payee_const)) end,
    case when read_problem is null
        then ps_clean(coalesce(fields[$purpose_col], $purpose_const)) end,
    case when read_problem is null
        then ps_clean(coalesce(fields[$org_unit_col], $org_unit_const)) end,
    case when read_problem is null then ps_clean(fields[$capital_or_revenue_col]) end,
    case when read_problem is null and $unique_n > 0
        then [ps_clean(fields[$unique_1]), ps_clean(fields[$unique_2]),
              ps_clean(fields[$unique_3]), ps_clean(fields[$unique_4])][1:$unique_n] end,
    fields,
    raw,
    read_problem,
    repair_note
from raw_file;
