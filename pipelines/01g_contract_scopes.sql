-- 01g_contract_scopes: contracts whose scope_code names no known ward or estate.
-- inputs : contracts, stg_contracts (for file and row, when still on this connection)
-- params : $ward_codes, $estate_ids (VARCHAR[]: the codes of the loaded boundaries)
-- output : a result set (no table): one row per contract with an unknown scope code
-- grain  : one row per contract_id
-- units  : none
with

scoped as (
    select contract_id, scope_type, scope_code
    from contracts
    where scope_type in ('ward', 'estate')
),

unknown as (
    select *
    from scoped
    where (scope_type = 'ward' and not list_contains($ward_codes, scope_code))
       or (scope_type = 'estate' and not list_contains($estate_ids, scope_code))
),

final as (
    select
        u.contract_id,
        u.scope_type,
        u.scope_code,
        s.source_file,
        s.source_row
    from unknown as u
    left join stg_contracts as s using (contract_id)
    order by s.source_row, u.contract_id
)

select * from final;
