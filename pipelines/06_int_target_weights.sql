-- 06_int_target_weights: how much of each key every target holds within every scope in use.
-- inputs : spend_groups (apportioned scopes), atoms, atom_keys, service_keys
-- output : target_weights
-- grain  : one row per (scope_type, scope_code, key, target_type, target_id)
-- units  : weight_units = key value x 10^9, as an integer (nano-households, 10^-9 m², ...),
--          so the allocation can divide exactly in integer arithmetic. Each atom's value is
--          rounded to an integer before summing, so the sum is exact in any order. At 10^9
--          the shares agree with float arithmetic (tobler, pandas) to ~1e-13 relative; at
--          10^3 they were off by up to 1.6e-7 (benchmarks/RESULTS.md). HUGEINT headroom: a
--          scope of 10^9 key units (London's area in m²) is 10^18 weight units, and times
--          the largest BIGINT pence (9.2e18) that stays below 1.7e38.
-- A target is an estate ('estate', estate_id) or the part of a ward on no estate
-- ('residual', ward_code). Every target in a scope appears for every key, with weight 0 where
-- it holds none, so that alternative keys can be compared target by target.
create or replace table target_weights as
with

scopes as (
    select distinct scope_type, scope_code
    from spend_groups
    where basis = 'apportioned'
),

needed_keys as (
    select distinct sk.key
    from service_keys as sk
    inner join spend_groups as g using (service_id)
    where g.basis = 'apportioned'
    union
    select $fallback_key
),

scope_atoms as (
    select
        s.scope_type,
        s.scope_code,
        a.atom_id,
        case when a.estate_id is null then 'residual' else 'estate' end as target_type,
        coalesce(a.estate_id, a.ward_code, '(outside every ward)') as target_id
    from scopes as s
    inner join atoms as a
        on s.scope_type = 'borough'
        or (s.scope_type = 'ward' and a.ward_code = s.scope_code)
),

final as (
    select
        sa.scope_type,
        sa.scope_code,
        k.key,
        sa.target_type,
        sa.target_id,
        sum(round(coalesce(w.weight, 0) * 1e9)::hugeint) as weight_units
    from scope_atoms as sa
    cross join needed_keys as k
    left join atom_keys as w
        on w.atom_id = sa.atom_id and w.key = k.key
    group by sa.scope_type, sa.scope_code, k.key, sa.target_type, sa.target_id
)

select * from final
