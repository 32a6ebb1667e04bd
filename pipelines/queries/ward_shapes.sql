-- ward_shapes: the analysis wards of the store (names and boundaries) for the app's map.
-- inputs : wards
-- params : none
-- grain  : one row per ward
-- units  : geometry_wkb WKB in EPSG:27700
select ward_code, ward_name, geometry_wkb
from wards
order by ward_name
