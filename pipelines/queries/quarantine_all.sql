-- quarantine_all: every spend row not accepted, with its file, line, reason and text as published.
-- inputs : spend_quarantine
-- grain  : one row per quarantined row, in file order
-- units  : amount_pence integer pence where the amount itself parsed, else NULL
select source_file, source_row, reason, amount_text, amount_pence, raw
from spend_quarantine
order by source_file, source_row
