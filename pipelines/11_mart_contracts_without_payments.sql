-- 11_mart_contracts_without_payments: every contract that no payment matched, and why.
-- inputs : contracts, contract_details, linked, payments, classified, supplier_matches
-- output : contracts_without_payments
-- grain  : one row per contract_id that no payment line matched (not even ambiguously)
-- units  : *_pence integer pence; value_pence as the register gives it (value_basis says over
--          what), annual_value_pence only when it is a yearly value
-- reason: no payment to the supplier at all; the supplier was paid, but for no payment of the
-- contract's service (or purpose); or paid for it, but only outside the contract's dates.
create or replace table contracts_without_payments as
with

claimed as (
    select distinct unnest(contract_ids) as contract_id
    from linked
    where contract_ids is not null
),

to_supplier as (
    select
        k.contract_id,
        count(*) as supplier_lines,
        sum(p.amount_pence) as supplier_pence,
        count(*) filter (
            where k.service_id = c.service_id or lower(k.purpose) = lower(p.purpose)
        ) as service_lines,
        coalesce(sum(p.amount_pence) filter (
            where k.service_id = c.service_id or lower(k.purpose) = lower(p.purpose)
        ), 0) as service_pence
    from contracts as k
    inner join supplier_matches as m on m.supplier_key = k.supplier_key
    inner join payments as p on p.payee_key = m.payee_key
    inner join classified as c using (row_id)
    group by k.contract_id
),

final as (
    select
        k.contract_id,
        k.title,
        k.supplier,
        coalesce(k.service_id, k.purpose) as service,
        k.scope_type,
        k.scope_code,
        k.start_date,
        k.end_date,
        coalesce(d.value_pence, k.annual_value_pence) as value_pence,
        coalesce(d.value_basis, 'annual') as value_basis,
        k.annual_value_pence,
        d.source_file,
        d.source_row,
        coalesce(s.supplier_lines, 0) as supplier_lines,
        coalesce(s.supplier_pence, 0) as supplier_pence,
        coalesce(s.service_lines, 0) as service_lines,
        coalesce(s.service_pence, 0) as service_pence,
        case
            when s.contract_id is null then 'no payment to the supplier'
            when s.service_lines = 0 then 'the supplier was paid, but never for this service'
            else 'the supplier was paid for this service, but only outside the contract''s dates'
        end as reason
    from contracts as k
    left join contract_details as d using (contract_id)
    left join to_supplier as s using (contract_id)
    anti join claimed as c using (contract_id)
)

select * from final
order by value_pence desc nulls last, contract_id;
