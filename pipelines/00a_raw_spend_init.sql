-- 00a_raw_spend_init: an empty holding table for the rows read from this load's spend files.
-- inputs : none
-- output : raw_spend (temporary), filled file by file by 00d_raw_spend_append
-- grain  : one row per data row read (file_index, source_row); read_row numbers them all,
--          1, 2, ... in file order over every file of the load
-- units  : all text: amount_text and fields (every field of the row, in file order) as read;
--          the mapped fields trimmed of surrounding whitespace, NULL when blank; unique_key
--          the values of the mapping's declared unique key (NULL when it declares none)
create or replace temp table raw_spend (
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
