-- 10_mart_reconciliation: does every group's money arrive, to the penny, under every key?
-- inputs : spend_groups, allocation
-- output : reconciliation
-- grain  : one row per (group_id, key) for apportioned and direct groups
-- units  : *_pence (integer pence, signed)
-- difference_pence must be 0 on every row; the build fails loudly otherwise.
create or replace table reconciliation as
with

allocated as (
    select
        group_id,
        coalesce(key, '(direct)') as key,
        sum(amount_pence)::bigint as allocated_pence,
        sum(case when target_type = 'estate' then amount_pence else 0 end)::bigint
            as estates_pence,
        sum(case when target_type = 'residual' then amount_pence else 0 end)::bigint
            as residual_pence
    from allocation
    group by group_id, coalesce(key, '(direct)')
),

final as (
    select
        g.group_id,
        g.service_id,
        g.financial_year,
        g.basis,
        g.scope_type,
        g.scope_code,
        coalesce(a.key, g.key, '(direct)') as key,
        g.total_pence as input_pence,
        coalesce(a.allocated_pence, 0) as allocated_pence,
        coalesce(a.estates_pence, 0) as estates_pence,
        coalesce(a.residual_pence, 0) as residual_pence,
        g.total_pence - coalesce(a.allocated_pence, 0) as difference_pence
    from spend_groups as g
    left join allocated as a using (group_id)
    where g.basis <> 'excluded'
)

select * from final
