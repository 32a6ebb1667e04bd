-- estate_source_lines: the payment lines behind an estate's figure, with the estate's share.
-- inputs : estate_spend, spend_groups, spend_lines, payments
-- params : $estate_id, $service_id (NULL = all), $financial_year (NULL = all)
-- grain  : one row per (payment line, group) reaching the estate
-- units  : line_pence integer pence (the whole line); estate_share_pence = line x the group's
--          share reaching this estate under the main key (a float: for tracing, not totals,
--          which are exact in place_spend); group_estate_pence, group_pence the group's
--          integer pence reaching the estate and in all (export.source_lines shares the first
--          over the group's lines in whole pence, adding up to it exactly)
with

estate_groups as (
    select group_id, amount_pence as estate_pence, key
    from estate_spend
    where estate_id = $estate_id
        and (cast($service_id as varchar) is null or service_id = $service_id)
        and (cast($financial_year as varchar) is null or financial_year = $financial_year)
),

final as (
    select
        p.source_file,
        p.source_row,
        p.transaction_id,
        p.payment_date,
        p.financial_year,
        p.payee,
        p.purpose,
        p.org_unit,
        l.service_id,
        l.basis,
        l.scope_type,
        l.scope_code,
        l.contract_id,
        eg.key,
        eg.group_id,
        eg.estate_pence as group_estate_pence,
        g.total_pence as group_pence,
        p.amount_pence as line_pence,
        case when g.total_pence <> 0
             then p.amount_pence::double * eg.estate_pence / g.total_pence end as estate_share_pence
    from estate_groups as eg
    inner join spend_groups as g using (group_id)
    inner join spend_lines as l
        on  l.service_id = g.service_id
        and l.financial_year = g.financial_year
        and l.basis = g.basis
        and l.scope_type = g.scope_type
        and l.scope_code = g.scope_code
        and l.capital_or_revenue = g.capital_or_revenue
    inner join payments as p using (row_id)
)

select * from final
order by abs(estate_share_pence) desc nulls last, source_file, source_row
