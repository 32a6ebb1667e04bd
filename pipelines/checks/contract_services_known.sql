-- contract_services_known: every contract that names a service names one of `services`
-- (the load refuses others, 01h_contract_services).
-- inputs : contracts, services
-- output : the offending rows: each contract naming an unknown service
-- grain  : one row per contract_id
-- units  : none
select contract_id, service_id
from contracts
where service_id is not null
    and service_id not in (select service_id from services)
order by contract_id;
