-- 00a_raw_spend_init: empty holding tables for the rows read from this load's spend files, and
-- the one view of all of them that the later steps read.
-- inputs : none
-- output : raw_careful (temporary), filled by 00d_raw_spend_append with the careful reader's
--          rows; raw_fast (temporary), filled by 00c_raw_spend_append_csv straight from DuckDB's
--          CSV reader (the mapped columns only, so a clean file is read in one pass), and
--          raw_fast_files (temporary: per file, where its rows start in raw_fast and how they
--          are numbered, 00c_raw_fast_file); raw_spend (temporary view): both, numbered alike
-- grain  : raw_spend: one row per data row read (file_index, source_row); read_row numbers them
--          all, 1, 2, ... in file order over every file of the load
-- units  : all text: amount_text and fields (every field of the row, in file order) as read;
--          the mapped fields trimmed of surrounding whitespace, NULL when blank; unique_key
--          the values of the mapping's declared unique key (NULL when it declares none). A
--          DuckDB-read row keeps its fields only when its date is blank (a totals line's label
--          may sit in any field); its raw text is taken from the file for refused rows only
create or replace temp table raw_careful (
    file_index integer,
    source_file varchar,
    source_row bigint,
    read_row bigint,
    delimiter varchar,
    amount_text varchar,
    transaction_id varchar,
    date_clean varchar,
    amount_clean varchar,
    payee_clean varchar,
    purpose varchar,
    org_unit varchar,
    capital_or_revenue varchar,
    unique_key varchar[],
    fields varchar[],
    raw varchar,
    read_problem varchar,
    repair_note varchar
);

-- Rows in file order, file after file: a row's place in its file is its rowid less the file's
-- first_rowid (raw_fast_files).
create or replace temp table raw_fast (
    file_index integer,
    amount_text varchar,
    transaction_id varchar,
    date_clean varchar,
    amount_clean varchar,
    payee_clean varchar,
    purpose varchar,
    org_unit varchar,
    capital_or_revenue varchar,
    unique_key varchar[],
    fields varchar[]
);

create or replace temp table raw_fast_files (
    file_index integer,
    source_file varchar,
    delimiter varchar,
    first_rowid bigint,  -- NULL while the file is being read
    row_offset bigint,  -- lines before the first data row, plus one
    rows_before bigint  -- rows read from the load's earlier files
);

create or replace temp view raw_spend as
select * from raw_careful
union all
select
    r.file_index,
    f.source_file,
    r.rowid - f.first_rowid + f.row_offset as source_row,
    r.rowid - f.first_rowid + f.rows_before + 1 as read_row,
    f.delimiter,
    r.amount_text,
    r.transaction_id,
    r.date_clean,
    r.amount_clean,
    r.payee_clean,
    r.purpose,
    r.org_unit,
    r.capital_or_revenue,
    r.unique_key,
    r.fields,
    cast(null as varchar) as raw,
    cast(null as varchar) as read_problem,
    cast(null as varchar) as repair_note
from raw_fast as r
inner join raw_fast_files as f using (file_index);
