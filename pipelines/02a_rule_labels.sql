-- 02a_rule_labels: what the catalogue rules are tested on, before 02_int_classified.
-- inputs : payments, rules
-- output : rule_patterns (temporary): rule_no, field ('org_unit', 'purpose', 'payee'),
--          pattern, one row per non-NULL pattern of a rule;
--          rule_labels (temporary): field, value, one row per distinct label of that field
--          in payments (NULL read as '', as the rules see it);
--          rule_hits (temporary, empty): filled by 02b_rule_hits_append, one pattern at a time
-- grain  : see each table
-- units  : none (labels only)
-- Run by placespend.apportion.match_rules. A pattern read from a column is compiled by RE2
-- again for every row it meets (~50 µs each); passed as a parameter it is compiled once. So
-- each pattern is tested in its own statement (02b), against each distinct label once.
create or replace temp table rule_patterns as
select rule_no, field, pattern
from (
    unpivot (select rule_no, org_unit_pattern, purpose_pattern, payee_pattern from rules)
    on org_unit_pattern as 'org_unit', purpose_pattern as 'purpose', payee_pattern as 'payee'
    into name field value pattern
)
where pattern is not null
order by rule_no, field;

create or replace temp table rule_labels as
select distinct 'org_unit' as field, coalesce(org_unit, '') as value from payments
union all
select distinct 'purpose', coalesce(purpose, '') from payments
union all
select distinct 'payee', coalesce(payee, '') from payments;

create or replace temp table rule_hits (rule_no bigint, field varchar, value varchar);
