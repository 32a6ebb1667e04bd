-- payment_ids_unique: payments.row_id is unique (each line read is one payment at most).
-- inputs : payments
-- output : the offending rows: each row_id held by more than one payment
-- grain  : one row per repeated row_id
-- units  : copies is a count
select row_id, count(*) as copies, min(source_file) as source_file, min(source_row) as source_row
from payments
group by row_id
having count(*) > 1
order by row_id;
