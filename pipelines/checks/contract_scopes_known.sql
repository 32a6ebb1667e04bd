-- contract_scopes_known: every ward- or estate-scoped contract names a ward of `wards` or an
-- estate of `estates` (the load refuses others, 01g_contract_scopes).
-- inputs : contracts, wards, estates
-- output : the offending rows: each contract with an unknown scope_code
-- grain  : one row per contract_id
-- units  : none
select contract_id, scope_type, scope_code
from contracts
where (scope_type = 'ward' and scope_code not in (select ward_code from wards))
   or (scope_type = 'estate' and scope_code not in (select estate_id from estates))
order by contract_id;
