-- 01h_contract_services: contracts whose service names no service of the catalogue.
-- inputs : contracts, stg_contracts (for file and row, when still on this connection)
-- params : $service_ids (VARCHAR[]: the ids of the catalogue's services)
-- output : a result set (no table): one row per contract naming an unknown service
-- grain  : one row per contract_id
-- units  : none
-- A contract with a blank service (matched on purpose instead) is never listed.
with

named as (
    select contract_id, service_id
    from contracts
    where service_id is not null
),

unknown as (
    select *
    from named
    where not list_contains($service_ids, service_id)
),

final as (
    select
        u.contract_id,
        u.service_id,
        s.source_file,
        s.source_row
    from unknown as u
    left join stg_contracts as s using (contract_id)
    order by s.source_row, u.contract_id
)

select * from final;
