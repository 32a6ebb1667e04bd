-- reconciliation_mismatches: sample of (group, key) rows where money did not arrive.
-- inputs : reconciliation
-- grain  : one row per mismatched (group_id, key), at most 20
-- units  : *_pence integer pence
select *
from reconciliation
where difference_pence <> 0
order by abs(difference_pence) desc, group_id, key
limit 20
