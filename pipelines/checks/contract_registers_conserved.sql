-- contract_registers_conserved: each contracts register's rows and value are conserved
-- (rows read = accepted + quarantined; value read = accepted + quarantined value).
-- inputs : contract_summary
-- output : the offending rows: each register whose figures disagree
-- grain  : one row per register that fails
-- units  : *_pence integer pence; rows are counts
select *
from contract_summary
where rows_read <> rows_accepted + rows_quarantined
   or read_value_pence <> accepted_value_pence + quarantined_value_pence
order by source_file;
