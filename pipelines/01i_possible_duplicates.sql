-- 01i_possible_duplicates: accepted lines that repeat every mapped field of an earlier line of
-- the same file (date, amount, payee, purpose, unit and transaction id): kept, as a council can
-- pay one supplier the same sum twice in a day (two invoices of one amount), but listed so a
-- person can check, never silently. A repeat of a declared unique key, or of a row of an
-- earlier file, was quarantined by 01_stg_payments and is not here.
-- inputs : stg_payments
-- output : possible_duplicates (contract in docs/ARCHITECTURE.md)
-- grain  : one row per accepted line whose fields an earlier accepted line of its file has
-- units  : amount_pence integer pence, signed
create or replace table possible_duplicates as
with

accepted as (
    select file_index, source_file, source_row, read_row, row_key, payment_date, payee,
           purpose, org_unit, transaction_id, amount_pence
    from stg_payments
    where reason is null
),

-- The cheap count finds the few repeated keys; only their lines are ranked.
repeated as (
    select file_index, row_key
    from accepted
    group by file_index, row_key
    having count(*) > 1
),

ranked as (
    select
        *,
        first_value(source_row) over (partition by file_index, row_key order by read_row)
            as first_row,
        row_number() over (partition by file_index, row_key order by read_row) as occurrence
    from accepted
    semi join repeated using (file_index, row_key)
),

final as (
    select
        source_file,
        source_row,
        first_row,
        payment_date,
        payee,
        purpose,
        org_unit,
        transaction_id,
        amount_pence
    from ranked
    where occurrence > 1
    order by file_index, source_row
)

select * from final;
