-- 00f_totals_lines: the labelled totals lines of this load ("Total", "Grand total", ...).
-- inputs : raw_spend (every row read; see 00a..00d), the macros of 00_ingest_macros
-- output : totals_lines (temporary), read by 01_stg_payments; 00g adds the unlabelled ones
-- grain  : one row per totals line (read_row)
-- units  : reason text
-- A totals line sits anywhere in a file, with or without a date. Labelled: a mapped field
-- (payee, purpose, unit, transaction id, date) is, as a whole, a totals label such as "Total",
-- "Grand total", "Sub-total" or "TOTAL SPEND" (macro ps_is_total_label); when the date is
-- blank, any field of the row may hold the label. A supplier whose name only starts with
-- "Total" ("Total Gas & Power Ltd") is a payment like any other.
create or replace temp table totals_lines as
with

read_rows as not materialized (
    select
        file_index,
        read_row,
        date_clean,
        payee_clean,
        purpose,
        org_unit,
        transaction_id,
        fields
    from raw_spend
    where read_problem is null
),

labels as (
    select
        file_index,
        read_row,
        case
            when ps_is_total_label(payee_clean) then format('''{}'' as the payee', payee_clean)
            when ps_is_total_label(purpose) then format('''{}'' as the purpose', purpose)
            when ps_is_total_label(org_unit)
                then format('''{}'' as the organisational unit', org_unit)
            when ps_is_total_label(transaction_id)
                then format('''{}'' as the transaction id', transaction_id)
            when ps_is_total_label(date_clean) then format('''{}'' as the date', date_clean)
            when date_clean is null then format('''{}'' in a field, and no date', ps_trim(
                list_filter(fields, lambda f: ps_is_total_label(f))[1]))
        end as label
    from read_rows
    where ps_is_total_label(payee_clean)
        or ps_is_total_label(purpose)
        or ps_is_total_label(org_unit)
        or ps_is_total_label(transaction_id)
        or ps_is_total_label(date_clean)
        or (date_clean is null and list_bool_or(
            list_transform(fields, lambda f: ps_is_total_label(f))))
),

final as (
    select read_row, format('a totals line, not a payment ({})', label) as reason
    from labels
)

select * from final;
