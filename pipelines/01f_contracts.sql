-- 01f_contracts: the validated contracts register.
-- inputs : stg_contracts (every row valid: placespend.ingest raises on any problem first)
-- output : contracts (contract in docs/ARCHITECTURE.md)
-- grain  : one row per contract_id
-- units  : annual_value_pence integer pence (NULL when not given); dates DATE (NULL = open)
-- supplier_key uses ps_payee_key, the same normalisation as payments.payee_key, so the two
-- join directly.
create or replace table contracts as
with

valid as (
    select * from stg_contracts where problem is null
),

final as (
    select
        contract_id,
        title,
        supplier,
        supplier_key,
        service_id,
        purpose,
        scope_type,
        scope_code,
        annual_value_pence,
        start_date,
        end_date
    from valid
)

select * from final
order by contract_id;
