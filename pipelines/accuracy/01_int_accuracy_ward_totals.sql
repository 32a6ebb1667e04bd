-- 01_int_accuracy_ward_totals: every census count tested, summed over each scope's atoms, as if
-- it were the value of a contract to be shared back out: ward-wide (one scope per ward) and
-- borough-wide (one scope, 'borough', over every atom), the two scopes money is shared over.
-- inputs : atoms, atom_keys, accuracy_truth (which counts are tested)
-- output : accuracy_ward_totals
-- grain  : one row per (quantity, scope_type, ward_code); ward_code is the scope's code
--          (the ward, or 'borough')
-- units  : ward_total in the count's own unit (households, people, dwellings), DOUBLE
-- The atoms carry each output area's count split inside it (atoms.py), so a ward's total is the
-- sum of its output areas' counts, pieces of straddling areas included.
create or replace table accuracy_ward_totals as
with

scoped as (
    select atom_id, 'ward' as scope_type, ward_code as scope_code from atoms
    union all
    select atom_id, 'borough' as scope_type, 'borough' as scope_code from atoms
),

quantities as (
    select distinct quantity
    from accuracy_truth
),

final as (
    select
        q.quantity,
        a.scope_type,
        a.scope_code as ward_code,
        sum(k.weight) as ward_total
    from quantities as q
    inner join atom_keys as k
        on k.key = q.quantity
    inner join scoped as a
        on a.atom_id = k.atom_id
    group by q.quantity, a.scope_type, a.scope_code
)

select * from final
