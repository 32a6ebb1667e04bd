-- rows_conserved: every row read is accepted or quarantined, and every accepted row is a
-- payment (rows read = accepted + quarantined; accepted = rows of payments).
-- inputs : ingest_summary, payments
-- output : the offending rows: one row (the store's counts) when the rule fails, else none
-- grain  : one row
-- units  : counts of rows
with

ingest as (
    select
        coalesce(sum(rows_read), 0)::bigint as rows_read,
        coalesce(sum(rows_accepted), 0)::bigint as rows_accepted,
        coalesce(sum(rows_quarantined), 0)::bigint as rows_quarantined
    from ingest_summary
),

final as (
    select i.*, (select count(*) from payments) as payment_rows
    from ingest as i
)

select * from final
where rows_read <> rows_accepted + rows_quarantined
   or rows_accepted <> payment_rows;
