-- contract_unmatched: contracts that no payment matched, largest value first.
-- inputs : contracts_without_payments
-- params : $limit
-- grain  : one row per contract, at most $limit
-- units  : *_pence integer pence
select *
from contracts_without_payments
order by value_pence desc nulls last, contract_id
limit $limit
