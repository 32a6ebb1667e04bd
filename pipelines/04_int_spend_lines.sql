-- 04_int_spend_lines: every accepted payment with the contract that places it, and the basis on
-- which it reaches places (one pass over the lines: the contract link, once a table of its own,
-- is worked out here, and `linked` is a view of these columns, 05_int_linked).
-- inputs : payments, classified, contracts, supplier_matches (placespend.suppliers: which
--          payee_key matches which supplier_key, how and with what score), services,
--          capital_rules (the catalogue's ordered org-unit and purpose rules saying capital or
--          revenue; NULL pattern = any; RE2, case-insensitive)
-- output : spend_lines
-- grain  : one row per payments.row_id
-- units  : amount_pence (integer pence, signed); match_score 0-100 (100 unless the supplier
--          matched by a near match)
-- link   : a payment links to a contract when the supplier matches (a row of
--          supplier_matches: the same key, the same name once legal forms and punctuation are
--          set aside, or a near match scoring at least the stated threshold), the service
--          matches (classified service = contract service, or the payment's Purpose = contract
--          purpose) and the payment date lies within the contract's dates. Exactly one match
--          gives the contract's scope (a borough contract always takes $borough_code, whatever
--          its register says); none, or several with different scopes, leave the payment
--          borough-wide (link_status says which; contract_ids lists every contract that
--          matched, so the build can name overlapping contracts; supplier_match and
--          match_score say how the linked contract's supplier matched the payee). Redacted
--          payees never match: redaction is never undone.
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

candidates as (
    select
        p.row_id,
        k.contract_id,
        k.scope_type,
        case when k.scope_type <> 'borough' then k.scope_code end as scope_code,
        k.service_id as contract_service_id,
        m.match as supplier_match,
        m.score as match_score
    from payments as p
    inner join classified as c using (row_id)
    inner join supplier_matches as m on m.payee_key = p.payee_key
    inner join contracts as k
        on  m.supplier_key = k.supplier_key
        and (k.service_id = c.service_id or lower(k.purpose) = lower(p.purpose))
        and (k.start_date is null or p.payment_date >= k.start_date)
        and (k.end_date is null or p.payment_date <= k.end_date)
),

per_row as (
    select
        row_id,
        count(*) as n_matches,
        count(distinct (scope_type, scope_code)) as n_scopes,
        min(contract_id) as contract_id,
        list(contract_id order by contract_id) as contract_ids,
        any_value(scope_type) as scope_type,
        any_value(scope_code) as scope_code,
        any_value(contract_service_id) as contract_service_id,
        arg_min(supplier_match, contract_id) as supplier_match,
        arg_min(match_score, contract_id) as match_score
    from candidates
    group by row_id
),

linked as (
    select
        p.row_id,
        coalesce(c.service_id, r.contract_service_id) as service_id,
        case when r.n_scopes = 1 then r.contract_id end as contract_id,
        case when r.n_scopes = 1 then r.scope_type else 'borough' end as scope_type,
        case
            when r.n_scopes = 1 and r.scope_type <> 'borough' then r.scope_code
            else $borough_code
        end as scope_code,
        case
            when r.row_id is null then 'no contract'
            when r.n_scopes = 1 then 'contract'
            else 'ambiguous contract'
        end as link_status,
        r.contract_ids,
        case when r.n_scopes = 1 then r.supplier_match end as supplier_match,
        case when r.n_scopes = 1 then r.match_score end as match_score,
        p.financial_year,
        p.amount_pence,
        p.org_unit,
        p.purpose
    from payments as p
    inner join classified as c using (row_id)
    left join per_row as r using (row_id)
),

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
        l.row_id,
        l.financial_year,
        l.amount_pence,
        l.service_id,
        l.contract_id,
        l.link_status,
        l.scope_type,
        l.scope_code,
        l.contract_ids,
        l.supplier_match,
        l.match_score,
        s.place_based,
        s.key as main_key,
        d.file_says,
        case when d.file_says is null then d.capital_or_revenue_text end as unread_text,
        lr.rule_says,
        case when s.capital then 'capital' end as service_says
    from linked as l
    left join services as s using (service_id)
    left join read_declared as d using (row_id)
    left join label_rules as lr
        on  l.org_unit is not distinct from lr.org_unit
        and l.purpose is not distinct from lr.purpose
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
        amount_pence,
        contract_ids,
        supplier_match,
        match_score
    from lines
)

select * from final
