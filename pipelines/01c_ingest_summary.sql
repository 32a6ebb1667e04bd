-- 01c_ingest_summary: rows and pence read, accepted and quarantined, per file.
-- inputs : stg_payments, spend_files (file_index, source_file: every file of the load, so a
--          file with no data rows still gets its row of zeros)
-- output : ingest_summary (contract in docs/ARCHITECTURE.md)
-- grain  : one row per source file
-- units  : *_pence integer pence, signed; *_rows counts of rows
-- Invariant (checked by placespend.ingest against payments and spend_quarantine):
-- rows_read = rows_accepted + rows_quarantined, and the pence of every parseable amount read
-- = accepted_pence + quarantined_pence.
create or replace table ingest_summary as
with

per_file as (
    select
        file_index,
        source_file,
        count(*) as rows_read,
        count(*) filter (where reason is null) as rows_accepted,
        count(*) filter (where reason is not null) as rows_quarantined,
        coalesce(sum(amount_pence) filter (where reason is null), 0) as accepted_pence,
        coalesce(sum(amount_pence) filter (where reason is not null), 0) as quarantined_pence,
        count(*) filter (where reason is not null and amount_pence is null)
            as quarantined_unparsed_rows
    from stg_payments
    group by file_index, source_file
),

final as (
    select
        f.source_file,
        coalesce(p.rows_read, 0) as rows_read,
        coalesce(p.rows_accepted, 0) as rows_accepted,
        coalesce(p.rows_quarantined, 0) as rows_quarantined,
        cast(coalesce(p.accepted_pence, 0) as bigint) as accepted_pence,
        cast(coalesce(p.quarantined_pence, 0) as bigint) as quarantined_pence,
        coalesce(p.quarantined_unparsed_rows, 0) as quarantined_unparsed_rows
    from spend_files as f
    left join per_file as p using (file_index)
    order by f.file_index
)

select * from final;
