-- 01_stg_payments: parse and validate every spend row read, and say why a row is refused.
-- inputs : raw_spend (all files of this load, text as read; see 00a..00d), the macros of
--          00_ingest_macros
-- params : $date_formats (VARCHAR[], strptime formats tried in order),
--          $earliest_year, $latest_year (plausible payment years),
--          $longest_text (characters: a longer payee, purpose, unit or id is a broken line)
-- output : stg_payments (temporary); raw, the text of a refused row as read, is filled in
--          after it by 01_stg_payments_raw and 01_stg_payments_raw_csv
-- grain  : one row per raw_spend row (file_index, source_row; read_row numbers them in order)
-- units  : amount_pence integer pence, signed (NULL when the amount does not parse);
--          payment_date DATE; financial_year UK April-March, e.g. 2024-25
-- A row is accepted when reason is NULL. Quarantined rows keep amount_pence when the amount
-- itself parsed, so read sum = accepted + quarantined pence. Duplicate transaction ids: the
-- first in file order wins; later ones are quarantined naming the first.
create or replace temp table stg_payments as
with

-- The mapped fields, trimmed as 00d_raw_spend_append copied them.
cleaned as not materialized (
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
        org_unit
    from raw_spend
),

parsed as (
    select
        *,
        ps_amount_problem(amount_clean) as amount_problem,
        cast(try_strptime(date_clean, $date_formats) as date) as payment_date
    from cleaned
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
                'date ''{}'' is not a valid date in format {}',
                date_clean, array_to_string($date_formats, ' or '))
            when year(payment_date) not between $earliest_year and $latest_year then format(
                'date ''{}'' is outside {}-{}', date_clean, $earliest_year, $latest_year)
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

-- A repeated transaction id: the first row in file order keeps it (aggregate, not a window:
-- ids are nearly all distinct, so only the few repeats go on to the join below; the cheap
-- count finds them, and only their rows are ranked).
repeated as (
    select transaction_id
    from parsed
    where transaction_id is not null
    group by transaction_id
    having count(*) > 1
),

repeated_ids as (
    select
        transaction_id,
        arg_min(source_file, read_row) as first_file,
        arg_min(source_row, read_row) as first_row,
        min(read_row) as first_read_row
    from parsed
    semi join repeated using (transaction_id)
    group by transaction_id
),

-- Totals lines ("Total", "Grand total" in any column) have no date; look only at those rows.
totals as (
    select read_row
    from raw_spend
    where date_clean is null
        and list_has_any(
            list_transform(fields, lambda f: lower(ps_trim(coalesce(f, '')))),
            ['total', 'totals', 'grand total', 'sub total', 'subtotal'])
),

reasons as (
    select
        c.*,
        case
            when c.read_problem is not null then c.read_problem
            when c.is_empty then 'no date, amount, payee or description: an empty line'
            else nullif(concat_ws('; ',
                case when t.read_row is not null then 'a totals line, not a payment' end,
                c.length_problem || ': a broken export or lines run together; check this row',
                c.amount_problem,
                c.date_problem,
                case when c.read_row <> r.first_read_row
                    then format(
                        'duplicate transaction id ''{}'': first seen at {}, row {}',
                        c.transaction_id, r.first_file, r.first_row) end
            ), '')
        end as reason
    from checked as c
    left join repeated_ids as r using (transaction_id)
    left join totals as t using (read_row)
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
        r.amount_text,
        r.amount_pence,
        r.reason,
        r.repair_note,
        cast(null as varchar) as raw  -- refused rows': 01_stg_payments_raw*
    from reasons as r
    left join payees as y using (payee_clean)
)

select * from final;
