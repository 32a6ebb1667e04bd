-- 08_mart_place_spend: what lands on each estate and on each ward's off-estate residual.
-- inputs : allocation, spend_groups
-- output : place_spend
-- grain  : one row per (group_id, target_type, target_id)
-- units  : amount_pence (main key), low_pence / high_pence (least and most over the
--          service's main and alternative keys), all integer pence
-- Rows where every key gives 0 are dropped: they carry no money.
create or replace table place_spend as
with

per_target as (
    select
        group_id,
        target_type,
        target_id,
        sum(case when is_main then amount_pence else 0 end)::bigint as amount_pence,
        min(amount_pence)::bigint as low_pence,
        max(amount_pence)::bigint as high_pence,
        any_value(case when is_main then key_used end) as key_used
    from allocation
    group by group_id, target_type, target_id
),

final as (
    select
        t.target_type,
        t.target_id,
        g.financial_year,
        g.service_id,
        g.basis,
        g.scope_type,
        g.scope_code,
        t.key_used as key,
        g.key is not null and t.key_used <> g.key as key_fell_back,
        t.amount_pence,
        least(t.low_pence, t.amount_pence) as low_pence,
        greatest(t.high_pence, t.amount_pence) as high_pence,
        g.group_id
    from per_target as t
    inner join spend_groups as g using (group_id)
    where t.amount_pence <> 0 or t.low_pence <> 0 or t.high_pence <> 0
)

select * from final
