-- catalogue_services: the service catalogue as the app shows it.
-- inputs : services
-- params : none
-- grain  : one row per service_id
-- units  : none (outcomes are ';'-joined outcome ids, the primary one first, which
--          primary_outcome repeats)
select service_id, name, directorate, outcomes, primary_outcome, key, delegable, place_based,
    capital
from services
order by directorate, name
