-- 03_int_accuracy_oa_errors: each estimate against the census count of its output area.
-- inputs : accuracy_oa_estimates, accuracy_truth
-- output : accuracy_oa_errors
-- grain  : one row per (quantity, key, scope_type, area_code)
-- units  : truth, estimate, error, abs_error in the count's own unit; rel_error a fraction
--          (|estimate - truth| / truth), NULL where the truth is 0 (undefined)
create or replace table accuracy_oa_errors as
with

joined as (
    select
        e.quantity,
        e.key,
        e.scope_type,
        e.area_code,
        t.truth,
        e.estimate,
        e.fell_back
    from accuracy_oa_estimates as e
    inner join accuracy_truth as t
        on t.quantity = e.quantity and t.area_code = e.area_code
),

final as (
    select
        quantity,
        key,
        scope_type,
        area_code,
        truth,
        estimate,
        estimate - truth as error,
        abs(estimate - truth) as abs_error,
        case when truth > 0 then abs(estimate - truth) / truth end as rel_error,
        fell_back
    from joined
)

select * from final
