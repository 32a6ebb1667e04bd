-- date_orders: what the date values of each file say about their order, before any is parsed.
-- inputs : raw_spend (00a..00d)
-- grain  : one row per file with a date, by file_index
-- units  : counts of rows; each example is the first such value in file order, with its line
-- A numeric date d1/d2/year (any of / - . between) with d1 above 12 can only be day first; with
-- d2 above 12 only month first. A two-digit year (02/08/22, 02-Aug-22) is counted apart: the
-- reading of its century is stated in the build notes.
with

parts as (
    select
        file_index,
        source_row,
        read_row,
        date_clean,
        try_cast(regexp_extract(date_clean, '^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b', 1) as int)
            as d1,
        try_cast(regexp_extract(date_clean, '^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b', 2) as int)
            as d2,
        regexp_matches(date_clean, '^\d{1,2}[/.-](\d{1,2}|[A-Za-z]{3,9})[/.-]\d{2}(\s|$)')
            as two_digit_year
    from raw_spend
    where date_clean is not null
),

final as (
    select
        file_index,
        count(*) filter (where d1 > 12 and d2 between 1 and 12) as day_first_only,
        arg_min(date_clean, read_row) filter (where d1 > 12 and d2 between 1 and 12)
            as day_first_example,
        arg_min(source_row, read_row) filter (where d1 > 12 and d2 between 1 and 12)
            as day_first_line,
        count(*) filter (where d2 > 12 and d1 between 1 and 12) as month_first_only,
        arg_min(date_clean, read_row) filter (where d2 > 12 and d1 between 1 and 12)
            as month_first_example,
        arg_min(source_row, read_row) filter (where d2 > 12 and d1 between 1 and 12)
            as month_first_line,
        count(*) filter (where two_digit_year) as two_digit_years,
        arg_min(date_clean, read_row) filter (where two_digit_year) as two_digit_example
    from parts
    group by file_index
)

select * from final order by file_index
