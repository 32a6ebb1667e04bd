-- pool_lines: a system financing pool: the chosen services' spend on the chosen estates, with
-- each service's borough-wide spend.
-- inputs : estate_spend, spend_groups, estates, services
-- params : $service_ids (VARCHAR[]), $estate_ids (VARCHAR[]; empty = every estate),
--          $financial_year (NULL = every year)
-- grain  : one row per (estate_id, service_id) with spend on the estate
-- units  : amount_pence integer pence (the estate's share of the service, main key);
--          borough_pence the service's whole accepted spend in the year(s), every place and
--          the off-estate residuals, integer pence
with

borough as (
    select service_id, sum(total_pence)::bigint as borough_pence
    from spend_groups
    where list_contains($service_ids, service_id)
        and (cast($financial_year as varchar) is null or financial_year = $financial_year)
    group by service_id
),

spend as (
    select estate_id, service_id, sum(amount_pence)::bigint as amount_pence
    from estate_spend
    where list_contains($service_ids, service_id)
        and (len($estate_ids) = 0 or list_contains($estate_ids, estate_id))
        and (cast($financial_year as varchar) is null or financial_year = $financial_year)
    group by estate_id, service_id
),

final as (
    select
        s.estate_id,
        e.name as estate_name,
        s.service_id,
        v.name as service,
        s.amount_pence,
        b.borough_pence
    from spend as s
    inner join estates as e using (estate_id)
    inner join services as v using (service_id)
    inner join borough as b using (service_id)
)

select * from final
order by estate_name, estate_id, amount_pence desc, service
