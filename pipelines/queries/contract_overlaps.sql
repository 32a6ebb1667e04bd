-- contract_overlaps: payments claimed by two or more contracts with different scopes (the
-- same supplier and service or purpose, dates that overlap), which 04_int_spend_lines sends
-- borough-wide as 'ambiguous contract'; one row per set of contracts claiming them.
-- inputs : linked, payments
-- grain  : one row per contract_ids (the matching contracts, in id order)
-- units  : amount_pence integer pence (signed sum); lines = payment lines
with

ambiguous as (
    select l.contract_ids, p.payment_date, p.amount_pence
    from linked as l
    inner join payments as p using (row_id)
    where l.link_status = 'ambiguous contract'
),

final as (
    select
        contract_ids,
        count(*) as lines,
        sum(amount_pence)::bigint as amount_pence,
        min(payment_date) as first_payment,
        max(payment_date) as last_payment
    from ambiguous
    group by contract_ids
)

select * from final
order by amount_pence desc, contract_ids
