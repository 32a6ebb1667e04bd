-- 02b_rule_hits_append: the labels one rule pattern matches (RE2, case-insensitive search).
-- inputs : rule_labels (from 02a_rule_labels)
-- params : $rule_no, $field ('org_unit', 'purpose' or 'payee'), $pattern (the rule's RE2
--          pattern for that field; a parameter, so RE2 compiles it once)
-- output : rows appended to rule_hits
-- grain  : one row per (rule_no, field, value) that matches
-- units  : none
insert into rule_hits
select $rule_no, field, value
from rule_labels
where field = $field
    and regexp_matches(value, $pattern, 'i');
