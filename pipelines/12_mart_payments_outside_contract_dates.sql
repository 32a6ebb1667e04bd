-- 12_mart_payments_outside_contract_dates: payments to a contracted supplier, for the
-- contract's service (or purpose), that fall outside the dates of every such contract.
-- inputs : linked, payments, classified, contracts, supplier_matches
-- output : payments_outside_contract_dates
-- grain  : one row per payments.row_id (link_status 'no contract': shared borough-wide)
-- units  : amount_pence integer pence; days_outside days before the start or after the end
--          of the nearest such contract
create or replace table payments_outside_contract_dates as
with

unlinked as (
    select row_id
    from linked
    where link_status = 'no contract'
),

outside as (
    select
        p.row_id,
        k.contract_id,
        k.start_date,
        k.end_date,
        case
            when k.start_date is not null and p.payment_date < k.start_date
                then date_diff('day', p.payment_date, k.start_date)
            else date_diff('day', k.end_date, p.payment_date)
        end as days_outside
    from unlinked as u
    inner join payments as p using (row_id)
    inner join classified as c using (row_id)
    inner join supplier_matches as m on m.payee_key = p.payee_key
    inner join contracts as k
        on  k.supplier_key = m.supplier_key
        and (k.service_id = c.service_id or lower(k.purpose) = lower(p.purpose))
),

nearest as (
    select
        row_id,
        arg_min(contract_id, (days_outside, contract_id)) as contract_id,
        min(days_outside) as days_outside,
        list(distinct contract_id order by contract_id) as contract_ids
    from outside
    group by row_id
),

final as (
    select
        p.row_id,
        p.source_file,
        p.source_row,
        p.payment_date,
        p.payee,
        c.service_id,
        p.purpose,
        p.amount_pence,
        n.contract_id,
        k.start_date,
        k.end_date,
        case when k.start_date is not null and p.payment_date < k.start_date
            then 'before start' else 'after end' end as side,
        n.days_outside,
        n.contract_ids
    from nearest as n
    inner join payments as p using (row_id)
    inner join classified as c using (row_id)
    inner join contracts as k using (contract_id)
)

select * from final
order by source_file, source_row;
