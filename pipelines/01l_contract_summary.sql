-- 01l_contract_summary: rows and contract value of each register, read = accepted + quarantined.
-- inputs : stg_contracts, raw_contract_rejects, contract_quarantine
-- output : contract_summary (contract in docs/ARCHITECTURE.md)
-- grain  : one row per register file
-- units  : *_value_pence integer pence (sums of the values that parsed)
create or replace table contract_summary as
with

read_rows as (
    select source_file, count(*) as rows_read, sum(value_pence) as read_value_pence
    from (
        select source_file, value_pence from stg_contracts
        union all
        select source_file, null::bigint from raw_contract_rejects
    )
    group by source_file
),

accepted as (
    select source_file, count(*) as rows_accepted, sum(value_pence) as accepted_value_pence
    from stg_contracts
    where problem is null
    group by source_file
),

quarantined as (
    select source_file, count(*) as rows_quarantined,
        sum(value_pence) as quarantined_value_pence
    from contract_quarantine
    group by source_file
),

final as (
    select
        r.source_file,
        r.rows_read,
        coalesce(a.rows_accepted, 0) as rows_accepted,
        coalesce(q.rows_quarantined, 0) as rows_quarantined,
        coalesce(r.read_value_pence, 0) as read_value_pence,
        coalesce(a.accepted_value_pence, 0) as accepted_value_pence,
        coalesce(q.quarantined_value_pence, 0) as quarantined_value_pence
    from read_rows as r
    left join accepted as a using (source_file)
    left join quarantined as q using (source_file)
)

select * from final
order by source_file;
