-- 00f_totals_lines: the rows of this load that are totals lines, not payments, and why.
-- inputs : raw_spend (every row read; see 00a..00d), the macros of 00_ingest_macros
-- output : totals_lines (temporary), read by 01_stg_payments
-- grain  : one row per totals line (read_row)
-- units  : reason text; the sums compared are integer pence, signed
-- A totals line sits anywhere in a file, with or without a date, and is one of:
--   labelled: a mapped field (payee, purpose, unit, transaction id, date) is, as a whole, a
--     totals label such as "Total", "Grand total", "Sub-total" or "TOTAL SPEND" (macro
--     ps_is_total_label); when the date is blank, any field of the row may hold the label;
--   unlabelled: no payee and no purpose, and an amount equal to the sum of at least two rows:
--     the rows above it (from the top of the file, or since the previous totals line or
--     unnamed row), or every other row of the file.
-- The sums leave out labelled rows, and (in one variant of each) the other unnamed rows, so a
-- grand total after unlabelled subtotals is found too. A supplier whose name only starts with
-- "Total" ("Total Gas & Power Ltd") is a payment like any other.
create or replace temp table totals_lines as
with

read_rows as not materialized (
    select
        file_index,
        read_row,
        date_clean,
        amount_clean,
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

-- Rows with no payee and no purpose but an amount: the candidates for an unlabelled total.
unnamed as (
    select file_index, read_row
    from read_rows
    anti join labels using (read_row)
    where payee_clean is null and purpose is null and ps_amount_problem(amount_clean) is null
),

-- Every row with an amount, of the files that have candidates (nearly always none).
amounts as (
    select
        r.file_index,
        r.read_row,
        ps_amount_pence(r.amount_clean) as pence,
        r.payee_clean is null and r.purpose is null as is_unnamed,
        l.read_row is not null as is_label
    from read_rows as r
    semi join (select distinct file_index from unnamed) as f using (file_index)
    left join labels as l using (read_row)
    where l.read_row is not null or ps_amount_problem(r.amount_clean) is null
),

running as (
    select
        *,
        coalesce(sum(pence) filter (where not is_label) over above, 0) as all_above,
        count(pence) filter (where not is_label) over above as all_above_rows,
        coalesce(sum(pence) filter (where not is_label and not is_unnamed) over above, 0)
            as named_above,
        count(pence) filter (where not is_label and not is_unnamed) over above
            as named_above_rows,
        coalesce(sum(pence) filter (where not is_label) over whole, 0) as all_file,
        count(pence) filter (where not is_label) over whole as all_file_rows,
        coalesce(sum(pence) filter (where not is_label and not is_unnamed) over whole, 0)
            as named_file,
        count(pence) filter (where not is_label and not is_unnamed) over whole
            as named_file_rows
    from amounts
    window
        above as (partition by file_index order by read_row
                  rows between unbounded preceding and 1 preceding),
        whole as (partition by file_index)
),

-- The named rows since the previous unnamed or labelled row (a section's subtotal).
sections as (
    select
        *,
        named_above - coalesce(lag(named_above) over byrow, 0) as section,
        named_above_rows - coalesce(lag(named_above_rows) over byrow, 0) as section_rows
    from running
    where is_unnamed or is_label
    window byrow as (partition by file_index order by read_row)
),

summed as (
    select
        read_row,
        case
            when pence = named_above and named_above_rows >= 2
                then format('the sum of the {} rows above it', named_above_rows)
            when pence = all_above and all_above_rows >= 2
                then format('the sum of the {} rows above it', all_above_rows)
            when pence = section and section_rows >= 2
                then format('the sum of the {} rows above it since the last unnamed line',
                            section_rows)
            when pence = named_file and named_file_rows >= 2
                then format('the sum of the file''s {} other rows', named_file_rows)
            when pence = all_file - pence and all_file_rows - 1 >= 2
                then format('the sum of the file''s {} other rows', all_file_rows - 1)
        end as total_of
    from sections
    where is_unnamed and not is_label
),

final as (
    select read_row, format('a totals line, not a payment ({})', label) as reason
    from labels
    union all
    select
        read_row,
        format('a totals line, not a payment (no payee or purpose, and its amount is {})',
               total_of) as reason
    from summed
    where total_of is not null
)

select * from final;
