-- 06_mart_accuracy_worst: the areas each key missed most, for each count.
-- inputs : accuracy_oa_errors, accuracy_estate_errors
-- params : $n_worst (how many areas to keep per level, count and key)
-- output : accuracy_worst
-- grain  : one row per (level, scope_type, quantity, key, area_id), at most n_worst per
--          (level, scope_type, quantity, key)
-- units  : truth, estimate, error in the count's own unit; rel_error a fraction (NULL if truth 0)
-- Ranked by absolute error (people or households misplaced), not by relative error, which is
-- loudest on areas with a handful of people.
create or replace table accuracy_worst as
with

errors as (
    select
        'oa' as level, scope_type, quantity, key, area_code as area_id, truth, estimate,
        error, abs_error, rel_error
    from accuracy_oa_errors
    union all
    select
        'estate' as level, scope_type, quantity, key, estate_id as area_id, truth, estimate,
        error, abs_error, rel_error
    from accuracy_estate_errors
),

ranked as (
    select
        *,
        row_number() over (
            partition by level, scope_type, quantity, key
            order by abs_error desc, area_id
        ) as rank
    from errors
),

final as (
    select level, scope_type, quantity, key, rank, area_id, truth, estimate, error, rel_error
    from ranked
    where rank <= $n_worst
)

select * from final
order by level, scope_type, quantity, key, rank
