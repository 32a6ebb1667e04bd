-- 01a_payments: the accepted spend lines.
-- inputs : stg_payments
-- output : payments (contract in docs/ARCHITECTURE.md)
-- grain  : one row per accepted payment line; row_id unique across all files of the load: the
--          line's place among every row read (read_row), so ids run in file and line order,
--          with gaps where rows were quarantined. Numbered as read, so the load is never
--          sorted: rows are stored in no particular order (order by row_id to read them in order)
-- units  : amount_pence integer pence, signed; capital_or_revenue_text as the file says it
--          (mapped column `capital_or_revenue`; NULL when unmapped or blank)
create or replace table payments as
with

accepted as (
    select * from stg_payments where reason is null
),

final as (
    select
        read_row as row_id,
        source_file,
        source_row,
        transaction_id,
        payment_date,
        financial_year,
        payee,
        payee_key,
        payee_redacted,
        purpose,
        org_unit,
        capital_or_revenue_text,
        amount_pence
    from accepted
)

select * from final;
