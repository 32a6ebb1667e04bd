-- estate_provenance: how each pound of an estate's figure was reached, line by line:
-- direct (the estate's own contract) or apportioned by which key over which scope.
-- inputs : estate_spend, services, wards, estates
-- params : $estate_id, $financial_year (NULL = every year, summed)
-- grain  : one row per (service_id, basis, scope_type, scope_code, key)
-- units  : *_pence integer pence
with

spend as (
    select
        service_id,
        basis,
        scope_type,
        scope_code,
        key,
        sum(amount_pence)::bigint as amount_pence,
        sum(low_pence)::bigint as low_pence,
        sum(high_pence)::bigint as high_pence,
        sum(alt_low_pence)::bigint as alt_low_pence,
        sum(alt_high_pence)::bigint as alt_high_pence
    from estate_spend
    where estate_id = $estate_id
        and (cast($financial_year as varchar) is null or financial_year = $financial_year)
    group by all
),

final as (
    select
        s.service_id,
        v.name as service,
        v.directorate,
        v.outcomes,
        v.delegable,
        s.basis,
        s.scope_type,
        s.scope_code,
        case s.scope_type
            when 'ward' then coalesce(w.ward_name, s.scope_code)
            when 'estate' then coalesce(e.name, s.scope_code)
            else 'whole borough'
        end as scope_name,
        coalesce(s.key, '') as key,
        s.amount_pence,
        s.low_pence,
        s.high_pence,
        s.alt_low_pence,
        s.alt_high_pence
    from spend as s
    inner join services as v using (service_id)
    left join wards as w on s.scope_type = 'ward' and w.ward_code = s.scope_code
    left join estates as e on s.scope_type = 'estate' and e.estate_id = s.scope_code
)

select * from final
order by amount_pence desc, service, scope_name, basis, scope_type, scope_code, key
