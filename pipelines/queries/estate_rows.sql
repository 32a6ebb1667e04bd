-- estate_rows: an estate's spend by year, service, basis and key (the export's grain).
-- inputs : estate_spend, estates, services
-- params : $estate_id (NULL = every estate), $financial_year (NULL = every year)
-- grain  : one row per (estate_id, financial_year, service_id, capital_or_revenue, basis,
--          scope_type, key)
-- units  : *_pence integer pence
with

spend as (
    select
        estate_id,
        financial_year,
        service_id,
        capital_or_revenue,
        basis,
        scope_type,
        key,
        error_group,
        sum(amount_pence)::bigint as amount_pence,
        sum(low_pence)::bigint as low_pence,
        sum(high_pence)::bigint as high_pence,
        sum(alt_low_pence)::bigint as alt_low_pence,
        sum(alt_high_pence)::bigint as alt_high_pence
    from estate_spend
    where (cast($estate_id as varchar) is null or estate_id = $estate_id)
        and (cast($financial_year as varchar) is null or financial_year = $financial_year)
    group by all
),

final as (
    select
        s.estate_id,
        e.name as estate_name,
        s.financial_year,
        s.service_id,
        v.name as service,
        v.outcomes as mission_outcome,
        v.delegable,
        s.capital_or_revenue,
        case when s.basis = 'apportioned' then 'apportioned (' || s.scope_type || ')'
             else s.basis end as basis,
        coalesce(s.key, '') as key,
        s.amount_pence,
        s.low_pence,
        s.high_pence,
        s.alt_low_pence,
        s.alt_high_pence,
        s.error_group
    from spend as s
    inner join estates as e using (estate_id)
    inner join services as v using (service_id)
)

select * from final
order by estate_name, estate_id, financial_year, amount_pence desc, service, basis, key,
    capital_or_revenue
