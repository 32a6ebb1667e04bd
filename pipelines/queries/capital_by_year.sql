-- capital_by_year: capital and revenue spend by financial year, for one estate and for the
-- estates like it, with the revenue of the services linked to the capital ones.
-- inputs : estate_spend, estates, services, links
-- params : $estate_id; $peer_ids (VARCHAR[]: the estates like it, chosen by placespend.capital)
-- grain  : one row per (place, financial_year, service_id, capital_or_revenue), place = 'estate'
--          (the estate) or 'peers' (the estates like it, summed)
-- units  : amount_pence integer pence; homes = council households (est.) of the place, the
--          denominator of "per home"
-- A service is "linked" when a catalogue link joins it to a capital service (either way):
-- the revenue services capital works should reduce (repairs, voids, heating and energy).
with

capital_services as (
    select service_id from services where capital
),

linked_services as (
    select to_service as service_id from links
    where from_service in (select service_id from capital_services)
    union
    select from_service from links
    where to_service in (select service_id from capital_services)
),

places as (
    select estate_id, 'estate' as place from estates where estate_id = $estate_id
    union all
    select estate_id, 'peers' from estates
    where list_contains($peer_ids, estate_id) and estate_id <> $estate_id
),

homes as (
    select p.place, sum(coalesce(e.council_households_est, 0)) as homes, count(*) as n_estates
    from places as p
    inner join estates as e using (estate_id)
    group by p.place
),

spend as (
    select
        p.place,
        s.financial_year,
        s.service_id,
        s.capital_or_revenue,
        sum(s.amount_pence)::bigint as amount_pence
    from estate_spend as s
    inner join places as p using (estate_id)
    group by all
),

final as (
    select
        s.place,
        s.financial_year,
        s.service_id,
        v.name as service,
        s.capital_or_revenue,
        s.service_id in (select service_id from linked_services)
            and s.service_id not in (select service_id from capital_services) as linked,
        s.amount_pence,
        h.homes,
        h.n_estates
    from spend as s
    inner join services as v using (service_id)
    inner join homes as h using (place)
)

select * from final
order by place, financial_year, service_id, capital_or_revenue
