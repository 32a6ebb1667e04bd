"""The service catalogue: services, their apportionment keys, classification rules and links.

The catalogue is shipped as ``placespend/data/catalogue.yaml`` and is meant to be edited. It is
read once, checked as a whole (every problem is collected, then one
:class:`~placespend.errors.CatalogueError` names the file, line and entry of each), and handed
to the SQL pipeline as the tables ``outcomes``, ``services``, ``service_keys``, ``rules``,
``capital_rules`` and ``links`` (:meth:`Catalogue.to_frames`).

Rules are regular expressions run by DuckDB's RE2 engine (``regexp_matches``), so this module
refuses the Python-only constructs RE2 lacks (lookarounds, backreferences, atomic groups,
possessive quantifiers, ``\\Z``, inline flags other than ``i``, ``m``, ``s``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from placespend import _yaml, paths
from placespend.errors import CatalogueError, collected, quoted
from placespend.keys import KEYS

SCOPES: tuple[str, ...] = ("borough", "ward", "estate")
MAX_PATTERN_CHARS = 1_000
MAX_PATTERN_NESTING = 50
RELATIONS: tuple[str, ...] = ("reinforces", "undermines", "depends_on")
MATCH_FIELDS: tuple[str, ...] = ("org_unit", "purpose", "payee")
CASE_INSENSITIVE = "(?i)"

_SECTIONS = ("outcomes", "services", "rules", "capital_rules", "links")
CAPITAL_OR_REVENUE: tuple[str, ...] = ("capital", "revenue")
CAPITAL_MATCH_FIELDS: tuple[str, ...] = ("org_unit", "purpose")
_OUTCOME_FIELDS: dict[str, type] = {"id": str, "label": str}
_SERVICE_FIELDS: dict[str, type] = {
    "id": str,
    "name": str,
    "directorate": str,
    "outcomes": list,
    "default_scope": str,
    "key": str,
    "alt_keys": list,
    "delegable": bool,
    "place_based": bool,
    "description": str,
    "estate_service": bool,
    "unit": str,
    "unit_cost_pence": int,
    "capital": bool,
    "outcome_reasons": dict,
}
_SERVICE_OPTIONAL = {
    "alt_keys", "estate_service", "unit", "unit_cost_pence", "capital", "outcome_reasons",
}
_CAPITAL_RULE_FIELDS: dict[str, type] = {"org_unit": str, "purpose": str, "type": str}
_RULE_FIELDS: dict[str, type] = {"service": str, "org_unit": str, "purpose": str, "payee": str}
_LINK_FIELDS: dict[str, type] = {
    "from": str, "to": str, "relation": str, "outcome": str, "rationale": str,
}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Outcome:
    """One Estates Mission outcome."""

    id: str
    label: str


@dataclass(frozen=True)
class Service:
    """A service line: what it is, whom it serves and how its spend is shared among places.

    ``outcomes`` lists the mission outcomes it serves, the primary one first (the map's outcome
    filter uses it alone unless secondary outcomes are included); ``outcome_reasons`` says why,
    per outcome, as ``(outcome id, reason)`` pairs.
    """

    id: str
    name: str
    directorate: str
    outcomes: tuple[str, ...]
    default_scope: str
    key: str
    alt_keys: tuple[str, ...]
    delegable: bool
    place_based: bool
    description: str
    estate_service: bool = False
    unit: str | None = None
    unit_cost_pence: int | None = None
    capital: bool = False
    outcome_reasons: tuple[tuple[str, str], ...] = ()

    @property
    def primary_outcome(self) -> str:
        """The outcome the service serves first (the first listed)."""
        return self.outcomes[0]


@dataclass(frozen=True)
class CapitalRule:
    """Says a line is capital or revenue from its org unit and/or purpose (RE2 searches,
    case-insensitive; ``None`` matches anything). Used where the file does not say."""

    rule_no: int
    capital_or_revenue: str
    org_unit: str | None = None
    purpose: str | None = None


@dataclass(frozen=True)
class Rule:
    """Classifies a payment line to a service; ``None`` patterns match anything.

    Patterns are searched (not fully matched), case-insensitively. A payee pattern never
    matches a missing (redacted or blank) payee, as ``regexp_matches(NULL, p)`` is NULL in SQL.
    """

    rule_no: int
    service: str
    org_unit: str | None = None
    purpose: str | None = None
    payee: str | None = None
    _compiled: tuple[re.Pattern[str] | None, ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        compiled = tuple(
            None if p is None else re.compile(p, re.IGNORECASE) for p in self.patterns()
        )
        object.__setattr__(self, "_compiled", compiled)

    def patterns(self) -> tuple[str | None, str | None, str | None]:
        """The (org_unit, purpose, payee) patterns, ``None`` where the rule does not look."""
        return (self.org_unit, self.purpose, self.payee)

    def matches(self, org_unit: str | None, purpose: str | None, payee: str | None) -> bool:
        """Whether a line with these labels falls under this rule (RE2 search semantics)."""
        for pattern, value in zip(self._compiled, (org_unit, purpose, payee), strict=True):
            if pattern is None:
                continue
            if value is None or (isinstance(value, float) and value != value):
                return False
            if pattern.search(str(value)) is None:
                return False
        return True


@dataclass(frozen=True)
class Link:
    """How spend on one service affects another: ``from_service`` *relation* ``to_service``."""

    from_service: str
    to_service: str
    relation: str
    outcome: str
    rationale: str


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue, as read from ``path``."""

    path: Path
    outcomes: tuple[Outcome, ...]
    services: tuple[Service, ...]
    rules: tuple[Rule, ...]
    links: tuple[Link, ...]
    capital_rules: tuple[CapitalRule, ...] = ()

    def service(self, service_id: str) -> Service:
        """The service with this id (``KeyError`` if there is none)."""
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)

    def classify(self, org_unit: str | None, purpose: str | None, payee: str | None) -> str | None:
        """The service id of the first rule matching these labels, or ``None``."""
        for rule in self.rules:
            if rule.matches(org_unit, purpose, payee):
                return rule.service
        return None

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The catalogue as the DuckDB input tables named in ``docs/ARCHITECTURE.md``.

        Returns ``outcomes``, ``services``, ``service_keys`` (main key first, ``is_main``),
        ``rules`` (patterns prefixed with ``(?i)`` so any RE2 caller matches them
        case-insensitively; NULL where a rule does not look at that field), ``capital_rules``
        (``rule_no``, ``org_unit_pattern``, ``purpose_pattern``, ``capital_or_revenue``) and
        ``links``.
        """
        return {
            "outcomes": _frame(
                [(o.id, o.label) for o in self.outcomes], {"outcome_id": str, "label": str}
            ),
            "services": _services_frame(self.services),
            "service_keys": _frame(
                [(s.id, k, k == s.key) for s in self.services for k in (s.key, *s.alt_keys)],
                {"service_id": str, "key": str, "is_main": bool},
            ),
            "rules": _frame(
                [(r.rule_no, r.service, *map(_insensitive, r.patterns())) for r in self.rules],
                {
                    "rule_no": "int64",
                    "service_id": str,
                    "org_unit_pattern": str,
                    "purpose_pattern": str,
                    "payee_pattern": str,
                },
            ),
            "capital_rules": _frame(
                [
                    (r.rule_no, _insensitive(r.org_unit), _insensitive(r.purpose),
                     r.capital_or_revenue)
                    for r in self.capital_rules
                ],
                {
                    "rule_no": "int64",
                    "org_unit_pattern": str,
                    "purpose_pattern": str,
                    "capital_or_revenue": str,
                },
            ),
            "links": _frame(
                [
                    (k.from_service, k.to_service, k.relation, k.outcome, k.rationale)
                    for k in self.links
                ],
                {
                    "from_service": str,
                    "to_service": str,
                    "relation": str,
                    "outcome": str,
                    "rationale": str,
                },
            ),
        }


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate a service catalogue.

    Parameters
    ----------
    path
        A catalogue YAML file; the shipped ``placespend/data/catalogue.yaml`` when ``None``.

    Returns
    -------
    Catalogue
        Services in file order; rules numbered from 1 in file order (first match wins).

    Raises
    ------
    CatalogueError
        Listing every problem found, each naming the file, line and entry.
    """
    path = Path(path) if path is not None else paths.CATALOGUE_PATH
    return _Checker(_yaml.read(path, CatalogueError, "service catalogue")).build()


