-- 01_int_accuracy_ward_totals: every census count tested, summed over each ward's atoms, as if
-- it were the value of a ward-wide contract to be shared back out.
-- inputs : atoms, atom_keys, accuracy_truth (which counts are tested)
-- output : accuracy_ward_totals
-- grain  : one row per (quantity, ward_code)
-- units  : ward_total in the count's own unit (households, people, dwellings), DOUBLE
-- The atoms carry each output area's count split inside it (atoms.py), so a ward's total is the
-- sum of its output areas' counts, pieces of straddling areas included.
create or replace table accuracy_ward_totals as
with

quantities as (
    select distinct quantity
    from accuracy_truth
),

final as (
    select
        q.quantity,
        a.ward_code,
        sum(k.weight) as ward_total
    from quantities as q
    inner join atom_keys as k
        on k.key = q.quantity
    inner join atoms as a
        on a.atom_id = k.atom_id
    group by q.quantity, a.ward_code
)

select * from final
