-- 02_int_classified: which catalogue service each accepted payment belongs to.
-- inputs : payments (one row per accepted payment line), rules (ordered catalogue rules;
--          NULL pattern = any value; patterns are RE2, matched case-insensitively),
--          rule_patterns and rule_hits (from 02a_rule_labels and 02b_rule_hits_append, run
--          by placespend.apportion.match_rules: which labels each pattern matches)
-- output : classified
-- grain  : one row per payments.row_id
-- units  : none (labels only); service_id NULL when no rule matches
-- A rule matches a payment when every pattern it has matches the payment's label in that
-- field (a NULL label is tested as ''). The first matching rule wins. Patterns were tested
-- once per distinct label, and rules are resolved once per distinct (org_unit, purpose,
-- payee) combination: a council export repeats the same few thousand combinations.
create or replace table classified as
with

combos as (
    select distinct org_unit, purpose, payee
    from payments
),

pattern_counts as (
    select rule_no, count(*) as n_patterns
    from rule_patterns
    group by rule_no
),

combo_hits as (
    select c.org_unit, c.purpose, c.payee, h.rule_no
    from combos as c
    inner join rule_hits as h
        on h.field = 'org_unit' and h.value = coalesce(c.org_unit, '')
    union all
    select c.org_unit, c.purpose, c.payee, h.rule_no
    from combos as c
    inner join rule_hits as h
        on h.field = 'purpose' and h.value = coalesce(c.purpose, '')
    union all
    select c.org_unit, c.purpose, c.payee, h.rule_no
    from combos as c
    inner join rule_hits as h
        on h.field = 'payee' and h.value = coalesce(c.payee, '')
),

matches as (
    select
        h.org_unit,
        h.purpose,
        h.payee,
        h.rule_no,
        any_value(r.service_id) as service_id
    from combo_hits as h
    inner join pattern_counts as n using (rule_no)
    inner join rules as r using (rule_no)
    group by h.org_unit, h.purpose, h.payee, h.rule_no
    having count(*) = any_value(n.n_patterns)
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
