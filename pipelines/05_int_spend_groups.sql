-- 05_int_spend_groups: the totals that get apportioned, one per (service, year, basis, scope,
-- capital or revenue).
-- inputs : spend_lines
-- output : spend_groups
-- grain  : one row per (service_id, financial_year, basis, scope_type, scope_code,
--          capital_or_revenue)
-- units  : total_pence (integer pence, signed); n_lines (payment lines)
-- group_id is deterministic for the same inputs, so figures can be traced back to the lines
-- behind them by joining spend_lines on the grain columns.
create or replace table spend_groups as
with

grouped as (
    select
        service_id,
        financial_year,
        basis,
        scope_type,
        scope_code,
        capital_or_revenue,
        any_value(key) as key,
        sum(amount_pence)::bigint as total_pence,
        count(*) as n_lines
    from spend_lines
    group by service_id, financial_year, basis, scope_type, scope_code, capital_or_revenue
),

final as (
    select
        row_number() over (
            order by service_id, financial_year, basis, scope_type, scope_code,
                capital_or_revenue
        ) as group_id,
        *
    from grouped
)

select * from final
