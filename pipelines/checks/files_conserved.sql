-- files_conserved: each spend file's summary agrees with the rows it left in payments and
-- spend_quarantine (rows read = accepted + quarantined; rows and pence of each table as the
-- summary says; quarantined rows whose amount did not parse, likewise).
-- inputs : ingest_summary, payments, spend_quarantine
-- output : the offending rows: each file whose figures disagree, `fails` naming the rules
--          it breaks
-- grain  : one row per source file that fails
-- units  : *_pence integer pence, signed; rows are counts
with

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

compared as (
    select
        s.source_file,
        s.rows_read,
        s.rows_accepted,
        s.rows_quarantined,
        coalesce(a.n, 0) as payments_rows,
        coalesce(q.n, 0) as quarantine_rows,
        s.accepted_pence,
        cast(coalesce(a.pence, 0) as bigint) as payments_pence,
        s.quarantined_pence,
        cast(coalesce(q.pence, 0) as bigint) as quarantine_pence,
        s.quarantined_unparsed_rows,
        coalesce(q.unparsed, 0) as quarantine_unparsed
    from ingest_summary as s
    left join accepted as a using (source_file)
    left join refused as q using (source_file)
),

final as (
    select
        *,
        concat_ws('; ',
            case when rows_read <> rows_accepted + rows_quarantined
                 then 'rows_read = rows_accepted + rows_quarantined' end,
            case when payments_rows <> rows_accepted then 'payments rows = rows_accepted' end,
            case when quarantine_rows <> rows_quarantined
                 then 'quarantine rows = rows_quarantined' end,
            case when payments_pence <> accepted_pence
                 then 'payments pence = accepted_pence' end,
            case when quarantine_pence <> quarantined_pence
                 then 'quarantine pence = quarantined_pence' end,
            case when quarantine_unparsed <> quarantined_unparsed_rows
                 then 'unparsed quarantined rows agree' end
        ) as fails  -- the rules this file breaks, worded as placespend.ingest words them
    from compared
)

select * from final
where fails <> ''
order by source_file;
