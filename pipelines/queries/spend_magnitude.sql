-- spend_magnitude: how large the amounts read are, so placespend can refuse a load whose sums
-- would not fit its integer pence (BIGINT), naming the largest amount.
-- inputs : stg_payments
-- params : $most_gross_pence (the largest sum of absolute pence allowed)
-- grain  : one row
-- units  : gross_pence as text (HUGEINT: the sum of the absolute pence of every amount that
--          parsed), too_big = gross_pence > $most_gross_pence
select
    coalesce(sum(abs(amount_pence)::hugeint), 0) > $most_gross_pence as too_big,
    cast(coalesce(sum(abs(amount_pence)::hugeint), 0) as varchar) as gross_pence,
    arg_max(source_file, abs(amount_pence)) as largest_file,
    arg_max(source_row, abs(amount_pence)) as largest_row,
    arg_max(amount_text, abs(amount_pence)) as largest_text
from stg_payments
where amount_pence is not null
