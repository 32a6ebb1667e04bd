-- service_attributes: every catalogue field of every service, for the participatory budgeting
--          page (estate_service, unit and unit_cost_pence where the store has them; a store
--          built before those fields existed has not, and Python fills them in).
-- inputs : services
-- params : none
-- grain  : one row per service_id
-- units  : unit_cost_pence integer pence per unit
select *
from services
order by service_id
