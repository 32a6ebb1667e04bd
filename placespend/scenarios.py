"""Residents' trade-offs on a PB pot: scenarios, their plans over years, and where they are kept.

A :class:`Scenario` says which services are in the pot, how residents would raise or cut each
one (by £ or %), within which bounds, for how many years and with what uprating. Its
:class:`Plan` is worked out in integer pence:

- ``change = round_half_up(base × pct / 100)`` for a % change, or the pence given for a £
  change; a change must lie in ``[-round_half_up(|base| × cut / 100),
  +round_half_up(|base| × raise / 100)]`` (the facilitator's bounds);
- ``planned = base + change``; ``ideas = pot − Σ planned``, so services + ideas = pot to the
  penny; a plan whose service lines come to more than the pot is refused;
- year ``k`` of ``N`` (``k = 0`` the sized year): every planned line and the ideas pot are
  uprated by ``(1 + u / 100)^k`` and rounded half up to the penny; that year's pot is their
  sum, so each year conserves too;
- where the catalogue gives a unit cost (``unit``, ``unit_cost_pence``), ``units_change =
  change / unit_cost`` says what a change means in those units (e.g. caretaker hours).

Scenarios are kept with the data set, in ``scenarios.json`` beside its store
(:class:`ScenarioBook`), so a link naming a scenario reopens it from any browser.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import duckdb
import pandas as pd

from placespend import money, paths
from placespend import pot as pots
from placespend.errors import PlacespendError

SCENARIOS_FILENAME = "scenarios.json"
FILE_VERSION = 1
NAME_LIMIT = 80
MAX_YEARS = 10
COMPARE_MAX = 4
DEFAULT_CUT_PCT = "50"
DEFAULT_RAISE_PCT = "50"
PLAN_COLUMNS = ["service_id", "service", "base_pence", "change_pence", "planned_pence",
                "low_change_pence", "high_change_pence", "unit", "unit_cost_pence",
                "units_change"]


@dataclass(frozen=True)
class Change:
    """How residents would move one service line: ``kind`` ``"pct"`` (``value`` a percentage,
    e.g. ``"-10"``) or ``"gbp"`` (``value`` pounds and pence, e.g. ``"-1500.50"``)."""

    service_id: str
    kind: str
    value: str

    def pence(self, base_pence: int) -> int:
        """The change in pence on a line of ``base_pence``."""
        amount = _decimal(self.value, f"the change to {self.service_id}")
        if self.kind == "pct":
            return _round(Decimal(base_pence) * amount / 100)
        if self.kind == "gbp":
            return _round(amount * 100)
        msg = f"A change is by 'pct' or 'gbp', not {self.kind!r}."
        raise PlacespendError(msg)


@dataclass(frozen=True)
class Scenario:
    """One way residents might share the pot (see the module docstring for the arithmetic).

    ``cut_pct``/``raise_pct``: the most any line may be cut or raised, as % of its base (the
    facilitator's bounds). ``ideas``: optional (title, cost in pence) residents have put
    forward, written into the pabulib file as projects.
    """

    name: str
    estate_id: str
    financial_year: str
    service_ids: tuple[str, ...]
    changes: tuple[Change, ...] = ()
    cut_pct: str = DEFAULT_CUT_PCT
    raise_pct: str = DEFAULT_RAISE_PCT
    years: int = 1
    uprating_pct: str = "0"
    ideas: tuple[tuple[str, int], ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """The scenario as plain JSON-able data."""
        data = asdict(self)
        data["service_ids"] = list(self.service_ids)
        data["changes"] = [asdict(c) for c in self.changes]
        data["ideas"] = [list(i) for i in self.ideas]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Scenario:
        """A scenario from :meth:`to_dict`'s shape (raises on a malformed entry)."""
        try:
            return cls(
                name=str(data["name"]),
                estate_id=str(data["estate_id"]),
                financial_year=str(data["financial_year"]),
                service_ids=tuple(str(s) for s in data["service_ids"]),
                changes=tuple(Change(str(c["service_id"]), str(c["kind"]), str(c["value"]))
                              for c in data.get("changes", [])),
                cut_pct=str(data.get("cut_pct", DEFAULT_CUT_PCT)),
                raise_pct=str(data.get("raise_pct", DEFAULT_RAISE_PCT)),
                years=int(data.get("years", 1)),
                uprating_pct=str(data.get("uprating_pct", "0")),
                ideas=tuple((str(t), int(c)) for t, c in data.get("ideas", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"A saved scenario is malformed ({exc!r}); delete it and save it again."
            raise PlacespendError(msg) from exc


@dataclass(frozen=True, eq=False)
class Plan:
    """A scenario worked out on its pot: lines (``PLAN_COLUMNS``), totals and the years."""

    scenario: Scenario
    pot: pots.Pot
    lines: pd.DataFrame
    years: pd.DataFrame  # year_no, financial_year, services_pence, ideas_pence, pot_pence

    @property
    def pot_pence(self) -> int:
        return self.pot.total_pence

    @property
    def services_pence(self) -> int:
        return int(self.lines["planned_pence"].sum())

    @property
    def ideas_pence(self) -> int:
        return self.pot_pence - self.services_pence

    @property
    def uprating(self) -> str:
        """The stated uprating in words."""
        return f"{Decimal(self.scenario.uprating_pct).normalize():f}% a year"


# ---- working a scenario out --------------------------------------------------------------------


def plan(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> Plan:
    """Size the scenario's pot from the store and apply its changes (see the module notes)."""
    sized = pots.size_pot(con, scenario.estate_id, scenario.financial_year,
                          list(scenario.service_ids))
    attrs = pots.service_attributes(con).set_index("service_id")
    lines = sized.lines.copy()
    lines["unit"] = [attrs["unit"].get(s) for s in lines["service_id"]]
    lines["unit_cost_pence"] = [attrs["unit_cost_pence"].get(s) for s in lines["service_id"]]
    return plan_from(scenario, sized, lines)


def plan_from(scenario: Scenario, sized: pots.Pot, lines: pd.DataFrame) -> Plan:
    """The plan on an already sized pot; ``lines`` as :attr:`Pot.lines`, optionally with
    ``unit`` and ``unit_cost_pence``."""
    planned = apply_changes(lines, scenario)
    return Plan(scenario=scenario, pot=sized, lines=planned,
                years=over_years(planned, scenario, sized.financial_year))


def apply_changes(lines: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Each line's base, change and planned pence, checked against the bounds and the pot.

    Raises
    ------
    PlacespendError
        Naming every line outside the bounds, a change to a service not in the pot, or a plan
        whose services come to more than the pot, with what to do.
    """
    cut = _percent(scenario.cut_pct, "the most a line may be cut")
    rise = _percent(scenario.raise_pct, "the most a line may be raised")
    by_service = {c.service_id: c for c in scenario.changes}
    known = set(lines["service_id"])
    problems = [f"{sid} is not in the pot: tick it first or drop its change."
                for sid in by_service if sid not in known]
    out = []
    for row in lines.itertuples():
        base = int(row.amount_pence)
        low, high = -_round(Decimal(abs(base)) * cut / 100), _round(Decimal(abs(base)) * rise / 100)
        change = by_service[row.service_id].pence(base) if row.service_id in by_service else 0
        if not low <= change <= high:
            problems.append(
                f"{row.service}: a change of {money.signed(change)} is outside the bounds "
                f"{money.signed(low)} to {money.signed(high)} (cut at most {cut}%, raise at most "
                f"{rise}%). Change less, or widen the bounds.")
        unit_cost = getattr(row, "unit_cost_pence", None)
        unit_cost = None if unit_cost is None or pd.isna(unit_cost) else int(unit_cost)
        out.append({
            "service_id": row.service_id, "service": row.service, "base_pence": base,
            "change_pence": change, "planned_pence": base + change,
            "low_change_pence": low, "high_change_pence": high,
            "unit": getattr(row, "unit", None) if unit_cost else None,
            "unit_cost_pence": unit_cost,
            "units_change": change / unit_cost if unit_cost else None,
        })
    frame = pd.DataFrame(out, columns=PLAN_COLUMNS)
    for col in ("base_pence", "change_pence", "planned_pence", "low_change_pence",
                "high_change_pence"):
        frame[col] = frame[col].astype("int64")
    over = int(frame["planned_pence"].sum()) - int(frame["base_pence"].sum())
    if over > 0:
        problems.append(
            f"The service lines come to {money.exact(over)} more than the pot, leaving the "
            "ideas pot below zero: cut another line by at least that much, or raise less.")
    if problems:
        raise PlacespendError(f"Scenario '{scenario.name}': " + " ".join(problems))
    return frame


def over_years(lines: pd.DataFrame, scenario: Scenario, first_year: str) -> pd.DataFrame:
    """The plan year by year: planned lines and ideas uprated and rounded, the pot their sum."""
    if not 1 <= scenario.years <= MAX_YEARS:
        msg = f"A pilot runs 1 to {MAX_YEARS} years, not {scenario.years}."
        raise PlacespendError(msg)
    uprating = _decimal(scenario.uprating_pct, "the uprating")
    if not Decimal(-50) <= uprating <= Decimal(50):
        msg = f"An uprating of {uprating}% a year is out of range: give -50 to 50."
        raise PlacespendError(msg)
    planned = [int(p) for p in lines["planned_pence"]]
    ideas = int(lines["base_pence"].sum()) - sum(planned)
    rows = []
    start = int(first_year[:4])
    for k in range(scenario.years):
        factor = (1 + uprating / 100) ** k
        services = sum(_round(Decimal(p) * factor) for p in planned)
        idea = _round(Decimal(ideas) * factor)
        rows.append({"year_no": k + 1,
                     "financial_year": f"{start + k}-{(start + k + 1) % 100:02d}",
                     "services_pence": services, "ideas_pence": idea,
                     "pot_pence": services + idea})
    return pd.DataFrame(rows)


def unit_words(row: Any) -> str:
    """What a line's change means in its units, e.g. ``"about 40 caretaker hours fewer"``."""
    units = getattr(row, "units_change", None)
    if units is None or pd.isna(units) or not units:
        return ""
    direction = "more" if units > 0 else "fewer"
    return f"about {abs(units):,.0f} {row.unit}s {direction} a year"


# ---- keeping scenarios with the data set -------------------------------------------------------


class _Saved(Protocol):
    """What a book keeps: a named item that round-trips through a dict."""

    @property
    def name(self) -> str: ...
    def to_dict(self) -> dict[str, object]: ...


_Item = TypeVar("_Item", bound=_Saved)


class SavedBook(Generic[_Item]):
    """Items saved with one data set: ``scenarios.json`` in the folder of its store.

    Writes are atomic (a temporary file renamed over the old one) under a lock, so two
    sessions saving at once both land. The file has one list per kind of saved item
    (``section``: ``scenarios`` in :class:`ScenarioBook`, ``pools`` in
    :class:`placespend.pools.PoolBook`); writing one list keeps the others as they were.
    """

    section: str
    noun: str

    def __init__(self, db_file: Path | str) -> None:
        self.path = paths.beside_store(db_file, SCENARIOS_FILENAME)

    def read_item(self, data: dict) -> _Item:
        """One saved item from its dict."""
        raise NotImplementedError

    def names_estate(self, item: _Item, estate_id: str) -> bool:
        """Whether ``item`` is listed for ``estate_id``."""
        raise NotImplementedError

    def list(self, estate_id: str | None = None) -> builtins.list[_Item]:
        """Saved items in the order saved, only those for ``estate_id`` when given."""
        found = [self.read_item(d) for d in self._read()]
        return [s for s in found if estate_id is None or self.names_estate(s, estate_id)]

    def names(self, estate_id: str | None = None) -> builtins.list[str]:
        return [s.name for s in self.list(estate_id)]

    def get(self, name: str) -> _Item:
        for scenario in self.list():
            if scenario.name == name:
                return scenario
        msg = (f"No saved {self.noun} named '{name}'. Saved: "
               f"{', '.join(self.names()) or 'none'}.")
        raise PlacespendError(msg)

    def save(self, scenario: _Item, *, overwrite: bool = False) -> _Item:
        """Save ``scenario`` (its name cleaned); an existing name needs ``overwrite``."""
        scenario = replace(scenario, name=clean_name(scenario.name))  # type: ignore[type-var]
        with self._locked():
            items = self._read()
            names = [d["name"] for d in items]
            if scenario.name in names and not overwrite:
                msg = (f"A {self.noun} named '{scenario.name}' is already saved: choose "
                       "another name, or save over it.")
                raise PlacespendError(msg)
            items = [d for d in items if d["name"] != scenario.name]
            index = names.index(scenario.name) if scenario.name in names else len(items)
            items.insert(index, scenario.to_dict())
            self._write(items)
        return scenario

    def rename(self, old: str, new: str) -> _Item:
        new = clean_name(new)
        with self._locked():
            items = self._read()
            if new != old and any(d["name"] == new for d in items):
                msg = f"A {self.noun} named '{new}' is already saved: choose another name."
                raise PlacespendError(msg)
            for d in items:
                if d["name"] == old:
                    d["name"] = new
                    self._write(items)
                    return self.read_item(d)
        return self.get(old)  # raises: not found

    def delete(self, name: str) -> None:
        with self._locked():
            items = self._read()
            kept = [d for d in items if d["name"] != name]
            if len(kept) == len(items):
                self.get(name)  # raises: not found
            self._write(kept)

    def _whole(self) -> dict:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("scenarios", []), list):
                raise TypeError("not a mapping with a list of scenarios")
        except (ValueError, TypeError) as exc:
            msg = (f"The saved scenarios file {self.path} cannot be read ({exc}); move it "
                   "aside to start afresh.")
            raise PlacespendError(msg) from exc
        return data

    def _read(self) -> builtins.list[dict]:
        items = self._whole().get(self.section, [])
        if not isinstance(items, list):
            msg = (f"The saved scenarios file {self.path} cannot be read ('{self.section}' is "
                   "not a list); move it aside to start afresh.")
            raise PlacespendError(msg)
        return [d for d in items if isinstance(d, dict)]

    def _write(self, items: builtins.list[dict]) -> None:
        whole = self._whole()
        whole.update({"version": FILE_VERSION, self.section: items})
        whole.setdefault("scenarios", [])
        text = json.dumps(whole, indent=2, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".scenarios-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(tmp, self.path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.parent / ".scenarios.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class ScenarioBook(SavedBook[Scenario]):
    """The scenarios saved with one data set (the ``scenarios`` list of ``scenarios.json``)."""

    section = "scenarios"
    noun = "scenario"

    def read_item(self, data: dict) -> Scenario:
        return Scenario.from_dict(data)

    def names_estate(self, item: Scenario, estate_id: str) -> bool:
        return item.estate_id == estate_id


def clean_name(name: str) -> str:
    """A scenario name: trimmed, one line, 1 to ``NAME_LIMIT`` characters."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        msg = "Give the scenario a name."
        raise PlacespendError(msg)
    if len(cleaned) > NAME_LIMIT:
        msg = f"A scenario name is at most {NAME_LIMIT} characters; this one has {len(cleaned)}."
        raise PlacespendError(msg)
    return cleaned


# ---- helpers ----------------------------------------------------------------------------------


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(str(text).strip().replace(",", "").replace("£", "").rstrip("%"))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        msg = f"{what.capitalize()} must be a number, not {text!r}."
        raise PlacespendError(msg)
    return value


def _percent(text: str, what: str) -> Decimal:
    value = _decimal(text, what)
    if not Decimal(0) <= value <= Decimal(100) and what.endswith("cut"):
        msg = f"{what.capitalize()} is a percentage from 0 to 100, not {text!r}."
        raise PlacespendError(msg)
    if value < 0:
        msg = f"{what.capitalize()} is a percentage of 0 or more, not {text!r}."
        raise PlacespendError(msg)
    return value


__all__ = [
    "Change",
    "Plan",
    "Scenario",
    "SavedBook",
    "ScenarioBook",
    "apply_changes",
    "clean_name",
    "over_years",
    "plan",
    "plan_from",
    "unit_words",
]
