-- 05_int_linked: the geographic scope of each payment, from the contracts register: a view of
-- the link columns of spend_lines (04_int_spend_lines works the links out in its one pass over
-- the lines; this keeps their own name for the marts, queries and anyone reading the store).
-- inputs : spend_lines
-- output : linked (a view)
-- grain  : one row per payments.row_id
-- units  : match_score 0-100 (100 unless the supplier matched by a near match); service_id NULL
--          when neither a catalogue rule nor a contract gives one (spend_lines says
--          'unclassified')
create or replace view linked as
with

lines as (
    select * from spend_lines
),

final as (
    select
        row_id,
        case when exclusion_reason like 'unclassified%' then null else service_id end
            as service_id,
        contract_id,
        scope_type,
        scope_code,
        link_status,
        contract_ids,
        supplier_match,
        match_score
    from lines
)

select * from final
