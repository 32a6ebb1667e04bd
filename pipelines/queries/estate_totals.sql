-- estate_totals: one line per estate for a year: total, range, delegable share, per household.
-- inputs : estates, place_spend, services
-- params : $financial_year (NULL = every year, summed)
-- grain  : one row per estate
-- units  : *_pence integer pence; households_est households
with

spend as (
    select
        p.target_id as estate_id,
        sum(p.amount_pence)::bigint as total_pence,
        sum(p.low_pence)::bigint as low_pence,
        sum(p.high_pence)::bigint as high_pence,
        sum(case when p.basis = 'direct' then p.amount_pence else 0 end)::bigint as direct_pence,
        sum(case when v.delegable then p.amount_pence else 0 end)::bigint as delegable_pence
    from place_spend as p
    inner join services as v using (service_id)
    where p.target_type = 'estate'
        and (cast($financial_year as varchar) is null or p.financial_year = $financial_year)
    group by p.target_id
),

final as (
    select
        e.estate_id,
        e.name as estate_name,
        e.source,
        e.ward_codes,
        e.households_est,
        e.council_households_est,
        coalesce(s.total_pence, 0) as total_pence,
        coalesce(s.low_pence, 0) as low_pence,
        coalesce(s.high_pence, 0) as high_pence,
        coalesce(s.direct_pence, 0) as direct_pence,
        coalesce(s.delegable_pence, 0) as delegable_pence,
        case when e.households_est > 0
             then coalesce(s.total_pence, 0) / e.households_est end as per_household_pence
    from estates as e
    left join spend as s using (estate_id)
)

select * from final
order by total_pence desc, estate_name, estate_id
