-- ingest_files: what each spend file gave: rows and pence read, accepted and quarantined.
-- inputs : ingest_summary
-- grain  : one row per spend file, in load order
-- units  : *_rows counts; *_pence integer pence, signed (quarantined: rows whose amount parsed)
select
    source_file,
    rows_read,
    rows_accepted,
    rows_quarantined,
    accepted_pence,
    quarantined_pence,
    quarantined_unparsed_rows
from ingest_summary
