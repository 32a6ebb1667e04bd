-- quarantine_reasons: how many rows were quarantined for each reason.
-- inputs : spend_quarantine
-- grain  : one row per reason
-- units  : rows counts; amount_pence integer pence (rows whose amount parsed)
select reason, count(*) as rows, coalesce(sum(amount_pence), 0)::bigint as amount_pence
from spend_quarantine
group by reason
order by rows desc, reason
