-- editor_estates: the estates the estate editor starts from, with their outlines.
-- inputs : estates
-- params : none
-- grain  : one row per estate
-- units  : geometry_wkb WKB in EPSG:27700
with

final as (
    select
        estate_id,
        name,
        source,
        aliases,
        boundary_note,
        geometry_wkb
    from estates
)

select * from final
order by estate_id
