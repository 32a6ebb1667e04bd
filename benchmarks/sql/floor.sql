-- floor: the least any tool can do with the export: read it and total it by unit and month.
-- inputs : the spend CSV at $path (DuckDB's reader, types detected as a user would let it)
-- output : a result set, one row per (Organisational Unit, Payment Year, Payment Month)
-- units  : total_gbp in pounds
select
    "Organisational Unit" as org_unit,
    "Payment Year" as payment_year,
    "Payment Month" as payment_month,
    sum("Amount GBP") as total_gbp
from read_csv($path)
group by all
