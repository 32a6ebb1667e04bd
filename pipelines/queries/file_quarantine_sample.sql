-- file_quarantine_sample: the first quarantined rows of one spend file, for error messages.
-- inputs : spend_quarantine
-- params : $source_file, $limit
-- grain  : one row per quarantined row of that file, at most $limit, in file order
-- units  : none
select source_row, reason
from spend_quarantine
where source_file = $source_file
order by source_row
limit $limit
