-- key_errors: the measured key errors copied into the store at build time (how far each key
--          missed 2011 Census truth; see docs/ACCURACY.md).
-- inputs : key_errors
-- params : none
-- grain  : one row per (level, key, basis)
-- units  : p50, p90, total_abs_error_share, max_rel_error are fractions
select * from key_errors
