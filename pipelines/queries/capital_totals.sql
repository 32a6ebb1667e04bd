-- capital_totals: capital, revenue and total spend per estate and financial year.
-- inputs : estate_spend
-- grain  : one row per (estate_id, financial_year)
-- units  : *_pence integer pence; capital_pence + revenue_pence = total_pence exactly
with

final as (
    select
        estate_id,
        financial_year,
        sum(case when capital_or_revenue = 'capital' then amount_pence else 0 end)::bigint
            as capital_pence,
        sum(case when capital_or_revenue = 'revenue' then amount_pence else 0 end)::bigint
            as revenue_pence,
        sum(amount_pence)::bigint as total_pence
    from estate_spend
    group by estate_id, financial_year
)

select * from final
order by estate_id, financial_year
