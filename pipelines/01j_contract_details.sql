-- 01j_contract_details: what the register says of each accepted contract beyond its link.
-- inputs : stg_contracts (from 01e_stg_contracts)
-- output : contract_details (contract in docs/ARCHITECTURE.md)
-- grain  : one row per contract_id (the rows of 01f_contracts)
-- units  : value_pence integer pence, as the register gives it (value_basis says over what)
create or replace table contract_details as
with

valid as (
    select * from stg_contracts where problem is null
),

final as (
    select
        contract_id,
        source_file,
        source_row,
        description,
        department,
        value_pence,
        value_basis,
        service_source
    from valid
)

select * from final
order by contract_id;
