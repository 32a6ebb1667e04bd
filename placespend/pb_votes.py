"""pabulib ``.pb`` files after the vote: residents' priorities from the votes, and the result
turned into next year's PB scenario.

Reading. A file is checked line by line first (sections, the project and vote headers, each
project's id and cost, each vote's voter id, projects and points), every problem listed at once
with its line; then it is parsed by the maintained reader,
``pabutools.election.pabulib.parse_pabulib_from_string``.

Priorities (:func:`priorities`). A project's support is the number of voters who chose it
(``approval``, ``choose-1``, ``ordinal``) or the points it got (``scoring``, ``cumulative``);
``rank`` orders the projects by support (equal support shares a rank), ``score`` is the share
of voters who chose it (of all points, for points ballots) and ``respondents`` the number of
voters. A ``service_<id>`` project of a catalogue service is that service; a project named like
a service or mission outcome is that one; any other is an idea.

Result (:func:`next_scenario`). The winners are the projects the file marks ``selected`` (1),
else, for approval votes, those pabulib's greedy rule picks (pabutools'
``greedy_utilitarian_welfare`` with cost satisfaction: projects by votes, each taken while it
fits the budget), among the ideas, within the file's ``budget`` (the ideas pot). The next
year's scenario keeps the file's services (META ``service_ids``, else its ``service_<id>``
projects), each line planned at its cost in the file (a cost changed after the meeting is a
service-line change, a service left out is planned at £0), and the winners as its ideas. It is
sized on the ballot's year (META ``financial_year``, else ``instance``), so its totals equal the
ballot's: the pot is META ``pot``, the service lines ``services_total``, the ideas pot
``budget``; a store whose spend no longer gives that pot is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from placespend import money, reads
from placespend import pot as pots
from placespend.errors import InputFileError, PlacespendError, collected, quoted
from placespend.priorities import (
    MAX_BYTES,
    ROW_COLUMNS,
    Priorities,
    Vocabulary,
)
from placespend.scenarios import NAME_LIMIT, Change, Scenario

VOTE_TYPES = ("approval", "choose-1", "ordinal", "scoring", "cumulative")
SERVICE_PREFIX = "service_"


@dataclass(frozen=True, eq=False)
class Ballot:
    """A parsed ``.pb`` file: META, projects (``project_id``, ``name``, ``category``,
    ``cost_pence``, ``selected`` or ``None``, ``support``, ``voters``) and the voter count."""

    name: str
    meta: dict[str, str]
    projects: pd.DataFrame
    voters: int
    vote_type: str
    instance: Any
    profile: Any

    @property
    def synthetic(self) -> bool:
        text = " ".join(self.meta.get(k, "") for k in ("data", "description", "comment"))
        return "SYNTHETIC" in text.upper()

    def meta_pence(self, key: str) -> int | None:
        value = self.meta.get(key)
        return None if value is None else _pence(value)


def read(path: Path | str, display_name: str | None = None) -> Ballot:
    """Check and parse a pabulib file (see the module notes).

    Raises
    ------
    InputFileError
        Naming the file, each bad line and what to do.
    """
    parse_pabulib_from_string = _pabutools().parse_pabulib_from_string
    path = Path(path)
    name = display_name or path.name
    text = _text(path, name)
    _check(text, name)
    try:
        instance, profile = parse_pabulib_from_string(text)
    except Exception as exc:  # the reader's own errors: KeyError, ValueError, ...
        msg = f"{name}: pabutools cannot read this pabulib file ({exc!r}); check its sections."
        raise InputFileError(msg) from exc
    meta = {str(k): str(v) for k, v in instance.meta.items()}
    vote_type = meta["vote_type"]
    support = _support(profile, vote_type)
    rows = []
    for p in sorted(instance, key=lambda p: p.name):
        pm = instance.project_meta[p]
        chosen, points = support.get(p.name, (0, Fraction(0)))
        selected = pm.get("selected")
        rows.append({"project_id": p.name, "name": pm.get("name", p.name),
                     "category": ",".join(sorted(pm.get("categories", ()))),
                     "cost_pence": _pence(str(pm["cost"])),
                     "selected": None if selected is None else selected.strip() == "1",
                     "voters": chosen, "support": float(points)})
    voters = sum(getattr(b, "multiplicity", 1) for b in profile)
    return Ballot(name, meta, pd.DataFrame(rows), voters, vote_type, instance, profile)


def _pabutools():
    """The maintained pabulib reader, or an error saying how to install it."""
    try:
        from pabutools.election import pabulib
    except ImportError as exc:
        msg = ("Reading pabulib .pb vote files needs pabutools: install placespend with the "
               "'pb' extra (pip install 'placespend[pb]', or pip install pabutools).")
        raise PlacespendError(msg) from exc
    return pabulib


def _text(path: Path, name: str) -> str:
    if not path.is_file():
        msg = f"{name}: no such file; give the path of a pabulib .pb file."
        raise InputFileError(msg)
    if path.stat().st_size > MAX_BYTES * 20:
        msg = f"{name}: {path.stat().st_size:,} bytes is too large for a PB vote file here."
        raise InputFileError(msg)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{name}: not UTF-8 text (byte {exc.start + 1}); pabulib files are UTF-8."
        raise InputFileError(msg) from exc


def _check(text: str, name: str) -> None:
    """Every line of the three sections checked before pabutools reads the file."""
    problems: list[str] = []
    section, header, meta = "", [], {}
    projects: dict[str, int] = {}
    voters: dict[str, int] = {}
    pending_header = False
    for line, row in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        first = row[0].strip().lower()
        if first in ("meta", "projects", "votes"):
            section, pending_header = first, True
            continue
        if pending_header:
            header, pending_header = [h.strip() for h in row], False
            need = {"meta": ("key", "value"), "projects": ("project_id", "cost"),
                    "votes": ("voter_id", "vote")}[section]
            if [h for h in need if h not in header]:
                problems.append(f"{name}, line {line}: the {section.upper()} header needs "
                                f"{', '.join(need)}; it has {', '.join(header)}.")
                section = "bad"
            continue
        fields = dict(zip(header, (c.strip() for c in row), strict=False))
        where = f"{name}, line {line}"
        if section == "meta":
            if len(row) < 2:
                problems.append(f"{where}: a META line is key;value.")
            else:
                meta[row[0].strip()] = row[1].strip()
        elif section == "projects":
            _check_project(fields, where, projects, line, problems)
        elif section == "votes":
            _check_vote(fields, where, projects, voters, line, meta, problems)
        elif section == "":
            problems.append(f"{where}: text before the META section; a pabulib file starts "
                            "with META.")
            break
    for key in ("budget", "vote_type"):
        if key not in meta:
            problems.append(f"{name}: META has no '{key}' line.")
    if "vote_type" in meta and meta["vote_type"] not in VOTE_TYPES:
        problems.append(f"{name}: vote_type {quoted(meta['vote_type'])} is not one of "
                        f"{', '.join(VOTE_TYPES)}.")
    if "budget" in meta and _pence(meta["budget"]) is None:
        problems.append(f"{name}: META budget {quoted(meta['budget'])} is not an amount.")
    if not projects:
        problems.append(f"{name}: no PROJECTS section with projects.")
    if problems:
        raise collected(InputFileError, f"{name}: the pabulib file has problems", problems)


def _check_project(fields: dict, where: str, projects: dict, line: int, problems: list) -> None:
    pid = fields.get("project_id", "")
    if not pid:
        problems.append(f"{where}: a project without a project_id.")
        return
    if pid in projects:
        problems.append(f"{where}: project {quoted(pid)} repeats line {projects[pid]}.")
        return
    projects[pid] = line
    cost = _pence(fields.get("cost", ""))
    if cost is None or cost < 0:
        problems.append(f"{where}: project {quoted(pid)} has cost {quoted(fields.get('cost'))}"
                        "; give pounds and pence, e.g. 2500.00.")
    selected = fields.get("selected")
    if selected not in (None, "", "0", "1", "None", "none"):
        problems.append(f"{where}: selected is 1 (a winner) or 0, not {quoted(selected)}.")


def _check_vote(fields: dict, where: str, projects: dict, voters: dict, line: int, meta: dict,
                problems: list) -> None:
    vid = fields.get("voter_id", "")
    if not vid:
        problems.append(f"{where}: a vote without a voter_id.")
        return
    if vid in voters:
        problems.append(f"{where}: voter {quoted(vid)} voted already on line {voters[vid]}; "
                        "keep one ballot per voter.")
        return
    voters[vid] = line
    chosen = [v.strip() for v in fields.get("vote", "").split(",") if v.strip()]
    unknown = [v for v in chosen if v not in projects]
    if unknown:
        problems.append(f"{where}: voter {quoted(vid)} chose {', '.join(map(quoted, unknown))}, "
                        "no project of the PROJECTS section.")
    if len(set(chosen)) != len(chosen):
        problems.append(f"{where}: voter {quoted(vid)} names a project twice.")
    if meta.get("vote_type") in ("scoring", "cumulative"):
        points = [p.strip() for p in fields.get("points", "").split(",") if p.strip()]
        if len(points) != len(chosen) or any(_pence(p) is None for p in points):
            problems.append(f"{where}: voter {quoted(vid)} needs one number in points for "
                            "each project in vote.")
    if meta.get("vote_type") == "choose-1" and len(chosen) > 1:
        problems.append(f"{where}: a choose-1 vote names one project, not {len(chosen)}.")


def _support(profile, vote_type: str) -> dict[str, tuple[int, Fraction]]:
    """Project name -> (voters who chose it, points or voters)."""
    out: dict[str, list] = {}
    for ballot in profile:
        weight = getattr(ballot, "multiplicity", 1)
        if vote_type in ("scoring", "cumulative"):
            items = [(p.name, Fraction(ballot[p])) for p in ballot]
        else:
            items = [(p.name, Fraction(1)) for p in ballot]
        for pname, points in items:
            entry = out.setdefault(pname, [0, Fraction(0)])
            entry[0] += weight
            entry[1] += points * weight
    return {k: (v[0], v[1]) for k, v in out.items()}


def _pence(text: str) -> int | None:
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return int((value * 100).to_integral_value())


# ---- priorities from the votes ----------------------------------------------------------------


def priorities(path: Path | str, con: duckdb.DuckDBPyConnection, *, estate: str | None = None,
               display_name: str | None = None) -> Priorities:
    """Residents' priorities from a vote (see the module notes)."""
    ballot = read(path, display_name)
    if ballot.voters == 0:
        msg = (f"{ballot.name}: no votes in the VOTES section, so nothing to rank; import the "
               "file once the votes are in.")
        raise InputFileError(msg)
    estate_id = _estate(ballot, con, estate)
    vocab = Vocabulary.from_store(con)
    projects = ballot.projects.copy()
    points = ballot.vote_type in ("scoring", "cumulative")
    total = projects["support"].sum() if points else ballot.voters
    projects["rank"] = projects["support"].rank(method="min", ascending=False).astype(int)
    estate_name = reads.estate_index(con).names[estate_id]
    rows = []
    for p in projects.itertuples():
        kind, pid = _priority(p.project_id, p.name, vocab)
        rows.append({
            "estate_id": estate_id,
            "estate_name": estate_name,
            "kind": kind, "priority_id": pid,
            "priority": vocab.label(kind, pid) if kind != "idea" else p.name,
            "rank": int(p.rank),
            "score": round(100 * p.support / total, 1) if total else 0.0,
            "respondents": int(ballot.voters),
            "source": f"PB vote: {ballot.meta.get('description', ballot.name)}",
            "date": _date(ballot.meta),
            "file": ballot.name, "line": None, "synthetic": ballot.synthetic,
        })
    return Priorities(pd.DataFrame(rows, columns=ROW_COLUMNS))


