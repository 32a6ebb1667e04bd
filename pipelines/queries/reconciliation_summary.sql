-- reconciliation_summary: the whole build's money, from rows read to places, in one row.
-- inputs : ingest_summary, payments, place_spend, excluded_spend, reconciliation
-- grain  : one row
-- units  : *_pence integer pence; rows and groups are counts
with

ingest as (
    select
        sum(rows_read)::bigint as rows_read,
        sum(rows_accepted)::bigint as rows_accepted,
        sum(rows_quarantined)::bigint as rows_quarantined,
        sum(quarantined_pence)::bigint as quarantined_pence,
        sum(quarantined_unparsed_rows)::bigint as quarantined_unparsed_rows
    from ingest_summary
),

accepted as (
    select coalesce(sum(amount_pence), 0)::bigint as input_pence, count(*) as payment_rows
    from payments
),

places as (
    select
        coalesce(sum(case when target_type = 'estate' then amount_pence end), 0)::bigint
            as estates_pence,
        coalesce(sum(case when target_type = 'residual' then amount_pence end), 0)::bigint
            as residual_pence
    from place_spend
),

excluded as (
    select coalesce(sum(amount_pence), 0)::bigint as excluded_pence from excluded_spend
),

groups as (
    select
        count(*) as groups_checked,
        count(*) filter (where difference_pence <> 0) as groups_mismatched
    from reconciliation
)

select * from ingest, accepted, places, excluded, groups
