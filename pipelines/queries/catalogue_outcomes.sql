-- catalogue_outcomes: the Estates Mission outcomes services serve.
-- inputs : outcomes
-- params : none
-- grain  : one row per outcome_id
-- units  : none
select outcome_id, label
from outcomes
order by outcome_id
