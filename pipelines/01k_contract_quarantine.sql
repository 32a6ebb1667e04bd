-- 01k_contract_quarantine: register rows not accepted, each with every reason and its text.
-- inputs : stg_contracts (from 01e_stg_contracts), raw_contract_rejects (rows the reader
--          could not split into the register's columns: source_file, source_row, reason, raw)
-- output : contract_quarantine (contract in docs/ARCHITECTURE.md)
-- grain  : one row per register row not accepted (source_file, source_row)
-- units  : value_pence integer pence, when the value itself parsed
create or replace table contract_quarantine as
with

invalid as (
    select
        source_file,
        source_row,
        contract_id,
        supplier,
        problem as reason,
        value_text,
        case when value_text is not null then value_pence end as value_pence,
        raw
    from stg_contracts
    where problem is not null
),

unreadable as (
    select
        source_file,
        source_row,
        null::varchar as contract_id,
        null::varchar as supplier,
        reason,
        null::varchar as value_text,
        null::bigint as value_pence,
        raw
    from raw_contract_rejects
),

final as (
    select * from invalid
    union all
    select * from unreadable
)

select * from final
order by source_file, source_row;
