-- 01b_spend_quarantine: the refused spend rows, each with its reason and the row as read.
-- inputs : stg_payments
-- output : spend_quarantine (contract in docs/ARCHITECTURE.md)
-- grain  : one row per refused row (source_file, source_row)
-- units  : amount_pence integer pence, signed; NULL when the amount itself did not parse
create or replace table spend_quarantine as
with

refused as (
    select * from stg_payments where reason is not null
),

final as (
    select
        source_file,
        source_row,
        reason,
        amount_text,
        amount_pence,
        raw
    from refused
    order by file_index, source_row
)

select * from final;
