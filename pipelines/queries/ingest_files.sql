-- ingest_files: what each spend file gave: rows and pence read, accepted and quarantined.
-- inputs : ingest_summary, payments, spend_quarantine
-- grain  : one row per spend file, in load order
-- units  : *_rows counts; *_pence integer pence, signed (quarantined: rows whose amount
--          parsed); *_gross_pence the same rows' absolute amounts summed (the money moved,
--          whatever its sign, for the share of £ not accepted)
with accepted as (
    select source_file, sum(abs(amount_pence))::bigint as gross_pence
    from payments
    group by source_file
),

quarantined as (
    select source_file, sum(abs(amount_pence))::bigint as gross_pence
    from spend_quarantine
    group by source_file
),

final as (
    select
        s.source_file,
        s.rows_read,
        s.rows_accepted,
        s.rows_quarantined,
        s.accepted_pence,
        s.quarantined_pence,
        s.quarantined_unparsed_rows,
        coalesce(a.gross_pence, 0)::bigint as accepted_gross_pence,
        coalesce(q.gross_pence, 0)::bigint as quarantined_gross_pence,
        s.rowid as load_order  -- ingest_summary is written in load order
    from ingest_summary as s
    left join accepted as a using (source_file)
    left join quarantined as q using (source_file)
)

select * exclude (load_order) from final order by load_order
