-- 01d_ingest_check: recount each file from the raw rows and from the two output tables, so
-- placespend.ingest can prove nothing was lost or counted twice.
-- inputs : raw_read_totals (counted from raw_spend by 00e), payments, spend_quarantine,
--          ingest_summary
-- output : a result set (no table), one row per source file
-- grain  : one row per source file
-- units  : *_pence integer pence, signed
with

read as (
    select * from raw_read_totals
),

accepted as (
    select source_file, count(*) as n, coalesce(sum(amount_pence), 0) as pence
    from payments
    group by source_file
),

refused as (
    select
        source_file,
        count(*) as n,
        coalesce(sum(amount_pence), 0) as pence,
        count(*) filter (where amount_pence is null) as unparsed
    from spend_quarantine
    group by source_file
),

final as (
    select
        s.source_file,
        r.raw_rows,
        cast(r.read_pence as bigint) as read_pence,
        coalesce(a.n, 0) as payments_rows,
        cast(coalesce(a.pence, 0) as bigint) as payments_pence,
        coalesce(q.n, 0) as quarantine_rows,
        cast(coalesce(q.pence, 0) as bigint) as quarantine_pence,
        coalesce(q.unparsed, 0) as quarantine_unparsed,
        s.rows_read,
        s.rows_accepted,
        s.rows_quarantined,
        s.accepted_pence,
        s.quarantined_pence,
        s.quarantined_unparsed_rows,
        (select count(*) - count(distinct row_id) from payments) as duplicate_row_ids
    from ingest_summary as s
    left join read as r using (source_file)
    left join accepted as a using (source_file)
    left join refused as q using (source_file)
)

select * from final;
