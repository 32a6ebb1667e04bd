-- unnamed_amounts: whether any row read has an amount but no payee and no purpose (a candidate
-- for an unlabelled totals line), so placespend.ingest runs 00g_totals_unlabelled only then.
-- inputs : raw_spend
-- grain  : one row
-- units  : none
select exists (
    select 1
    from raw_spend
    where read_problem is null
        and payee_clean is null
        and purpose is null
        and amount_clean is not null
) as any_unnamed
