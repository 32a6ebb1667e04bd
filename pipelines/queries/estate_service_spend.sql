-- estate_service_spend: each estate's spend on each service in a year, for setting residents'
--          priorities beside where the money goes.
-- inputs : estate_spend
-- params : $financial_year (NULL = every year, summed), $estate_id (NULL = every estate)
-- grain  : one row per (estate, service) with spend on the estate
-- units  : amount_pence integer pence
with

spend as (
    select
        estate_id,
        service_id,
        sum(amount_pence)::bigint as amount_pence
    from estate_spend
    where (cast($financial_year as varchar) is null or financial_year = $financial_year)
        and (cast($estate_id as varchar) is null or estate_id = $estate_id)
    group by estate_id, service_id
),

final as (
    select * from spend
)

select * from final
order by estate_id, service_id
