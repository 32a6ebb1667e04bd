-- 02_int_accuracy_oa_estimates: each scope's total pushed back down with every key and summed to
-- the output area, the way 06/07 share a ward- or borough-wide contract (in floats, without
-- rounding). A scope is a ward (scope_type 'ward') or the whole borough ('borough').
-- inputs : accuracy_ward_totals, atoms, atom_keys
-- params : $fallback_key (the key a ward falls back to when it holds none of the key asked for)
-- output : accuracy_oa_estimates
-- grain  : one row per (quantity, key, scope_type, area_code)
-- units  : estimate in the count's own unit, DOUBLE
--     estimate_i = sum over atoms a of area i of  T_w(a) * k_a / K_w(a),   K_w = sum_{b in w} k_b
-- fell_back is true where some atom of the area sat in a scope that holds none of the key.
create or replace table accuracy_oa_estimates as
with

scoped as (
    select atom_id, area_code, 'ward' as scope_type, ward_code from atoms
    union all
    select atom_id, area_code, 'borough' as scope_type, 'borough' as ward_code from atoms
),

ward_weights as (
    select
        a.scope_type,
        a.ward_code,
        k.key,
        sum(k.weight) as ward_weight
    from scoped as a
    inner join atom_keys as k
        on k.atom_id = a.atom_id
    group by a.scope_type, a.ward_code, k.key
),

resolved as (
    select
        scope_type,
        ward_code,
        key as key_requested,
        case when ward_weight > 0 then key else $fallback_key end as key_used
    from ward_weights
),

atom_shares as (
    select
        a.area_code,
        a.scope_type,
        a.ward_code,
        r.key_requested,
        r.key_used,
        k.weight / w.ward_weight as share
    from scoped as a
    inner join resolved as r
        on r.scope_type = a.scope_type and r.ward_code = a.ward_code
    inner join atom_keys as k
        on k.atom_id = a.atom_id and k.key = r.key_used
    inner join ward_weights as w
        on w.scope_type = a.scope_type and w.ward_code = a.ward_code and w.key = r.key_used
    where w.ward_weight > 0
),

final as (
    select
        t.quantity,
        s.key_requested as key,
        s.scope_type,
        s.area_code,
        sum(t.ward_total * s.share) as estimate,
        bool_or(s.key_used <> s.key_requested) as fell_back
    from accuracy_ward_totals as t
    inner join atom_shares as s
        on s.scope_type = t.scope_type and s.ward_code = t.ward_code
    group by t.quantity, s.key_requested, s.scope_type, s.area_code
)

select * from final
