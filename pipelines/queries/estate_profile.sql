-- estate_profile: one estate's attributes and outline, with its residents estimated from the
--          atoms (2011 Census residents, split by residential footprint).
-- inputs : estates, atoms, atom_keys
-- params : $estate_id
-- grain  : one row (none when the id is unknown)
-- units  : area_m2 m2; households_est, council_households_est households; residents_est
--          people; geometry_wkb WKB in EPSG:27700
with

residents as (
    select a.estate_id, sum(k.weight) as residents_est
    from atoms as a
    inner join atom_keys as k using (atom_id)
    where a.estate_id = $estate_id and k.key = 'residents'
    group by a.estate_id
),

final as (
    select
        e.estate_id,
        e.name as estate_name,
        e.source,
        e.ward_codes,
        e.area_m2,
        e.households_est,
        e.council_households_est,
        r.residents_est,
        e.boundary_note,
        e.osm_ref,
        e.geometry_wkb
    from estates as e
    left join residents as r using (estate_id)
    where e.estate_id = $estate_id
)

select * from final