def _priority(project_id: str, name: str, vocab: Vocabulary) -> tuple[str, str]:
    if project_id.startswith(SERVICE_PREFIX) and project_id[len(SERVICE_PREFIX):] in vocab.services:
        return "service", project_id[len(SERVICE_PREFIX):]
    return vocab.resolve(name) or ("idea", project_id)


def _date(meta: dict[str, str]) -> str:
    for key in ("date_end", "date_begin"):
        value = meta.get(key, "").strip()
        for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(value, fmt).date().isoformat()
            except ValueError:
                continue
    return meta.get("financial_year") or meta.get("instance") or "undated"


def _estate(ballot: Ballot, con: duckdb.DuckDBPyConnection, given: str | None) -> str:
    index = reads.estate_index(con)
    text = given or ballot.meta.get("estate_id") or ballot.meta.get("subunit") \
        or ballot.meta.get("district")
    if not text:
        msg = (f"{ballot.name}: META names no estate (estate_id, subunit or district); say "
               "which estate voted with --estate.")
        raise InputFileError(msg)
    try:
        return index.resolve(text)
    except PlacespendError as exc:
        where = "--estate" if given else "META"
        msg = f"{ballot.name} ({where}): {exc} Or say which estate voted with --estate."
        raise InputFileError(msg) from exc


