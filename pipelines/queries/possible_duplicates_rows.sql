-- possible_duplicates_rows: the first lines of possible_duplicates (accepted lines repeating an
-- earlier line of their file in every mapped field), for `placespend quarantine --suspects`.
-- inputs : possible_duplicates
-- params : $limit (rows)
-- grain  : one row per such line, in file and line order
-- units  : amount_pence integer pence, signed
select
    source_file,
    source_row,
    first_row,
    payment_date,
    payee,
    purpose,
    amount_pence
from possible_duplicates
order by source_file, source_row
limit $limit
