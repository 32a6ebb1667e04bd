-- 04_int_spend_lines: every accepted payment with the basis on which it reaches places.
-- inputs : payments, linked, services, capital_rules (the catalogue's ordered org-unit and
--          purpose rules saying capital or revenue; NULL pattern = any; RE2, case-insensitive)
-- output : spend_lines
-- grain  : one row per payments.row_id
-- units  : amount_pence (integer pence, signed)
-- capital_or_revenue ('capital' | 'revenue') and capital_or_revenue_from, in order: 'file' (the
--          mapped column, read leniently: cap..., capex, c / rev..., opex, r, any case, other
--          characters ignored), 'rule' (the first capital_rules entry matching the line's
--          org unit and purpose), 'service' (services.capital), 'default' (revenue). A value
--          the file gives but that reads as neither falls through to the rules and is kept in
--          capital_or_revenue_unread, for the build's note.
-- basis  : 'direct'      - paid under an estate-scoped contract: the whole line is that estate's
--          'apportioned' - borough- or ward-scoped: shared over atoms by the service's key
--          'excluded'    - unclassified or not place-based (levies, interest, payroll, debtors):
--                          kept out of estates, reported on its own line
create or replace table spend_lines as
with

labels as (
    select distinct org_unit, purpose
    from payments
),

label_rules as (
    select
        l.org_unit,
        l.purpose,
        arg_min(r.capital_or_revenue, r.rule_no) as rule_says
    from labels as l
    inner join capital_rules as r
        on  (r.org_unit_pattern is null
             or regexp_matches(coalesce(l.org_unit, ''), r.org_unit_pattern))
        and (r.purpose_pattern is null
             or regexp_matches(coalesce(l.purpose, ''), r.purpose_pattern))
    group by l.org_unit, l.purpose
),

declared as (
    select
        row_id,
        capital_or_revenue_text,
        regexp_replace(lower(capital_or_revenue_text), '[^a-z]', '', 'g') as letters
    from payments
    where capital_or_revenue_text is not null
),

read_declared as (
    select
        row_id,
        capital_or_revenue_text,
        case
            when letters like 'cap%' or letters in ('c', 'capex') then 'capital'
            when letters like 'rev%' or letters in ('r', 'opex') then 'revenue'
        end as file_says
    from declared
),

lines as (
    select
        p.row_id,
        p.financial_year,
        p.amount_pence,
        l.service_id,
        l.contract_id,
        l.link_status,
        l.scope_type,
        l.scope_code,
        s.place_based,
        s.key as main_key,
        d.file_says,
        case when d.file_says is null then d.capital_or_revenue_text end as unread_text,
        lr.rule_says,
        case when s.capital then 'capital' end as service_says
    from payments as p
    inner join linked as l using (row_id)
    left join services as s using (service_id)
    left join read_declared as d using (row_id)
    left join label_rules as lr
        on  p.org_unit is not distinct from lr.org_unit
        and p.purpose is not distinct from lr.purpose
),

final as (
    select
        row_id,
        financial_year,
        coalesce(service_id, 'unclassified') as service_id,
        contract_id,
        link_status,
        case
            when service_id is null or not place_based then 'excluded'
            when scope_type = 'estate' then 'direct'
            else 'apportioned'
        end as basis,
        case
            when service_id is null then 'unclassified: no catalogue rule matches'
            when not place_based then 'not place-based'
        end as exclusion_reason,
        scope_type,
        scope_code,
        case
            when service_id is not null and place_based and scope_type <> 'estate'
                then main_key
        end as key,
        coalesce(file_says, rule_says, service_says, 'revenue') as capital_or_revenue,
        case
            when file_says is not null then 'file'
            when rule_says is not null then 'rule'
            when service_says is not null then 'service'
            else 'default'
        end as capital_or_revenue_from,
        unread_text as capital_or_revenue_unread,
        amount_pence
    from lines
)

select * from final
