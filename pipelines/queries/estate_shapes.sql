-- estate_shapes: estate attributes and boundaries for the app's map (geometry reprojected once,
-- in Python).
-- inputs : estates
-- params : none
-- grain  : one row per estate
-- units  : area_m2 m²; households_est, council_households_est households;
--          geometry_wkb WKB in EPSG:27700
with

final as (
    select
        estate_id,
        name as estate_name,
        source,
        ward_codes,
        area_m2,
        households_est,
        council_households_est,
        boundary_note,
        geometry_wkb
    from estates
)

select * from final
order by estate_name, estate_id
