-- estate_coverage: how many of the council-renting households (2011 Census, split inside an
-- output area by residential footprint) each estate holds, and how much of its area is
-- railway, commercial, retail, campus, park or water land.
-- inputs : estates, atoms, atom_keys
-- params : none
-- grain  : one row per estate
-- units  : council_households households; share_of_council_households and
--          nonresidential_share fractions (0-1); area_m2 m²
with

council as (
    select a.estate_id, sum(k.weight) as council_households
    from atom_keys as k
    join atoms as a using (atom_id)
    where k.key = 'council_households'
    group by a.estate_id
),

borough as (
    select sum(council_households) as total from council
),

final as (
    select
        e.estate_id,
        e.name as estate_name,
        e.source,
        e.area_m2,
        coalesce(c.council_households, 0) as council_households,
        coalesce(c.council_households, 0) / nullif(b.total, 0) as share_of_council_households,
        e.nonresidential_share
    from estates as e
    cross join borough as b
    left join council as c using (estate_id)
)

select * from final
order by council_households desc, estate_id
