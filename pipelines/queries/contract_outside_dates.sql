-- contract_outside_dates: payments to a contracted supplier outside its contracts' dates.
-- inputs : payments_outside_contract_dates
-- params : $limit
-- grain  : one row per payment line, at most $limit, in file order
-- units  : amount_pence integer pence
select *
from payments_outside_contract_dates
order by source_file, source_row
limit $limit