# ---- the result into next year's pot ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Result:
    """What a vote decided: the winners (``project_id``, ``name``, ``cost_pence``,
    ``voters``), how they were found, and the ballot's totals."""

    ballot: Ballot
    estate_id: str
    financial_year: str
    winners: pd.DataFrame
    how: str
    pot_pence: int
    services_pence: int
    ideas_pence: int
    service_pence: dict[str, int]  # planned line per service in the file


def result(path: Path | str, con: duckdb.DuckDBPyConnection, *, estate: str | None = None,
           display_name: str | None = None) -> Result:
    """The decision in a result file (see the module notes)."""
    ballot = read(path, display_name)
    estate_id = _estate(ballot, con, estate)
    year = ballot.meta.get("financial_year") or ballot.meta.get("instance", "")
    years = reads.financial_years(con)
    if year not in years:
        msg = (f"{ballot.name}: the ballot's year {quoted(year)} (META financial_year or "
               f"instance) has no spend in this data set ({', '.join(years)}); the pot is "
               "sized on the ballot's year, so use the data set it was written from.")
        raise InputFileError(msg)
    projects = ballot.projects
    is_service = projects["project_id"].str.startswith(SERVICE_PREFIX)
    services = {p[len(SERVICE_PREFIX):]: int(c) for p, c in
                zip(projects.loc[is_service, "project_id"], projects.loc[is_service,
                                                                         "cost_pence"],
                    strict=True)}
    listed = [s for s in ballot.meta.get("service_ids", "").split(",") if s.strip()]
    for sid in listed:
        services.setdefault(sid.strip(), 0)
    if not services:
        msg = (f"{ballot.name}: no service lines (no service_<id> projects or META "
               "service_ids), so there is no pot to carry forward; write the ballot with "
               "`placespend pot --format pb`.")
        raise InputFileError(msg)
    ideas = projects[~is_service]
    budget = ballot.meta_pence("budget") or 0
    winners, how = _winners(ballot, ideas, budget)
    services_total = sum(services.values())
    pot_total = ballot.meta_pence("pot")
    pot_total = services_total + budget if pot_total is None else pot_total
    if services_total + budget != pot_total:
        msg = (f"{ballot.name}: META pot {money.exact(pot_total)} is not the service lines "
               f"({money.exact(services_total)}) plus the budget ({money.exact(budget)}); "
               "correct the file.")
        raise InputFileError(msg)
    return Result(ballot, estate_id, year, winners, how, pot_total, services_total, budget,
                  services)


