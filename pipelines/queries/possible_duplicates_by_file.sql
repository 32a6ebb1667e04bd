-- possible_duplicates_by_file: the accepted lines that repeat an earlier line of their file in
-- every mapped field (01i_possible_duplicates), counted per file for the build summary.
-- inputs : possible_duplicates
-- grain  : one row per file with such lines, in file order
-- units  : pence integer pence, signed
select
    source_file,
    count(*) as n_rows,
    cast(coalesce(sum(amount_pence), 0) as bigint) as pence
from possible_duplicates
group by source_file
order by source_file
