-- repeated_files: the files of a load that hold the same rows as an earlier file of it (a copy
-- re-saved with other line endings or encoding, or with its lines in another order), so
-- placespend.ingest can refuse the copy as it refuses byte-identical ones.
-- inputs : stg_payments (row_key: a hash of the row's normalised mapped fields; repeats_file:
--          the earlier file a row repeats, see 01_stg_payments)
-- grain  : one row per repeated file (later_file), with the first file it repeats
-- units  : none
-- A file's fingerprint is its row count and the sum of its rows' keys, whatever their order;
-- it is a copy when an earlier file has the same fingerprint (and, as a check on the hash, some
-- of its rows repeat an earlier file's: not only broken rows, which have no fields to compare).
with

prints as (
    select
        file_index,
        source_file,
        count(*) as n_rows,
        sum(row_key::hugeint) as key_sum,
        count(*) filter (where repeats_file is not null) as repeated_rows
    from stg_payments
    group by file_index, source_file
),

copies as (
    select
        later.file_index,
        later.source_file as later_file,
        min(earlier.file_index) as earlier_index,
        arg_min(earlier.source_file, earlier.file_index) as earlier_file
    from prints as later
    join prints as earlier
        on earlier.file_index < later.file_index
        and earlier.n_rows = later.n_rows
        and earlier.key_sum = later.key_sum
    where later.repeated_rows > 0
    group by later.file_index, later.source_file
),

final as (
    select later_file, earlier_file
    from copies
    order by file_index
)

select * from final
