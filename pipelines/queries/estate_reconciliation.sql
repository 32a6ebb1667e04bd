-- estate_reconciliation: every spend group that reaches an estate, checked under each of its
--          keys (input = estates + residual, to the penny), with this estate's part of it.
-- inputs : estate_spend, reconciliation, services
-- params : $estate_id, $financial_year (NULL = every year)
-- grain  : one row per (group reaching the estate, key); is_main_key marks the key whose
--          figure the exports show (the others give the low-high range)
-- units  : *_pence integer pence; this_estate_pence only on the main key's row
with

reaching as (
    select
        group_id,
        coalesce(any_value(key), '(direct)') as main_key,
        sum(amount_pence)::bigint as this_estate_pence
    from estate_spend
    where estate_id = $estate_id
        and (cast($financial_year as varchar) is null or financial_year = $financial_year)
    group by group_id
),

final as (
    select
        r.group_id,
        r.financial_year,
        r.service_id,
        v.name as service,
        r.basis,
        r.scope_type,
        r.scope_code,
        r.key,
        r.key = g.main_key as is_main_key,
        r.input_pence,
        r.estates_pence,
        r.residual_pence,
        r.difference_pence,
        case when r.key = g.main_key then g.this_estate_pence end as this_estate_pence
    from reaching as g
    inner join reconciliation as r using (group_id)
    inner join services as v on v.service_id = r.service_id
)

select * from final
order by financial_year, service, group_id, is_main_key desc, key
