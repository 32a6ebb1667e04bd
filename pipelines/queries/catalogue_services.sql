-- catalogue_services: the service catalogue as the app shows it.
-- inputs : services
-- params : none
-- grain  : one row per service_id
-- units  : none (outcomes are ';'-joined outcome ids)
select service_id, name, directorate, outcomes, key, delegable, place_based
from services
order by directorate, name
