-- year_coverage: how much of each financial year the accepted payments cover, newest first.
-- inputs : payments
-- grain  : one row per financial_year
-- units  : months = distinct calendar months with a payment (of 12); lines = payment lines;
--          amount_pence integer pence
with

per_year as (
    select
        financial_year,
        count(distinct date_trunc('month', payment_date)) as months,
        count(*) as lines,
        sum(amount_pence)::bigint as amount_pence
    from payments
    group by financial_year
),

final as (
    select * from per_year
)

select * from final
order by financial_year desc
