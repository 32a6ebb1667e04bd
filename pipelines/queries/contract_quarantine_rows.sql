-- contract_quarantine_rows: register rows not accepted, with file, line, reasons and text.
-- inputs : contract_quarantine
-- params : $limit
-- grain  : one row per quarantined register row, at most $limit, in file order
-- units  : value_pence integer pence where the value itself parsed
select source_file, source_row, contract_id, supplier, reason, value_text, value_pence, raw
from contract_quarantine
order by source_file, source_row
limit $limit
