-- 13_mart_estate_spend: the estates' part of place_spend, the one relation the read queries
-- of pipelines/queries/ start from when they want estates (a view: no second copy of rows).
-- inputs : place_spend
-- output : estate_spend (a view)
-- grain  : one row per (group_id, estate_id)
-- units  : *_pence integer pence, as in place_spend (amount, calibrated low / high, and the
--          least / most with another key)
create or replace view estate_spend as
with

final as (
    select
        target_id as estate_id,
        financial_year,
        service_id,
        basis,
        scope_type,
        scope_code,
        capital_or_revenue,
        key,
        key_fell_back,
        amount_pence,
        low_pence,
        high_pence,
        alt_low_pence,
        alt_high_pence,
        error_group,
        group_id
    from place_spend
    where target_type = 'estate'
)

select * from final