def _winners(ballot: Ballot, ideas: pd.DataFrame, budget: int) -> tuple[pd.DataFrame, str]:
    columns = ["project_id", "name", "cost_pence", "voters"]
    if ideas["selected"].notna().any():
        won = ideas[ideas["selected"].fillna(False).astype(bool)]
        how = "the projects the file marks selected"
    elif ballot.vote_type in ("approval", "choose-1") and ballot.voters:
        from pabutools.election import Cost_Sat, Instance
        from pabutools.rules import greedy_utilitarian_welfare

        pool = Instance([p for p in ballot.instance if p.name in set(ideas["project_id"])],
                        budget_limit=Fraction(budget, 100))
        picked = greedy_utilitarian_welfare(pool, ballot.profile, sat_class=Cost_Sat)
        won = ideas[ideas["project_id"].isin({p.name for p in picked})]
        how = ("pabulib's greedy rule (pabutools' greedy_utilitarian_welfare, cost "
               "satisfaction) over the ideas, within the budget")
    else:
        msg = (f"{ballot.name}: no project is marked selected and a {ballot.vote_type} vote has "
               "no greedy rule here; add a selected column (1 for each winner) to PROJECTS.")
        raise InputFileError(msg)
    if int(won["cost_pence"].sum()) > budget:
        msg = (f"{ballot.name}: the winning ideas cost {money.exact(int(won['cost_pence'].sum()))}"
               f", more than the budget {money.exact(budget)}; check the selected column.")
        raise InputFileError(msg)
    return won[columns].reset_index(drop=True), how


