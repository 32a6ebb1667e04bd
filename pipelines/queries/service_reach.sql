-- service_reach: for each service, the money placed anywhere in the borough and the part that
-- lands on estates, so a view can say what share of a service reaches one estate.
-- inputs : place_spend
-- params : $financial_year (NULL = every year, summed)
-- grain  : one row per service_id
-- units  : *_pence integer pence
with

final as (
    select
        service_id,
        sum(amount_pence)::bigint as placed_pence,
        sum(case when target_type = 'estate' then amount_pence else 0 end)::bigint
            as estates_pence
    from place_spend
    where cast($financial_year as varchar) is null or financial_year = $financial_year
    group by service_id
)

select * from final
order by service_id