def classify_frame(catalogue: Catalogue, df: pd.DataFrame) -> pd.Series:
    """Service id for each row of ``df`` (columns ``org_unit``, ``purpose``, ``payee``).

    A pure-Python mirror of the SQL classification step, for tests and small inputs: each
    distinct label combination is classified once, first matching rule wins, ``None`` when
    no rule matches.
    """
    cols = list(MATCH_FIELDS)
    labels = df[cols].astype(object).where(df[cols].notna(), None)
    combos = {tuple(row) for row in labels.itertuples(index=False, name=None)}
    lookup = {combo: catalogue.classify(*combo) for combo in combos}
    values = [lookup[tuple(row)] for row in labels.itertuples(index=False, name=None)]
    return pd.Series(values, index=df.index, name="service_id", dtype=object)


def re2_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot run in RE2 (or Python), or ``None`` if it can.

    Refuses patterns over :data:`MAX_PATTERN_CHARS` characters or with groups nested more
    than :data:`MAX_PATTERN_NESTING` deep (Python's ``re`` recurses once per level), then the
    constructs Python accepts and RE2 does not, then compiles with Python's ``re`` for ordinary
    syntax errors. What only RE2 itself refuses (a repeat count over 1000, a compiled program
    over its memory budget) is found by :func:`duckdb_problems`.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return (f"pattern {quoted(pattern)} is longer than {MAX_PATTERN_CHARS:,} characters; "
                "split it into several rules")
    unsupported = _re2_unsupported(pattern)
    if unsupported:
        return unsupported
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"invalid regular expression {quoted(pattern)}: {exc}"
    return None


def duckdb_problems(patterns: Iterable[str]) -> dict[str, str]:
    """Why DuckDB's RE2 refuses each pattern it refuses, by pattern (empty if it takes all).

    Each pattern is compiled as ``pipelines/02b_rule_hits_append.sql`` will run it (``(?i)``
    prefixed, option ``'i'``) on one in-memory connection: all in one statement first (a few
    milliseconds), then, only if that fails, one statement per pattern to name each refused
    one. So a build never fails half-way on a pattern RE2 cannot compile: ``x{1001}`` (repeats
    are capped at 1000), ``(x{1000}){3}``, ``.{1000}`` written 100 times (a program over RE2's
    memory budget).
    """
    unique = [CASE_INSENSITIVE + p for p in dict.fromkeys(patterns)]
    problems: dict[str, str] = {}
    con = duckdb.connect()
    try:
        try:
            con.execute(_RE2_PROBE_ALL, {"patterns": unique})
            return problems
        except duckdb.Error:
            pass
        for pattern in unique:
            try:
                con.execute(_RE2_PROBE, {"pattern": pattern})
            except duckdb.Error as exc:
                why = str(exc).removeprefix("Invalid Input Error: ")
                original = pattern.removeprefix(CASE_INSENSITIVE)
                problems[original] = (f"DuckDB's RE2 engine cannot compile {quoted(original)} "
                                      f"({why[:200]}); simplify it (RE2 allows repeats of at "
                                      "most {1000}, and small programs)")
    finally:
        con.close()
    return problems


_RE2_PROBE = "select regexp_matches('', $pattern, 'i')"
_RE2_PROBE_ALL = "select count(*) from unnest($patterns) as t(p) where regexp_matches('', p, 'i')"


# ---- checking ----------------------------------------------------------------------------------

_KNOWN_SHOWN = 20


def _known(value: object, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?); known: a, b, …``: a close match, and the choices (at most 20)."""
    text = value if isinstance(value, str) else str(value)
    close = difflib.get_close_matches(text[:200], list(choices), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    more = len(choices) - _KNOWN_SHOWN
    shown = ", ".join(choices[:_KNOWN_SHOWN]) + (f", … and {more} more" if more > 0 else "")
    return f"{hint}; known: {shown}"


_WANT = {str: "non-empty text", bool: "true or false", list: "a list", int: "a whole number",
         dict: "a mapping of outcome id: reason"}


class _Checker:
    """Walks the parsed document once, collecting problems and building the dataclasses.

    Any value may be of any type (the file is the user's): every field is type-checked before
    it is used, so a list for a name, a number for a pattern or a mapping for a list is a
    problem of its entry, never an exception.
    """

    def __init__(self, doc: _yaml.Document) -> None:
        self.path = doc.path
        self.data = doc.data
        self.doc = doc
        self.problems: list[str] = []
        self.entry: tuple[str, int, str] = ("", 0, "")

    def problem(self, section: str | None, index: int | None, label: str, text: str) -> None:
        where = self.path.name
        if section is not None and index is not None:
            line = self.doc.line(section, index)
            where += f", line {line}" if line else ""
            where += f", {section}[{index}]{label}"
        elif section is not None:
            where += f", {section}"
        self.problems.append(f"{where}: {text}")

    def build(self) -> Catalogue:
        if not isinstance(self.data, dict):
            msg = (
                f"{self.path}: a catalogue must be a mapping with sections "
                f"{', '.join(_SECTIONS)}; see the shipped placespend/data/catalogue.yaml."
            )
            raise CatalogueError(msg)
        for extra in sorted(set(self.data) - set(_SECTIONS), key=str):
            self.problem(quoted(extra), None, "", f"unknown section{_known(extra, _SECTIONS)}")
        outcomes = [o for o in self._entries("outcomes", _OUTCOME_FIELDS, set()) if o]
        self._duplicates("outcomes", [o["id"] for o in outcomes])
        outcome_ids = self._named_ids("outcomes")
        services = self._services(outcome_ids)
        service_ids = self._named_ids("services")  # even invalid ones, so errors do not cascade
        rules = self._rules(service_ids)
        capital_rules = self._capital_rules()
        links = self._links(service_ids, outcome_ids)
        if self.problems:
            raise collected(
                CatalogueError, f"{self.path}: invalid service catalogue", self.problems
            )
        return Catalogue(
            path=self.path,
            outcomes=tuple(Outcome(o["id"], o["label"]) for o in outcomes),
            services=tuple(services),
            rules=tuple(rules),
            links=tuple(links),
            capital_rules=tuple(capital_rules),
        )

    def _entries(
        self, section: str, fields: dict[str, type], optional: set[str], *, required: bool = True
    ) -> Iterator[dict[str, Any] | None]:
        """Yield each entry of a section with checked field types (``None`` if unusable)."""
        items = self.data.get(section)
        if items is None:
            if required:
                self.problem(section, None, "", "section missing; add it as a list")
            return
        if not isinstance(items, list):
            self.problem(section, None, "", f"must be a list of entries, not {quoted(items)}")
            return
        for i, item in enumerate(items):
            label = ""
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                label = f" (id {quoted(item['id'])})"
            elif isinstance(item, dict) and isinstance(item.get("service"), str):
                label = f" (service {quoted(item['service'])})"
            self.entry = (section, i, label)
            if not isinstance(item, dict):
                self.problem(section, i, label, "must be a mapping of field: value, not "
                             f"{quoted(item)}")
                yield None
                continue
            ok = True
            for name in sorted(set(item) - set(fields), key=str):
                self.problem(
                    section, i, label, f"unknown field {quoted(name)}{_known(name, list(fields))}"
                )
                ok = False
            for name, kind in fields.items():
                why = self._field_problem(item, name, kind, name in optional)
                if why:
                    self.problem(section, i, label, why)
                    ok = False
            yield item if ok else None

    @staticmethod
    def _field_problem(item: dict[str, Any], name: str, kind: type, optional: bool) -> str | None:
        """Why ``item[name]`` is not of ``kind`` (lists: of non-empty text), or ``None``."""
        value = item.get(name)
        if value is None:
            return None if optional else f"missing field {name!r}"
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            return f"field {name!r} must be {_WANT[kind]}, not {quoted(value)}"
        if isinstance(value, list):
            for j, element in enumerate(value):
                if not isinstance(element, str) or not element.strip():
                    return (f"field {name!r} must be a list of names (non-empty text), but item "
                            f"{j + 1} is {quoted(element)}")
        return None

    def _say(self, text: str) -> None:
        self.problem(*self.entry, text)

    def _duplicates(self, section: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for dup in ids:
            if dup in seen:
                self.problem(
                    section, None, "", f"id {quoted(dup)} is used more than once; ids must be "
                    "unique"
                )
            seen.add(dup)

    def _named_ids(self, section: str) -> list[str]:
        items = self.data.get(section)
        items = items if isinstance(items, list) else []
        ids = [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]
        return list(dict.fromkeys(ids))

    def _services(self, outcome_ids: list[str]) -> list[Service]:
        services: list[Service] = []
        seen: set[str] = set()
        keys = list(KEYS)
        for item in self._entries("services", _SERVICE_FIELDS, _SERVICE_OPTIONAL):
            if item is None:
                continue
            sid = item["id"]
            bad = len(self.problems)
            if not _ID.match(sid):
                self._say(f"id {quoted(sid)} must be lower-case letters, digits and underscores")
            if sid in seen:
                self._say(f"duplicate service id {quoted(sid)}; each service id must be unique")
            seen.add(sid)
            if not item["outcomes"]:
                self._say("outcomes must name at least one outcome")
            for oid in item["outcomes"]:
                if oid not in outcome_ids:
                    self._say(f"unknown outcome {quoted(oid)}{_known(oid, outcome_ids)}")
            if len(set(item["outcomes"])) != len(item["outcomes"]):
                self._say("outcomes must not name an outcome twice")
            reasons = self._outcome_reasons(item)
            if item["default_scope"] not in SCOPES:
                self._say(
                    f"unknown default_scope {quoted(item['default_scope'])}"
                    f"{_known(item['default_scope'], SCOPES)}"
                )
            alt = item.get("alt_keys") or []
            for k in [item["key"], *alt]:
                if k not in KEYS:
                    self._say(f"unknown key {quoted(k)}{_known(k, keys)}")
            if item["key"] in alt or len(set(alt)) != len(alt):
                self._say("alt_keys must not repeat the main key or each other")
            if item["delegable"] and not item["place_based"]:
                self._say(
                    "a delegable service must be place_based (residents control spend in a place)"
                )
            self._check_pb_fields(item)
            if len(self.problems) == bad:
                services.append(
                    Service(
                        id=sid,
                        name=item["name"],
                        directorate=item["directorate"],
                        outcomes=tuple(item["outcomes"]),
                        default_scope=item["default_scope"],
                        key=item["key"],
                        alt_keys=tuple(alt),
                        delegable=item["delegable"],
                        place_based=item["place_based"],
                        description=item["description"].strip(),
                        estate_service=bool(item.get("estate_service")),
                        unit=item.get("unit"),
                        unit_cost_pence=item.get("unit_cost_pence"),
                        capital=bool(item.get("capital")),
                        outcome_reasons=reasons,
                    )
                )
        return services

    def _outcome_reasons(self, item: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        """``outcome_reasons``: each key one of the service's outcomes, each value a reason."""
        given = item.get("outcome_reasons") or {}
        reasons = []
        for oid, why in given.items():
            if oid not in item["outcomes"]:
                self._say(f"outcome_reasons names {quoted(oid)}, which is not among this "
                          f"service's outcomes {list(item['outcomes'])}; list it in outcomes "
                          "or remove its reason")
            elif not isinstance(why, str) or not why.strip():
                self._say(f"outcome_reasons[{quoted(oid)}] must be a reason (non-empty text), "
                          f"not {quoted(why)}")
            else:
                reasons.append((oid, why.strip()))
        return tuple(reasons)

    def _check_pb_fields(self, item: dict[str, Any]) -> None:
        """The participatory budgeting fields: unit costs come in pairs and are positive.

        ``estate_service`` is not tied to a directorate's name: councils name theirs
        differently, and the flag says what the service is (a landlord service)."""
        cost, unit = item.get("unit_cost_pence"), item.get("unit")
        if isinstance(cost, bool) or (cost is not None and cost <= 0):
            self._say(f"unit_cost_pence must be a whole number of pence above 0, not {cost!r}")
        if (cost is None) != (unit is None):
            self._say("unit and unit_cost_pence go together: give both or neither")

    def _known_service(self, role: str, sid: Any, service_ids: list[str]) -> bool:
        if sid in service_ids:
            return True
        self._say(
            f"{role} names service {quoted(sid)}, which is not in services"
            f"{_known(sid, service_ids)}"
        )
        return False

    def _rules(self, service_ids: list[str]) -> list[Rule]:
        checked = []
        for item in self._entries("rules", _RULE_FIELDS, set(MATCH_FIELDS)):
            if item is None:
                continue
            ok = self._known_service("rule", item["service"], service_ids)
            patterns, fine = self._patterns(item, MATCH_FIELDS, "a rule")
            checked.append((self.entry, {**patterns, "service": item["service"]}, ok and fine))
        return self._compiled(checked, MATCH_FIELDS, Rule)

    def _capital_rules(self) -> list[CapitalRule]:
        checked = []
        for item in self._entries("capital_rules", _CAPITAL_RULE_FIELDS,
                                  set(CAPITAL_MATCH_FIELDS), required=False):
            if item is None:
                continue
            ok = True
            if item["type"] not in CAPITAL_OR_REVENUE:
                self._say(f"unknown type {quoted(item['type'])}; use capital or revenue")
                ok = False
            patterns, fine = self._patterns(item, CAPITAL_MATCH_FIELDS, "a capital rule")
            checked.append((self.entry, {**patterns, "capital_or_revenue": item["type"]},
                            ok and fine))
        return self._compiled(checked, CAPITAL_MATCH_FIELDS, CapitalRule)

    def _patterns(self, item: dict[str, Any], match_fields: tuple[str, ...], what: str
                  ) -> tuple[dict[str, str | None], bool]:
        """A rule's patterns, each test-compiled as RE2 (a refused one becomes None, so DuckDB
        does not compile it again), and whether all were fine and at least one was given."""
        patterns = {f: item.get(f) for f in match_fields}
        ok = True
        if all(p is None for p in patterns.values()):
            self._say(f"{what} needs at least one of {', '.join(match_fields)}")
            ok = False
        for name, pattern in patterns.items():
            why = None if pattern is None else re2_problem(pattern)
            if why:
                self._say(f"{name}: {why}")
                patterns[name] = None
                ok = False
        return patterns, ok

    def _compiled(self, checked: list[tuple[tuple[str, int, str], dict[str, str | None], bool]],
                  match_fields: tuple[str, ...], make: Any) -> list[Any]:
        """The rules whose patterns DuckDB also compiles (all at once), numbered from 1; each
        refusal is said at its own entry."""
        refused = duckdb_problems(p for _, ps, _ in checked for f, p in ps.items()
                                  if f in match_fields and p is not None)
        rules: list[Any] = []
        for entry, fields_, ok in checked:
            self.entry = entry
            for name in match_fields:
                why = refused.get(fields_[name] or "")
                if why:
                    self._say(f"{name}: {why}")
                    ok = False
            if ok:
                rules.append(make(rule_no=len(rules) + 1, **fields_))
        return rules

    def _links(self, service_ids: list[str], outcome_ids: list[str]) -> list[Link]:
        links: list[Link] = []
        for item in self._entries("links", _LINK_FIELDS, set(), required=False):
            if item is None:
                continue
            ok = self._known_service("link 'from'", item["from"], service_ids)
            ok &= self._known_service("link 'to'", item["to"], service_ids)
            if item["from"] == item["to"]:
                self._say("a link must join two different services")
                ok = False
            if item["relation"] not in RELATIONS:
                self._say(
                    f"unknown relation {quoted(item['relation'])}"
                    f"{_known(item['relation'], RELATIONS)}"
                )
                ok = False
            if item["outcome"] not in outcome_ids:
                self._say(
                    f"unknown outcome {quoted(item['outcome'])}"
                    f"{_known(item['outcome'], outcome_ids)}"
                )
                ok = False
            if ok:
                links.append(
                    Link(
                        item["from"],
                        item["to"],
                        item["relation"],
                        item["outcome"],
                        item["rationale"].strip(),
                    )
                )
        return links


# ---- RE2 compatibility -----------------------------------------------------------------------

_RE2_FLAGS = set("ims-")
_QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")


def _re2_unsupported(pattern: str) -> str | None:
    """Name the first construct in ``pattern`` that RE2 lacks, or ``None``.

    A small scanner: skips escapes and character classes, looks at group openers and at what
    follows each quantifier.
    """
    i, n = 0, len(pattern)
    after_quantifier = False
    depth = 0
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in "123456789" or (nxt in "gk" and pattern[i + 2 : i + 3] == "<"):
                return f"backreference \\{nxt} in {quoted(pattern)} is not supported by RE2"
            if nxt == "Z":
                return f"\\Z in {quoted(pattern)} is not supported by RE2; use $"
            i, after_quantifier = i + 2, False
            continue
        if c == "[":
            i, after_quantifier = _skip_class(pattern, i), False
            continue
        if c == "(":
            depth += 1
            if depth > MAX_PATTERN_NESTING:
                return (f"groups nested more than {MAX_PATTERN_NESTING} deep in "
                        f"{quoted(pattern)}; simplify the pattern")
        elif c == ")":
            depth -= 1
        if c == "(" and pattern[i + 1 : i + 2] == "?":
            why = _group_problem(pattern, i)
            if why:
                return why
        if c == "+" and after_quantifier:
            return f"possessive quantifier in {quoted(pattern)} is not supported by RE2"
        if c == "{" and (m := _QUANTIFIER.match(pattern, i)):
            i, after_quantifier = m.end(), True
            continue
        after_quantifier = c in "*+?" and not after_quantifier
        i += 1
    return None


def _group_problem(pattern: str, i: int) -> str | None:
    head = pattern[i + 2 : i + 5]
    named = {
        "=": "lookahead",
        "!": "negative lookahead",
        "<=": "lookbehind",
        "<!": "negative lookbehind",
    }
    for opener, what in sorted(named.items(), key=lambda kv: -len(kv[0])):
        if head.startswith(opener):
            return f"{what} (?{opener} in {quoted(pattern)} is not supported by RE2"
    if head.startswith(">"):
        return f"atomic group (?> in {quoted(pattern)} is not supported by RE2"
    if head.startswith("P<"):
        return None  # a named group, which RE2 supports
    if head.startswith("P="):
        return f"named backreference (?P= in {quoted(pattern)} is not supported by RE2"
    if head.startswith("(") or head.startswith("#"):
        return (f"conditional or comment group (?{head[0]} in {quoted(pattern)} is not "
                "supported by RE2")
    flags = re.match(r"[A-Za-z-]+", pattern[i + 2 :])
    if flags and not set(flags.group()) <= _RE2_FLAGS:
        return f"inline flags (?{flags.group()} in {quoted(pattern)}: RE2 supports only i, m, s"
    return None


def _skip_class(pattern: str, i: int) -> int:
    """Index just past the character class opening at ``pattern[i] == '['``."""
    j = i + 1
    if pattern[j : j + 1] == "^":
        j += 1
    if pattern[j : j + 1] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


# ---- frames ----------------------------------------------------------------------------------


def _insensitive(pattern: str | None) -> str | None:
    return None if pattern is None else CASE_INSENSITIVE + pattern


def _frame(rows: list[tuple], dtypes: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(dtypes))
    return df.astype({c: (object if t is str else t) for c, t in dtypes.items()})


def _services_frame(services: tuple[Service, ...]) -> pd.DataFrame:
    return _frame(
        [
            (
                s.id,
                s.name,
                s.directorate,
                ";".join(s.outcomes),
                s.default_scope,
                s.key,
                s.delegable,
                s.place_based,
                s.estate_service,
                s.unit,
                s.unit_cost_pence,
                s.capital,
                s.primary_outcome,
            )
            for s in services
        ],
        {
            "service_id": str,
            "name": str,
            "directorate": str,
            "outcomes": str,
            "default_scope": str,
            "key": str,
            "delegable": bool,
            "place_based": bool,
            "estate_service": bool,
            "unit": str,
            "unit_cost_pence": "Int64",
            "capital": bool,
            "primary_outcome": str,
        },
    )