def next_scenario(con: duckdb.DuckDBPyConnection, decided: Result,
                  name: str | None = None) -> Scenario:
    """Next year's scenario from a vote: the file's service lines and its winners as ideas.

    Raises
    ------
    PlacespendError
        When the store no longer gives the ballot's pot for those services and year.
    """
    sids = tuple(decided.service_pence)
    sized = pots.size_pot(con, decided.estate_id, decided.financial_year, list(sids))
    if sized.total_pence != decided.pot_pence:
        msg = (f"{decided.ballot.name}: the ballot's pot is {money.exact(decided.pot_pence)} "
               f"but this data set gives {money.exact(sized.total_pence)} for the same services "
               f"on the estate in {decided.financial_year}: it was rebuilt since the ballot was "
               "written. Use the data set the ballot came from.")
        raise PlacespendError(msg)
    base = dict(zip(sized.lines["service_id"], sized.lines["amount_pence"].astype(int),
                    strict=True))
    changes, needed = [], [Decimal(50), Decimal(50)]
    for sid, planned in decided.service_pence.items():
        change = planned - base[sid]
        if change:
            changes.append(Change(sid, "gbp", str(Decimal(change) / 100)))
            if base[sid]:
                pct = Decimal(abs(change)) * 100 / abs(base[sid])
                side = 0 if change < 0 else 1
                needed[side] = max(needed[side], pct.to_integral_value(rounding="ROUND_CEILING"))
    start = int(decided.financial_year[:4]) + 1
    next_year = f"{start}-{(start + 1) % 100:02d}"
    default = f"{next_year}: from the {decided.financial_year} vote"
    return Scenario(
        name=(name or default)[:NAME_LIMIT], estate_id=decided.estate_id,
        financial_year=decided.financial_year, service_ids=sids, changes=tuple(changes),
        cut_pct=str(min(needed[0], Decimal(100))), raise_pct=str(needed[1]),
        ideas=tuple((str(r.name).strip() or str(r.project_id), int(r.cost_pence))
                    for r in decided.winners.itertuples()),
    )


__all__ = ["Ballot", "Result", "next_scenario", "priorities", "read", "result"]
