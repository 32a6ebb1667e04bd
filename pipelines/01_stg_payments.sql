-- 01_stg_payments: parse and validate every spend row read, and say why a row is refused.
-- inputs : raw_spend (all files of this load, text as read; see 00a..00d), the macros of
--          00_ingest_macros
-- params : $date_formats (VARCHAR[], strptime formats tried in order),
--          $earliest_year, $latest_year (plausible payment years)
-- output : stg_payments (temporary)
-- grain  : one row per raw_spend row (file_index, source_row)
-- units  : amount_pence integer pence, signed (NULL when the amount does not parse);
--          payment_date DATE; financial_year UK April-March, e.g. 2024-25
-- A row is accepted when reason is NULL. Quarantined rows keep amount_pence when the amount
-- itself parsed, so read sum = accepted + quarantined pence. Duplicate transaction ids: the
-- first in file order wins; later ones are quarantined naming the first.
create or replace temp table stg_payments as
with

raw as (
    select * from raw_spend
),

cleaned as (
    select
        file_index,
        source_file,
        source_row,
        delimiter,
        fields,
        raw,
        read_problem,
        repair_note,
        amount_text,
        nullif(ps_trim(transaction_id_text), '') as transaction_id,
        nullif(ps_trim(date_text), '') as date_clean,
        nullif(ps_trim(amount_text), '') as amount_clean,
        nullif(ps_trim(payee_text), '') as payee_clean,
        nullif(ps_trim(purpose_text), '') as purpose,
        nullif(ps_trim(org_unit_text), '') as org_unit
    from raw
),

parsed as (
    select
        *,
        ps_amount_problem(amount_clean) as amount_problem,
        cast(try_strptime(date_clean, $date_formats) as date) as payment_date,
        ps_is_redacted(payee_clean) as payee_redacted
    from cleaned
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
        case
            when date_clean is null then list_has_any(
                list_transform(fields, lambda f: lower(ps_trim(coalesce(f, '')))),
                ['total', 'totals', 'grand total', 'sub total', 'subtotal'])
            else false
        end as is_total,
        case when transaction_id is not null then row_number() over by_id end as id_rank,
        case when transaction_id is not null then first_value(source_file) over by_id end
            as first_file,
        case when transaction_id is not null then first_value(source_row) over by_id end
            as first_row
    from parsed
    window by_id as (partition by transaction_id order by file_index, source_row)
),

reasons as (
    select
        *,
        case
            when read_problem is not null then read_problem
            when is_empty then 'no date, amount, payee or description: an empty line'
            else nullif(concat_ws('; ',
                case when is_total then 'a totals line, not a payment' end,
                amount_problem,
                date_problem,
                case when id_rank > 1 then format(
                    'duplicate transaction id ''{}'': first seen at {}, row {}',
                    transaction_id, first_file, first_row) end
            ), '')
        end as reason
    from checked
),

final as (
    select
        file_index,
        source_file,
        source_row,
        transaction_id,
        payment_date,
        ps_financial_year(payment_date) as financial_year,
        case when payee_redacted then 'REDACTED' else payee_clean end as payee,
        case when payee_redacted then null else ps_payee_key(payee_clean) end as payee_key,
        payee_redacted,
        purpose,
        org_unit,
        amount_text,
        amount_pence,
        reason,
        repair_note,
        case
            when reason is null then null
            when raw is not null then raw
            else list_reduce(
                list_transform(fields, lambda f: case
                    when contains(coalesce(f, ''), delimiter) or contains(coalesce(f, ''), '"')
                        then '"' || replace(f, '"', '""') || '"'
                    else coalesce(f, '')
                end),
                lambda acc, f: acc || delimiter || f)
        end as raw
    from reasons
)

select * from final
order by file_index, source_row;
