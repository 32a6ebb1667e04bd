-- money_conserved: every accepted pound lands on an estate, in a ward's off-estate residual
-- or on the excluded line, to the penny (payments = estates + residual + excluded).
-- inputs : payments, place_spend, excluded_spend
-- output : the offending rows: one row (the totals and their difference) when the rule
--          fails, else none
-- grain  : one row
-- units  : *_pence integer pence
with

totals as (
    select
        (select coalesce(sum(amount_pence), 0) from payments)::bigint as input_pence,
        (select coalesce(sum(amount_pence), 0) from place_spend
         where target_type = 'estate')::bigint as estates_pence,
        (select coalesce(sum(amount_pence), 0) from place_spend
         where target_type = 'residual')::bigint as residual_pence,
        (select coalesce(sum(amount_pence), 0) from excluded_spend)::bigint as excluded_pence
),

final as (
    select *, input_pence - estates_pence - residual_pence - excluded_pence as difference_pence
    from totals
)

select * from final
where difference_pence <> 0;
