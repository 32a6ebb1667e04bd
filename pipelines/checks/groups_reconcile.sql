-- groups_reconcile: every spend group's money arrives on its estates and residuals under
-- every key, to the penny (reconciliation.difference_pence = 0 on every row).
-- inputs : reconciliation (10_mart_reconciliation)
-- output : the offending rows: each (group_id, key) whose money did not arrive, largest first
-- grain  : one row per mismatched (group_id, key)
-- units  : *_pence integer pence
select *
from reconciliation
where difference_pence <> 0
order by abs(difference_pence) desc, group_id, key;
