-- 07_int_allocation: share every spend group out over its targets, exactly, for every key.
-- inputs : spend_groups, service_keys, target_weights
-- output : allocation
-- grain  : one row per (group_id, key, target_type, target_id)
-- units  : amount_pence (integer pence, signed)
-- Largest-remainder (Hamilton) rounding, in integer arithmetic:
--     base_t     = floor(|T| * w_t / W)
--     leftover   = |T| - sum_t base_t            (0 <= leftover < number of targets)
--     amount_t   = sign(T) * (base_t + 1 if t is among the `leftover` largest remainders)
-- so that, for every group and key, the targets sum to the group total T to the penny. Ties
-- in the remainder go to the lower target id, so results are deterministic.
-- Where a scope holds none of a key (a ward with no mapped trees), the key falls back to
-- $fallback_key and key_used says so. Estate-scoped (direct) groups go whole to their estate.
create or replace table allocation as
with

group_keys as (
    select distinct
        g.group_id,
        g.scope_type,
        g.scope_code,
        g.total_pence,
        sk.key as key_requested,
        sk.is_main
    from spend_groups as g
    inner join service_keys as sk using (service_id)
    where g.basis = 'apportioned'
),

scope_totals as (
    select scope_type, scope_code, key, sum(weight_units) as total_units
    from target_weights
    group by scope_type, scope_code, key
),

resolved as (
    select
        gk.*,
        case when st.total_units > 0 then gk.key_requested else $fallback_key end as key_used
    from group_keys as gk
    left join scope_totals as st
        on  st.scope_type = gk.scope_type
        and st.scope_code = gk.scope_code
        and st.key = gk.key_requested
),

-- Small integer stand-ins for the key and target names, so the one big sort (the ranking of
-- remainders) moves numbers only; target_no follows (target_type, target_id), the tie order.
key_numbers as (
    select key_requested, row_number() over (order by key_requested) as key_no
    from (select distinct key_requested from resolved)
),

target_numbers as (
    select
        target_type,
        target_id,
        row_number() over (order by target_type, target_id) as target_no
    from (select distinct target_type, target_id from target_weights)
),

-- base = floor(|T| w / W) without 128-bit division (slow): a float estimate, off by at most
-- one while |T| < 2^50 pence (£11 trillion; exact division above that), corrected exactly by
-- the sign of the remainder it leaves.
estimated as (
    select
        r.group_id,
        kn.key_no,
        tn.target_no,
        r.total_pence,
        st.total_units,
        abs(r.total_pence)::hugeint * tw.weight_units as numerator,
        case
            when abs(r.total_pence) < 1125899906842624 then floor(
                abs(r.total_pence)::double * (tw.weight_units::double / st.total_units::double)
            )::hugeint
            else abs(r.total_pence)::hugeint * tw.weight_units // st.total_units
        end as estimate
    from resolved as r
    inner join key_numbers as kn using (key_requested)
    inner join scope_totals as st
        on  st.scope_type = r.scope_type
        and st.scope_code = r.scope_code
        and st.key = r.key_used
    inner join target_weights as tw
        on  tw.scope_type = r.scope_type
        and tw.scope_code = r.scope_code
        and tw.key = r.key_used
    inner join target_numbers as tn
        on  tn.target_type = tw.target_type
        and tn.target_id = tw.target_id
    where st.total_units > 0
),

shares as (
    select
        group_id,
        key_no,
        target_no,
        total_pence,
        estimate + step as base_pence,
        numerator - (estimate + step) * total_units as remainder
    from (
        select
            *,
            (numerator - estimate * total_units >= total_units)::int
                - (numerator - estimate * total_units < 0)::int as step
        from estimated
    )
),

ranked as (
    select
        *,
        row_number() over (
            partition by group_id, key_no
            order by remainder desc, target_no
        ) as remainder_rank,
        abs(total_pence) - sum(base_pence) over (partition by group_id, key_no) as leftover
    from shares
),

apportioned as (
    select
        k.group_id,
        k.key_requested as key,
        k.key_used,
        k.is_main,
        t.target_type,
        t.target_id,
        (sign(k.total_pence)
            * (base_pence + case when remainder_rank <= leftover then 1 else 0 end))::bigint
            as amount_pence
    from ranked as a
    inner join key_numbers as kn using (key_no)
    inner join resolved as k on k.group_id = a.group_id and k.key_requested = kn.key_requested
    inner join target_numbers as t using (target_no)
),

direct as (
    select
        group_id,
        null as key,
        null as key_used,
        true as is_main,
        'estate' as target_type,
        scope_code as target_id,
        total_pence as amount_pence
    from spend_groups
    where basis = 'direct'
),

final as (
    select * from apportioned
    union all
    select * from direct
)

select * from final
