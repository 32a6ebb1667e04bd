-- contract_register_summary: each register's rows and contract value, read = accepted +
-- quarantined.
-- inputs : contract_summary
-- grain  : one row per register file
-- units  : *_value_pence integer pence
select *
from contract_summary
order by source_file
