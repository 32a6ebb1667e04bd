-- estate_totals: one line per estate for a year: total, range, delegable share, per household.
-- inputs : estates, estate_spend, services
-- params : $financial_year (NULL = every year, summed)
-- grain  : one row per estate
-- units  : *_pence integer pence; households_est households
-- The range combines the lines' intervals without assuming every error goes the same way:
-- lines of one error_group (one count, or one asset key) err together, so their distances to
-- low and high add; groups are taken as independent, so those sums add in quadrature
--     high = total + floor(sqrt(sum_g up_g^2)),  low = total - floor(sqrt(sum_g down_g^2)),
-- as placespend.intervals.combine does. alt_low/alt_high: the sums "with another key".
with

grouped as (
    select
        estate_id,
        error_group,
        sum(high_pence - amount_pence)::double as up,
        sum(amount_pence - low_pence)::double as down
    from estate_spend
    where (cast($financial_year as varchar) is null or financial_year = $financial_year)
    group by estate_id, error_group
),

spread as (
    select
        estate_id,
        floor(sqrt(sum(up * up)))::bigint as up_pence,
        floor(sqrt(sum(down * down)))::bigint as down_pence
    from grouped
    group by estate_id
),

spend as (
    select
        p.estate_id,
        sum(p.amount_pence)::bigint as total_pence,
        sum(p.alt_low_pence)::bigint as alt_low_pence,
        sum(p.alt_high_pence)::bigint as alt_high_pence,
        sum(case when p.basis = 'direct' then p.amount_pence else 0 end)::bigint as direct_pence,
        sum(case when v.delegable then p.amount_pence else 0 end)::bigint as delegable_pence
    from estate_spend as p
    inner join services as v using (service_id)
    where (cast($financial_year as varchar) is null or p.financial_year = $financial_year)
    group by p.estate_id
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
        coalesce(s.total_pence - r.down_pence, 0) as low_pence,
        coalesce(s.total_pence + r.up_pence, 0) as high_pence,
        coalesce(s.alt_low_pence, 0) as alt_low_pence,
        coalesce(s.alt_high_pence, 0) as alt_high_pence,
        coalesce(s.direct_pence, 0) as direct_pence,
        coalesce(s.delegable_pence, 0) as delegable_pence,
        case when e.households_est > 0
             then coalesce(s.total_pence, 0) / e.households_est end as per_household_pence
    from estates as e
    left join spend as s using (estate_id)
    left join spread as r using (estate_id)
)

select * from final
order by total_pence desc, estate_name, estate_id
