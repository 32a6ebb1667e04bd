-- financial_years: the UK financial years (April-March) present in the spend, newest first.
-- inputs : spend_groups
-- grain  : one row per financial_year
select distinct financial_year
from spend_groups
order by financial_year desc
