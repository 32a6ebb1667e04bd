-- 03_int_linked: the geographic scope of each payment, from the contracts register.
-- inputs : payments, classified, contracts, supplier_matches (placespend.suppliers: which
--          payee_key matches which supplier_key, how and with what score)
-- output : linked
-- grain  : one row per payments.row_id
-- units  : match_score 0-100 (100 unless the supplier matched by a near match)
-- A payment links to a contract when the supplier matches (a row of supplier_matches: the
-- same key, the same name once legal forms and punctuation are set aside, or a near match
-- scoring at least the stated threshold), the service matches (classified service = contract service, or the
-- payment's Purpose = contract purpose) and the payment date lies within the contract's
-- dates. Exactly one match gives the contract's scope (a borough contract always takes
-- $borough_code, whatever its register says); none, or several with different
-- scopes, leave the payment borough-wide (link_status says which; contract_ids lists every
-- contract that matched, so the build can name overlapping contracts; supplier_match and
-- match_score say how the linked contract's supplier matched the payee). Redacted payees never
-- match: redaction is never undone.
create or replace table linked as
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

final as (
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
        case when r.n_scopes = 1 then r.match_score end as match_score
    from payments as p
    inner join classified as c using (row_id)
    left join per_row as r using (row_id)
)

select * from final
