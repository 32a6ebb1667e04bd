-- ward_names: every ward's code and name (no geometry), for labels beside ward codes.
-- inputs : wards
-- grain  : one row per ward
select ward_code, ward_name
from wards
order by ward_code
