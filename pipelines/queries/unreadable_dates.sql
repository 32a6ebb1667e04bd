-- unreadable_dates: files none of whose dates could be read, nor even has the shape of a date
-- layout tried, with the first one and its line.
-- inputs : raw_spend (00a..00d), stg_payments (01_stg_payments), both by read_row
-- params : $date_shape (a regular expression: every layout tried, as placespend._parse
--          date_pattern writes it)
-- grain  : one row per such file, in load order
-- A file where some dates read, or are impossible dates of a known layout (31/02/2024), is a
-- file with bad rows (quarantined, each with its reason); one where none has a known shape has
-- its date column, or its format, wrong in the mapping.
select
    r.file_index,
    count(*) as n_dates,
    arg_min(r.date_clean, r.read_row) as example,
    arg_min(r.source_row, r.read_row) as example_line
from raw_spend as r
join stg_payments as s using (read_row)
where r.date_clean is not null
group by r.file_index
having count(s.payment_date) = 0
    and count(*) filter (where regexp_full_match(r.date_clean, $date_shape)) = 0
order by r.file_index
