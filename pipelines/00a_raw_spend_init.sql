-- 00a_raw_spend_init: an empty holding table for the rows read from this load's spend files.
-- inputs : none
-- output : raw_spend (temporary), filled file by file by 00d_raw_spend_append
-- grain  : one row per data row read (file_index, source_row)
-- units  : all text, as read; fields = every field of the row in file order
create or replace temp table raw_spend (
    file_index integer,
    source_file varchar,
    source_row bigint,
    delimiter varchar,
    transaction_id_text varchar,
    date_text varchar,
    amount_text varchar,
    payee_text varchar,
    purpose_text varchar,
    org_unit_text varchar,
    fields varchar[],
    raw varchar,
    read_problem varchar,
    repair_note varchar
);
