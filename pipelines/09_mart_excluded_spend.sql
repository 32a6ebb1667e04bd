-- 09_mart_excluded_spend: spend kept out of estates, reported so totals still reconcile.
-- inputs : spend_lines
-- output : excluded_spend
-- grain  : one row per (service_id, exclusion_reason, financial_year)
-- units  : amount_pence (integer pence, signed); n_lines (payment lines)
create or replace table excluded_spend as
with

final as (
    select
        service_id,
        exclusion_reason,
        financial_year,
        sum(amount_pence)::bigint as amount_pence,
        count(*) as n_lines
    from spend_lines
    where basis = 'excluded'
    group by service_id, exclusion_reason, financial_year
)

select * from final
