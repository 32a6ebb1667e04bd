-- 04_int_accuracy_estate_errors: estimates and truth summed over the whole output areas that make
-- up each tested estate (census clusters: the areas mostly inside them), then compared.
-- inputs : accuracy_oa_errors, accuracy_estate_oas
-- output : accuracy_estate_errors
-- grain  : one row per (quantity, key, scope_type, estate_id)
-- units  : truth, estimate, error, abs_error in the count's own unit; rel_error a fraction,
--          NULL where the truth is 0
create or replace table accuracy_estate_errors as
with

summed as (
    select
        e.quantity,
        e.key,
        e.scope_type,
        m.estate_id,
        count(*) as n_oas,
        sum(e.truth) as truth,
        sum(e.estimate) as estimate,
        bool_or(e.fell_back) as fell_back
    from accuracy_oa_errors as e
    inner join accuracy_estate_oas as m
        on m.area_code = e.area_code
    group by e.quantity, e.key, e.scope_type, m.estate_id
),

final as (
    select
        quantity,
        key,
        scope_type,
        estate_id,
        n_oas,
        truth,
        estimate,
        estimate - truth as error,
        abs(estimate - truth) as abs_error,
        case when truth > 0 then abs(estimate - truth) / truth end as rel_error,
        fell_back
    from summed
)

select * from final
