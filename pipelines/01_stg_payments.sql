-- 01_stg_payments: parse and validate every spend row read, and say why a row is refused.
-- inputs : raw_spend (all files of this load, text as read; see 00a..00d), totals_lines
--          (00f, 00g), the macros of 00_ingest_macros
-- params : $date_formats (VARCHAR[], strptime formats tried in order, for the files whose
--          mappings declare formats: $declared_files, INTEGER[] of file_index),
--          $fallback_formats (VARCHAR[], the common day-first layouts: every date of the other
--          files, and a declared file's date those formats do not read in range),
--          $month_first_files (INTEGER[]: undeclared files whose values prove month first)
--          read with $month_first_formats (VARCHAR[]) instead, $date_readings (VARCHAR[] per
--          file in load order: how its dates were read, as the reasons say it),
--          $earliest_date, $latest_date (DATE: the payment dates allowed, from 1990 to the end
--          of the financial year after the current one),
--          $longest_text (characters: a longer payee, purpose, unit or id is a broken line),
--          $key_columns (VARCHAR[], per file in load order: the columns of its mapping's
--          declared unique key, as the reasons name them; '' when it declares none)
-- output : stg_payments (temporary); raw, the text of a refused row as read, is filled in
--          after it by 01_stg_payments_raw and 01_stg_payments_raw_csv
-- grain  : one row per raw_spend row (file_index, source_row; read_row numbers them in order)
-- units  : amount_pence integer pence, signed (NULL when the amount does not parse);
--          payment_date DATE; financial_year UK April-March, e.g. 2024-25; row_key a hash
-- A row is accepted when reason is NULL. Quarantined rows keep amount_pence when the amount
-- itself parsed, so read sum = accepted + quarantined pence. A repeated unique key (declared by
-- the mapping; a transaction id alone is not one, as the lines of an invoice share it): the
-- first in file order wins; later ones are quarantined naming the first. A row repeated in a
-- later file (the same date, amount, payee, purpose, unit and id: the files overlap) is
-- quarantined there naming the first; repeats within one file are separate payments.
-- row_key hashes those fields, normalised (dates and amounts as parsed), so placespend.ingest
-- can tell a re-saved copy of a whole file (queries/repeated_files.sql).
create or replace temp table stg_payments as
with

-- The mapped fields, trimmed as 00c and 00d appended them. Materialised once: raw_spend is a
-- view over the two readers' tables, and the steps below read it several times.
cleaned as materialized (
    select
        file_index,
        source_file,
        source_row,
        read_row,
        read_problem,
        repair_note,
        amount_text,
        transaction_id,
        date_clean,
        amount_clean,
        payee_clean,
        purpose,
        org_unit,
        capital_or_revenue,
        case when list_bool_or(list_transform(unique_key, lambda v: v is not null))
            then unique_key end as unique_key  -- a key of blanks identifies nothing
    from raw_spend
),

stated as (
    select
        *,
        ps_amount_problem(amount_clean) as amount_problem,
        cast(case
            when list_contains($month_first_files, file_index)
                then try_strptime(date_clean, $month_first_formats)
            when list_contains($declared_files, file_index)
                then try_strptime(date_clean, $date_formats)
            else try_strptime(date_clean, $fallback_formats)
        end as date) as stated_date
    from cleaned
),

-- A date a mapping's declared formats do not read into the allowed range is tried in the
-- common day-first layouts ($fallback_formats); date_by_fallback marks the rows read so (the
-- build notes how many, per file).
guessed as (
    select
        *,
        case when date_clean is not null and list_contains($declared_files, file_index)
                and (stated_date is null
                    or stated_date not between $earliest_date and $latest_date)
            then cast(try_strptime(date_clean, $fallback_formats) as date)
        end as fallback_date
    from stated
),

parsed as (
    select
        * exclude (stated_date, fallback_date),
        case when fallback_date between $earliest_date and $latest_date
            then fallback_date else stated_date end as payment_date,
        coalesce(fallback_date between $earliest_date and $latest_date, false)
            as date_by_fallback
    from guessed
),

-- Redaction and the matching key depend only on the payee (two regular expressions each):
-- work them out once per distinct payee, not once per line.
payees as (
    select
        payee_clean,
        ps_is_redacted(payee_clean) as payee_redacted,
        ps_payee_key(payee_clean) as payee_key
    from (select distinct payee_clean from cleaned where payee_clean is not null)
),

checked as (
    select
        *,
        case when amount_problem is null then ps_amount_pence_unchecked(amount_clean) end
            as amount_pence,
        case
            when date_clean is null then 'date is blank'
            when payment_date is null then format(
                'date ''{}'' is not a valid date {}', date_clean, $date_readings[file_index + 1])
            when payment_date not between $earliest_date and $latest_date then format(
                'date ''{}'' is outside the allowed range, {} to {} (1990 to the end of the '
                || 'next financial year); check the year',
                date_clean, strftime($earliest_date, '%d/%m/%Y'),
                strftime($latest_date, '%d/%m/%Y'))
        end as date_problem,
        date_clean is null and amount_clean is null and payee_clean is null
            and purpose is null and org_unit is null and transaction_id is null as is_empty,
        nullif(concat_ws('; ',
            case when length(payee_clean) > $longest_text then format(
                'payee is {:,} characters long (at most {:,})',
                length(payee_clean), $longest_text) end,
            case when length(purpose) > $longest_text then format(
                'purpose is {:,} characters long (at most {:,})',
                length(purpose), $longest_text) end,
            case when length(org_unit) > $longest_text then format(
                'organisational unit is {:,} characters long (at most {:,})',
                length(org_unit), $longest_text) end,
            case when length(transaction_id) > $longest_text then format(
                'transaction id is {:,} characters long (at most {:,})',
                length(transaction_id), $longest_text) end
        ), '') as length_problem
    from parsed
),

-- A repeated unique key: the first row in file order keeps it (aggregate, not a window: keys
-- are nearly all distinct, so only the few repeats go on to the join below; the cheap count
-- finds them, and only their rows are ranked).
repeated as (
    select unique_key
    from parsed
    where unique_key is not null
    group by unique_key
    having count(*) > 1
),

repeated_keys as (
    select
        unique_key,
        arg_min(source_file, read_row) as first_file,
        arg_min(source_row, read_row) as first_row,
        min(read_row) as first_read_row
    from parsed
    semi join repeated using (unique_key)
    group by unique_key
),

-- The row's mapped fields (and declared unique key), normalised, as one hashed key: dates and
-- amounts as parsed (so a copy re-saved with 1/6/2024 for 01/06/2024 or 1234.5 for 1,234.50
-- has the same keys), the text of those that do not parse.
keyed as (
    select
        *,
        hash(payment_date, case when payment_date is null then date_clean end,
             amount_pence, case when amount_pence is null then amount_clean end,
             payee_clean, purpose, org_unit, transaction_id, unique_key) as row_key
    from checked
),

-- Rows repeated across files: a key found in more than one file (nearly never, so only its
-- rows are ranked); the n-th row of a key in a file repeats the n-th of an earlier file.
shared_keys as (
    select row_key
    from keyed
    where read_problem is null and not is_empty
    group by row_key
    having min(file_index) < max(file_index)
),

shared_rows as (
    select
        read_row,
        file_index,
        source_file,
        source_row,
        row_key,
        {'date': payment_date, 'date_text': case when payment_date is null then date_clean end,
         'pence': amount_pence, 'amount_text': case when amount_pence is null then amount_clean end,
         'payee': payee_clean, 'purpose': purpose, 'org_unit': org_unit,
         'transaction_id': transaction_id} as fields_key,
        row_number() over (partition by row_key, file_index order by read_row) as occurrence
    from keyed
    semi join shared_keys using (row_key)
    where read_problem is null and not is_empty
),

repeats as (
    select
        later.read_row,
        arg_min(earlier.source_file, earlier.file_index) as first_file,
        arg_min(earlier.source_row, earlier.file_index) as first_row
    from shared_rows as later
    join shared_rows as earlier
        on later.row_key = earlier.row_key
        and later.occurrence = earlier.occurrence
        and earlier.file_index < later.file_index
        and later.fields_key is not distinct from earlier.fields_key
    group by later.read_row
),

-- Totals lines, labelled or not, wherever they sit (00f_totals_lines, 00g_totals_unlabelled).
totals as (
    select read_row, reason from totals_lines
),

reasons as (
    select
        c.*,
        case
            when c.read_problem is not null then c.read_problem
            when c.is_empty then 'no date, amount, payee or description: an empty line'
            else nullif(concat_ws('; ',
                t.reason,
                c.length_problem || ': a broken export or lines run together; check this row',
                c.amount_problem,
                c.date_problem,
                case when p.read_row is not null
                    then format(
                        'the same payment as {}, row {} (date, amount, payee, purpose, unit '
                        || 'and transaction id): the files overlap; load each period once',
                        p.first_file, p.first_row) end,
                case when c.read_row <> r.first_read_row and p.read_row is null
                    then format(
                        'duplicate unique key ({}) {}: first seen at {}, row {}',
                        $key_columns[c.file_index + 1],
                        array_to_string(list_transform(c.unique_key,
                            lambda v: coalesce('''' || v || '''', 'blank')), ', '),
                        r.first_file, r.first_row) end
            ), '')
        end as reason,
        p.first_file as repeats_file
    from keyed as c
    left join repeated_keys as r using (unique_key)
    left join totals as t using (read_row)
    left join repeats as p using (read_row)
),

final as (
    select
        r.file_index,
        r.source_file,
        r.source_row,
        r.read_row,
        r.transaction_id,
        r.payment_date,
        ps_financial_year(r.payment_date) as financial_year,
        case when y.payee_redacted then 'REDACTED' else r.payee_clean end as payee,
        case when y.payee_redacted then null else y.payee_key end as payee_key,
        coalesce(y.payee_redacted, false) as payee_redacted,
        r.purpose,
        r.org_unit,
        r.capital_or_revenue as capital_or_revenue_text,
        r.amount_text,
        r.amount_pence,
        r.reason,
        r.repair_note,
        r.row_key,
        r.repeats_file,
        case when r.date_by_fallback then r.date_clean end as fallback_date_text,
        cast(null as varchar) as raw  -- refused rows': 01_stg_payments_raw*
    from reasons as r
    left join payees as y using (payee_clean)
)

select * from final;
