-- catalogue_links: how services depend on each other, by mission outcome.
-- inputs : links, outcomes
-- params : none
-- grain  : one row per (from_service, to_service, relation, outcome)
-- units  : none
select
    l.from_service,
    l.to_service,
    l.relation,
    l.outcome,
    coalesce(o.label, l.outcome) as outcome_label,
    l.rationale
from links as l
left join outcomes as o on o.outcome_id = l.outcome
order by l.from_service, l.to_service
