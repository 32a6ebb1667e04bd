-- per_household_comparison: an estate's spend per household beside its ward(s), all estates
-- and the whole borough.
-- inputs : place_spend, estates, atoms, atom_keys, wards
-- params : $estate_id, $financial_year (NULL = every year, summed)
-- grain  : one row per place: the estate, each ward it touches, all estates, the borough
-- units  : total_pence integer pence; households (2011 Census, split as the households key);
--          a ward's total is its off-estate residual plus each estate's spend shared between
--          wards by the estate's households in each (exact for estates inside one ward)
with

spend as (
    select target_type, target_id, sum(amount_pence)::bigint as total_pence
    from place_spend
    where cast($financial_year as varchar) is null or financial_year = $financial_year
    group by all
),

atom_households as (
    select a.ward_code, a.estate_id, k.weight as households
    from atoms as a
    inner join atom_keys as k using (atom_id)
    where k.key = 'households'
),

estate_ward_share as (
    select
        estate_id,
        ward_code,
        sum(households) / nullif(sum(sum(households)) over (partition by estate_id), 0)
            as share
    from atom_households
    where estate_id is not null
    group by estate_id, ward_code
),

ward_spend as (
    select w.ward_code, sum(w.share * s.total_pence) as pence
    from estate_ward_share as w
    inner join spend as s on s.target_type = 'estate' and s.target_id = w.estate_id
    group by w.ward_code
    union all
    select target_id as ward_code, total_pence as pence
    from spend
    where target_type = 'residual'
),

this_estate as (
    select
        1 as sort_order,
        'estate' as level,
        e.estate_id as code,
        e.name as place,
        coalesce(s.total_pence, 0)::double as total_pence,
        e.households_est as households
    from estates as e
    left join spend as s on s.target_type = 'estate' and s.target_id = e.estate_id
    where e.estate_id = $estate_id
),

its_wards as (
    select
        2 as sort_order,
        'ward' as level,
        w.ward_code as code,
        w.ward_name as place,
        (select sum(pence) from ward_spend as ws where ws.ward_code = w.ward_code) as total_pence,
        (select sum(households) from atom_households as h where h.ward_code = w.ward_code)
            as households
    from wards as w
    where w.ward_code in (
        select ward_code from estate_ward_share where estate_id = $estate_id
    )
),

all_estates as (
    select
        3 as sort_order,
        'all estates' as level,
        '' as code,
        'All estates' as place,
        (select coalesce(sum(total_pence), 0) from spend where target_type = 'estate')::double
            as total_pence,
        (select sum(households_est) from estates) as households
),

borough as (
    select
        4 as sort_order,
        'borough' as level,
        '' as code,
        'Whole borough' as place,
        (select coalesce(sum(total_pence), 0) from spend)::double as total_pence,
        (select sum(households) from atom_households) as households
),

final as (
    select
        level,
        code,
        place,
        total_pence,
        households,
        case when households > 0 then total_pence / households end as per_household_pence
    from (
        select * from this_estate
        union all select * from its_wards
        union all select * from all_estates
        union all select * from borough
    )
    order by sort_order, place
)

select * from final
