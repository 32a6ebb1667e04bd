-- quarantine_rows: spend rows that were not accepted, with file, line and reason.
-- inputs : spend_quarantine
-- params : $limit
-- grain  : one row per quarantined row, at most $limit, in file order
-- units  : amount_pence integer pence where the amount itself parsed, else NULL
select source_file, source_row, reason, amount_text, amount_pence
from spend_quarantine
order by source_file, source_row
limit $limit
