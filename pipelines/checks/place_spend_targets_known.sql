-- place_spend_targets_known: every place money lands on is known: an estate's target_id is
-- an estate of `estates`, a residual's a ward of `wards`.
-- inputs : place_spend, estates, wards
-- output : the offending rows: each unknown (target_type, target_id), with its pence
-- grain  : one row per unknown target
-- units  : amount_pence integer pence
select target_type, target_id, count(*) as place_spend_rows, sum(amount_pence)::bigint as amount_pence
from place_spend
where (target_type = 'estate' and target_id not in (select estate_id from estates))
   or (target_type = 'residual' and target_id not in (select ward_code from wards))
   or target_type not in ('estate', 'residual')
group by target_type, target_id
order by target_type, target_id;
