-- place_spend_unique: place_spend holds each (group_id, target_type, target_id) once.
-- inputs : place_spend
-- output : the offending rows: each key held by more than one row
-- grain  : one row per repeated (group_id, target_type, target_id)
-- units  : copies is a count
select group_id, target_type, target_id, count(*) as copies
from place_spend
group by group_id, target_type, target_id
having count(*) > 1
order by group_id, target_type, target_id;
