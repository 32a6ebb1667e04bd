-- 08_mart_place_spend: what lands on each estate and on each ward's off-estate residual.
-- inputs : allocation, spend_groups, target_intervals, service_quantities
-- output : place_spend
-- grain  : one row per (group_id, target_type, target_id)
-- units  : amount_pence (main key); low_pence / high_pence, the calibrated interval (nominal
--          80%: amount x the 10th and 90th percentile of truth / estimate measured on census
--          truth for this key, count, scope and place size, placespend/intervals.py; equal to
--          the amount for an estate's own contract); alt_low_pence / alt_high_pence, the least
--          and most "with another key" (the service's alternative keys, a sensitivity, not an
--          interval); all integer pence. error_group says which lines err together (the count
--          a census key stands for, or the asset key); NULL for direct lines.
-- capital_or_revenue ('capital' | 'revenue') is the group's (04_int_spend_lines says how).
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

intervals as (
    select
        t.group_id,
        t.target_type,
        t.target_id,
        i.error_group,
        i.low_ratio,
        i.high_ratio
    from per_target as t
    inner join spend_groups as g using (group_id)
    left join service_quantities as q using (service_id)
    inner join target_intervals as i
        on  i.target_type = t.target_type
        and i.target_id = t.target_id
        and i.scope_type = g.scope_type
        and i.key = t.key_used
        and (i.kind <> 'stand_in' or i.quantity = coalesce(nullif(q.quantity, ''), 'residents'))
    where g.basis = 'apportioned'
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
        g.capital_or_revenue,
        t.key_used as key,
        g.key is not null and t.key_used <> g.key as key_fell_back,
        t.amount_pence,
        coalesce(floor(least(t.amount_pence * i.low_ratio, t.amount_pence * i.high_ratio)),
                 t.amount_pence)::bigint as low_pence,
        coalesce(ceil(greatest(t.amount_pence * i.low_ratio, t.amount_pence * i.high_ratio)),
                 t.amount_pence)::bigint as high_pence,
        least(t.low_pence, t.amount_pence) as alt_low_pence,
        greatest(t.high_pence, t.amount_pence) as alt_high_pence,
        i.error_group,
        g.group_id
    from per_target as t
    inner join spend_groups as g using (group_id)
    left join intervals as i
        on  i.group_id = t.group_id
        and i.target_type = t.target_type
        and i.target_id = t.target_id
    where t.amount_pence <> 0 or t.low_pence <> 0 or t.high_pence <> 0
)

select * from final
