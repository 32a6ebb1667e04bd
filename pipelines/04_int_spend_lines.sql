-- 04_int_spend_lines: every accepted payment with the basis on which it reaches places.
-- inputs : payments, linked, services
-- output : spend_lines
-- grain  : one row per payments.row_id
-- units  : amount_pence (integer pence, signed)
-- basis  : 'direct'      - paid under an estate-scoped contract: the whole line is that estate's
--          'apportioned' - borough- or ward-scoped: shared over atoms by the service's key
--          'excluded'    - unclassified or not place-based (levies, interest, payroll, debtors):
--                          kept out of estates, reported on its own line
create or replace table spend_lines as
with

lines as (
    select
        p.row_id,
        p.financial_year,
        p.amount_pence,
        l.service_id,
        l.contract_id,
        l.link_status,
        l.scope_type,
        l.scope_code,
        s.place_based,
        s.key as main_key
    from payments as p
    inner join linked as l using (row_id)
    left join services as s using (service_id)
),

final as (
    select
        row_id,
        financial_year,
        coalesce(service_id, 'unclassified') as service_id,
        contract_id,
        link_status,
        case
            when service_id is null or not place_based then 'excluded'
            when scope_type = 'estate' then 'direct'
            else 'apportioned'
        end as basis,
        case
            when service_id is null then 'unclassified: no catalogue rule matches'
            when not place_based then 'not place-based'
        end as exclusion_reason,
        scope_type,
        scope_code,
        case
            when service_id is not null and place_based and scope_type <> 'estate'
                then main_key
        end as key,
        amount_pence
    from lines
)

select * from final
