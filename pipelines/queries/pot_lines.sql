-- pot_lines: an estate's spend on chosen services in one year, one line per service (summed
--          over basis, scope and key), for a participatory budgeting pot.
-- inputs : services, estate_spend
-- params : $estate_id, $financial_year, $service_ids (VARCHAR[]; unknown ids give no line)
-- grain  : one row per chosen service in the catalogue, including services with no spend here
-- units  : *_pence integer pence
with

chosen as (
    select service_id, name as service
    from services
    where list_contains(cast($service_ids as varchar[]), service_id)
),

spend as (
    select
        service_id,
        sum(amount_pence)::bigint as amount_pence,
        sum(low_pence)::bigint as low_pence,
        sum(high_pence)::bigint as high_pence,
        sum(alt_low_pence)::bigint as alt_low_pence,
        sum(alt_high_pence)::bigint as alt_high_pence,
        max(error_group) as error_group
    from estate_spend
    where estate_id = $estate_id
        and financial_year = $financial_year
        and list_contains(cast($service_ids as varchar[]), service_id)
    group by service_id
),

final as (
    select
        c.service_id,
        c.service,
        coalesce(s.amount_pence, 0)::bigint as amount_pence,
        coalesce(s.low_pence, 0)::bigint as low_pence,
        coalesce(s.high_pence, 0)::bigint as high_pence,
        coalesce(s.alt_low_pence, 0)::bigint as alt_low_pence,
        coalesce(s.alt_high_pence, 0)::bigint as alt_high_pence,
        s.error_group
    from chosen as c
    left join spend as s using (service_id)
)

select * from final
order by amount_pence desc, service, service_id
