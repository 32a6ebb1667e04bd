"""A scenario as a pabulib ``.pb`` file, the PB community's data format (pabulib.org).

The file has the three sections pabulib defines, ``;``-separated: ``META`` (``key;value``
rows), ``PROJECTS`` (``project_id;cost;name;category``) and ``VOTES`` (header only: no votes
are cast yet). Costs and the budget are exact pounds and pence (``37721.88``), which pabulib
readers take as exact fractions:

- ``budget`` = the scenario's ideas pot (the pot less the service lines), ``vote_type``
  approval, ``rule`` greedy, ``currency`` GBP;
- one project per service line with a planned amount above £0 (``category`` ``service``,
  id ``service_<id>``, cost = the planned line) and one per idea residents have put forward
  (``category`` ``idea``, id ``idea_<n>``);
- extra META keys say what the figures are: ``pot``, ``services_total``, ``data`` (the data
  label, ``SYNTHETIC DEMO DATA`` for the demo), ``scenario``, ``comment``, and for reading
  the result back (:mod:`placespend.pb_votes`) ``estate_id``, ``financial_year`` and
  ``service_ids`` (every service in the pot, ``,``-joined, a line planned at £0 included).

Checked in the tests with the maintained reader, ``pabutools.election.parse_pabulib``.
"""

from __future__ import annotations

import csv
import io

from placespend.money import gbp
from placespend.scenarios import Plan

META_KEYS = ("description", "country", "unit", "subunit", "instance", "num_projects",
             "num_votes", "budget", "vote_type", "rule", "currency", "pot", "services_total",
             "scenario", "data", "comment", "estate_id", "financial_year", "service_ids")


def pabulib(plan: Plan) -> bytes:
    """The plan as a UTF-8 pabulib file (see the module docstring for the mapping)."""
    projects = _projects(plan)
    sized = plan.pot
    meta = {
        "description": _clean(f"{sized.estate_name}: residents' budget {sized.financial_year}"
                              f", scenario {plan.scenario.name}"),
        "country": "United Kingdom",
        "unit": "London Borough of Camden",
        "subunit": _clean(sized.estate_name),
        "instance": sized.financial_year,
        "num_projects": str(len(projects)),
        "num_votes": "0",
        "budget": gbp(plan.ideas_pence),
        "vote_type": "approval",
        "rule": "greedy",
        "currency": "GBP",
        "pot": gbp(plan.pot_pence),
        "services_total": gbp(plan.services_pence),
        "scenario": _clean(plan.scenario.name),
        "data": _clean(sized.data_label),
        "comment": "budget = the ideas pot (pot less the service lines), service lines and "
        "ideas are projects; apportioned estimates, not invoices",
        # read back by placespend.pb_votes when the result turns into next year's scenario
        "estate_id": _clean(sized.estate_id),
        "financial_year": sized.financial_year,
        "service_ids": ",".join(plan.scenario.service_ids),
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows([k, meta[k]] for k in META_KEYS)
    writer.writerow(["PROJECTS"])
    writer.writerow(["project_id", "cost", "name", "category"])
    writer.writerows(projects)
    writer.writerow(["VOTES"])
    writer.writerow(["voter_id", "vote"])
    return out.getvalue().encode("utf-8")


def _projects(plan: Plan) -> list[list[str]]:
    rows = [[f"service_{r.service_id}", gbp(int(r.planned_pence)), _clean(r.service), "service"]
            for r in plan.lines.itertuples() if r.planned_pence > 0]
    rows += [[f"idea_{n}", gbp(cost), _clean(title), "idea"]
             for n, (title, cost) in enumerate(plan.scenario.ideas, start=1) if cost > 0]
    return rows


def _clean(text: object) -> str:
    """One line, without the separators pabulib readers split on (``;`` fields, ``,`` lists)."""
    return " ".join(str(text).replace(";", ",").split())


__all__ = ["pabulib"]
