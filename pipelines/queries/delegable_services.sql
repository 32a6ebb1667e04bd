-- delegable_services: the services the catalogue marks as delegable to residents (pre-ticked
--          in a participatory budgeting pot).
-- inputs : services
-- params : none
-- grain  : one row per service
-- units  : none
select service_id, name as service
from services
where delegable
order by name
