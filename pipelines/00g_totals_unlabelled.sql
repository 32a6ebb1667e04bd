-- 00g_totals_unlabelled: the unlabelled totals lines of this load, added to totals_lines.
-- inputs : raw_spend, totals_lines (the labelled ones, 00f), the macros of 00_ingest_macros
-- output : rows appended to totals_lines. Run only when the load has a row with an amount but
--          no payee and no purpose (placespend.ingest asks first): the candidates
-- grain  : one row per totals line (read_row)
-- units  : reason text; the sums compared are integer pence, signed
-- Unlabelled: no payee and no purpose, and an amount equal to the sum of at least two rows:
-- the rows above it (from the top of the file, or since the previous unnamed or labelled
-- row), or every other row of the file. The sums leave out labelled rows, and (in one
-- variant of each) the other unnamed rows, so a grand total after unlabelled subtotals is
-- found too; a row that adds up to nothing above it is a payment without a payee.
insert into totals_lines
with

read_rows as not materialized (
    select file_index, read_row, amount_clean, payee_clean, purpose
    from raw_spend
    where read_problem is null
),

-- Rows with no payee and no purpose but an amount: the candidates for an unlabelled total.
unnamed as (
    select file_index, read_row
    from read_rows
    anti join totals_lines using (read_row)
    where payee_clean is null and purpose is null and amount_clean is not null
),

-- Every row of the files that have candidates (nearly always none), with its pence (NULL when
-- the amount does not parse: the sums and counts below leave such rows out).
amounts as (
    select
        r.file_index,
        r.read_row,
        ps_amount_pence(r.amount_clean) as pence,
        r.payee_clean is null and r.purpose is null as is_unnamed,
        l.read_row is not null as is_label
    from read_rows as r
    semi join (select distinct file_index from unnamed) as f using (file_index)
    left join totals_lines as l using (read_row)
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
    where is_unnamed and not is_label and pence is not null
),

final as (
    select
        read_row,
        format('a totals line, not a payment (no payee or purpose, and its amount is {})',
               total_of) as reason
    from summed
    where total_of is not null
)

select * from final;
