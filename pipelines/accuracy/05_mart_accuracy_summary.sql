-- 05_mart_accuracy_summary: how far each key missed, per level and basis.
-- inputs : accuracy_oa_errors, accuracy_estate_errors, accuracy_bases
-- output : accuracy_summary
-- grain  : one row per (level, scope_type, basis, key); level 'oa' (output areas) or 'estate'
-- units  : total_abs_error_share, p50, p90, max_rel_error are fractions (0.21 = 21%)
-- A basis is one census count (basis = quantity) or a pool of them (pooled = true). A pool
-- leaves out the key's own count, so it says how well the key stands in for counts it is not.
--     total_abs_error_share = sum_i |estimate_i - truth_i| / sum_i truth_i, per count, then
--                             averaged over the counts of a pool (each count weighs the same)
--     p50, p90              = quantiles (linear interpolation) of |estimate_i - truth_i| / truth_i
--                             over areas with truth_i > 0 (and over the pool's counts)
create or replace table accuracy_summary as
with

errors as (
    select
        'oa' as level, scope_type, quantity, key, area_code as area_id, truth, abs_error,
        rel_error
    from accuracy_oa_errors
    union all
    select
        'estate' as level, scope_type, quantity, key, estate_id as area_id, truth, abs_error,
        rel_error
    from accuracy_estate_errors
),

by_basis as (
    select
        b.basis,
        e.*
    from errors as e
    inner join accuracy_bases as b
        on b.quantity = e.quantity
    where not (b.pooled and e.key = e.quantity)
),

per_count as (
    select
        level,
        scope_type,
        basis,
        key,
        quantity,
        sum(abs_error) / nullif(sum(truth), 0) as share
    from by_basis
    group by level, scope_type, basis, key, quantity
),

shares as (
    select
        level,
        scope_type,
        basis,
        key,
        avg(share) as total_abs_error_share
    from per_count
    group by level, scope_type, basis, key
),

spread as (
    select
        level,
        scope_type,
        basis,
        key,
        count(*) as n_areas,
        count(rel_error) as n_rated,
        quantile_cont(rel_error, 0.5) as p50,
        quantile_cont(rel_error, 0.9) as p90,
        max(rel_error) as max_rel_error
    from by_basis
    group by level, scope_type, basis, key
),

final as (
    select
        s.level,
        s.scope_type,
        s.basis,
        s.key,
        s.n_areas,
        s.n_rated,
        h.total_abs_error_share,
        s.p50,
        s.p90,
        s.max_rel_error
    from spread as s
    inner join shares as h
        on h.level = s.level and h.scope_type = s.scope_type and h.basis = s.basis
        and h.key = s.key
)

select * from final
order by level, scope_type, basis, key
