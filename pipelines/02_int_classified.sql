-- 02_int_classified: which catalogue service each accepted payment belongs to.
-- inputs : payments (one row per accepted payment line), rules (ordered catalogue rules;
--          NULL pattern = any value; patterns are RE2, matched case-insensitively)
-- output : classified
-- grain  : one row per payments.row_id
-- units  : none (labels only); service_id NULL when no rule matches
-- Rules are evaluated once per distinct (org_unit, purpose, payee) label combination, not per
-- line: a council export repeats the same few thousand combinations across its rows.
create or replace table classified as
with

combos as (
    select distinct org_unit, purpose, payee
    from payments
),

matches as (
    select
        c.org_unit,
        c.purpose,
        c.payee,
        r.rule_no,
        r.service_id
    from combos as c
    inner join rules as r
        on  (r.org_unit_pattern is null
             or regexp_matches(coalesce(c.org_unit, ''), r.org_unit_pattern, 'i'))
        and (r.purpose_pattern is null
             or regexp_matches(coalesce(c.purpose, ''), r.purpose_pattern, 'i'))
        and (r.payee_pattern is null
             or regexp_matches(coalesce(c.payee, ''), r.payee_pattern, 'i'))
),

first_match as (
    select
        org_unit,
        purpose,
        payee,
        min(rule_no) as rule_no,
        arg_min(service_id, rule_no) as service_id
    from matches
    group by org_unit, purpose, payee
),

final as (
    select
        p.row_id,
        f.service_id,
        f.rule_no
    from payments as p
    left join first_match as f
        on  p.org_unit is not distinct from f.org_unit
        and p.purpose is not distinct from f.purpose
        and p.payee is not distinct from f.payee
)

select * from final
