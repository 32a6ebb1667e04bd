-- excluded_by_service: spend kept off every estate (not place-based, or unclassified), by
-- service and reason, so the app can show it on its own line.
-- inputs : excluded_spend, services
-- params : $financial_year (NULL = every year, summed)
-- grain  : one row per (service_id, exclusion_reason)
-- units  : amount_pence integer pence; n_lines payment lines
with

final as (
    select
        x.service_id,
        coalesce(v.name, 'Unclassified spend') as service,
        x.exclusion_reason,
        sum(x.amount_pence)::bigint as amount_pence,
        sum(x.n_lines)::bigint as n_lines
    from excluded_spend as x
    left join services as v using (service_id)
    where cast($financial_year as varchar) is null or x.financial_year = $financial_year
    group by all
)

select * from final
order by amount_pence desc, service, service_id, exclusion_reason
