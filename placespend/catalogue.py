"""The service catalogue: services, their apportionment keys, classification rules and links.

The catalogue is shipped as ``placespend/data/catalogue.yaml`` and is meant to be edited. It is
read once, checked as a whole (every problem is collected, then one
:class:`~placespend.errors.CatalogueError` names the file, line and entry of each), and handed
to the SQL pipeline as the tables ``outcomes``, ``services``, ``service_keys``, ``rules`` and
``links`` (:meth:`Catalogue.to_frames`).

Rules are regular expressions run by DuckDB's RE2 engine (``regexp_matches``), so this module
refuses the Python-only constructs RE2 lacks (lookarounds, backreferences, atomic groups,
possessive quantifiers, ``\\Z``, inline flags other than ``i``, ``m``, ``s``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from placespend import paths
from placespend.errors import CatalogueError, collected
from placespend.keys import KEYS

SCOPES: tuple[str, ...] = ("borough", "ward", "estate")
RELATIONS: tuple[str, ...] = ("reinforces", "undermines", "depends_on")
MATCH_FIELDS: tuple[str, ...] = ("org_unit", "purpose", "payee")
CASE_INSENSITIVE = "(?i)"

_SECTIONS = ("outcomes", "services", "rules", "links")
_OUTCOME_FIELDS = {"id": str, "label": str}
_SERVICE_FIELDS = {
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
}
_SERVICE_OPTIONAL = {"alt_keys", "estate_service", "unit", "unit_cost_pence"}
_RULE_FIELDS = {"service": str, "org_unit": str, "purpose": str, "payee": str}
_LINK_FIELDS = {"from": str, "to": str, "relation": str, "outcome": str, "rationale": str}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Outcome:
    """One Estates Mission outcome."""

    id: str
    label: str


@dataclass(frozen=True)
class Service:
    """A service line: what it is, whom it serves and how its spend is shared among places."""

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
        case-insensitively; NULL where a rule does not look at that field) and ``links``.
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
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"{path}: cannot read the service catalogue ({exc.strerror}); check the path."
        raise CatalogueError(msg) from exc
    data, lines = _parse_yaml(path, text)
    return _Checker(path, data, lines).build()


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

    Checks for the constructs Python accepts and RE2 does not, then compiles with Python's
    ``re`` for ordinary syntax errors.
    """
    unsupported = _re2_unsupported(pattern)
    if unsupported:
        return unsupported
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression {pattern!r}: {exc}"
    return None


# ---- parsing ---------------------------------------------------------------------------------


def _parse_yaml(path: Path, text: str) -> tuple[Any, dict[tuple[str, int], int]]:
    """The document and the 1-based line of each section entry, e.g. ``("services", 3)``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        msg = f"{path}{where}: not valid YAML ({problem}); fix the syntax there."
        raise CatalogueError(msg) from exc
    lines: dict[tuple[str, int], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(value_node, yaml.SequenceNode):
                for i, item in enumerate(value_node.value):
                    lines[(key_node.value, i)] = item.start_mark.line + 1
    return data, lines


def _known(value: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; known: {', '.join(choices)}"


class _Checker:
    """Walks the parsed document once, collecting problems and building the dataclasses."""

    def __init__(self, path: Path, data: Any, lines: dict[tuple[str, int], int]) -> None:
        self.path = path
        self.data = data
        self.lines = lines
        self.problems: list[str] = []
        self.entry: tuple[str, int, str] = ("", 0, "")

    def problem(self, section: str | None, index: int | None, label: str, text: str) -> None:
        where = self.path.name
        if section is not None and index is not None:
            line = self.lines.get((section, index))
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
            self.problem(str(extra), None, "", f"unknown section{_known(str(extra), _SECTIONS)}")
        outcomes = [o for o in self._entries("outcomes", _OUTCOME_FIELDS, set()) if o]
        self._duplicates("outcomes", [o["id"] for o in outcomes])
        outcome_ids = self._named_ids("outcomes")
        services = self._services(outcome_ids)
        service_ids = self._named_ids("services")  # even invalid ones, so errors do not cascade
        rules = self._rules(service_ids)
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
            self.problem(section, None, "", f"must be a list, not {type(items).__name__}")
            return
        for i, item in enumerate(items):
            label = ""
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                label = f" (id {item['id']!r})"
            elif isinstance(item, dict) and isinstance(item.get("service"), str):
                label = f" (service {item['service']!r})"
            self.entry = (section, i, label)
            if not isinstance(item, dict):
                self.problem(section, i, label, "must be a mapping of field: value")
                yield None
                continue
            ok = True
            for name in sorted(set(item) - set(fields), key=str):
                self.problem(
                    section, i, label, f"unknown field {name!r}{_known(name, list(fields))}"
                )
                ok = False
            for name, kind in fields.items():
                value = item.get(name)
                if value is None:
                    if name not in optional:
                        self.problem(section, i, label, f"missing field {name!r}")
                        ok = False
                    continue
                if not isinstance(value, kind) or (kind is str and not value.strip()):
                    want = {str: "non-empty text", bool: "true or false", list: "a list",
                            int: "a whole number"}[kind]
                    self.problem(section, i, label, f"field {name!r} must be {want}, not {value!r}")
                    ok = False
            yield item if ok else None

    def _say(self, text: str) -> None:
        self.problem(*self.entry, text)

    def _duplicates(self, section: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for dup in ids:
            if dup in seen:
                self.problem(
                    section, None, "", f"id {dup!r} is used more than once; ids must be unique"
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
                self._say(f"id {sid!r} must be lower-case letters, digits and underscores")
            if sid in seen:
                self._say(f"duplicate service id {sid!r}; each service id must be unique")
            seen.add(sid)
            if not item["outcomes"]:
                self._say("outcomes must name at least one outcome")
            for oid in item["outcomes"]:
                if oid not in outcome_ids:
                    self._say(f"unknown outcome {oid!r}{_known(str(oid), outcome_ids)}")
            if item["default_scope"] not in SCOPES:
                self._say(
                    f"unknown default_scope {item['default_scope']!r}"
                    f"{_known(item['default_scope'], SCOPES)}"
                )
            alt = item.get("alt_keys") or []
            for k in [item["key"], *alt]:
                if k not in KEYS:
                    self._say(f"unknown key {k!r}{_known(str(k), keys)}")
            if item["key"] in alt or len(set(map(str, alt))) != len(alt):
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
                    )
                )
        return services

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
            f"{role} names service {sid!r}, which is not in services{_known(str(sid), service_ids)}"
        )
        return False

    def _rules(self, service_ids: list[str]) -> list[Rule]:
        rules: list[Rule] = []
        for item in self._entries("rules", _RULE_FIELDS, set(MATCH_FIELDS)):
            if item is None:
                continue
            ok = self._known_service("rule", item["service"], service_ids)
            patterns = {f: item.get(f) for f in MATCH_FIELDS}
            if all(p is None for p in patterns.values()):
                self._say(f"a rule needs at least one of {', '.join(MATCH_FIELDS)}")
                ok = False
            for name, pattern in patterns.items():
                why = None if pattern is None else re2_problem(pattern)
                if why:
                    self._say(f"{name}: {why}")
                    ok = False
            if ok:
                rules.append(Rule(rule_no=len(rules) + 1, service=item["service"], **patterns))
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
                    f"unknown relation {item['relation']!r}{_known(item['relation'], RELATIONS)}"
                )
                ok = False
            if item["outcome"] not in outcome_ids:
                self._say(
                    f"unknown outcome {item['outcome']!r}{_known(item['outcome'], outcome_ids)}"
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
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in "123456789" or (nxt in "gk" and pattern[i + 2 : i + 3] == "<"):
                return f"backreference \\{nxt} in {pattern!r} is not supported by RE2"
            if nxt == "Z":
                return f"\\Z in {pattern!r} is not supported by RE2; use $"
            i, after_quantifier = i + 2, False
            continue
        if c == "[":
            i, after_quantifier = _skip_class(pattern, i), False
            continue
        if c == "(" and pattern[i + 1 : i + 2] == "?":
            why = _group_problem(pattern, i)
            if why:
                return why
        if c == "+" and after_quantifier:
            return f"possessive quantifier in {pattern!r} is not supported by RE2"
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
            return f"{what} (?{opener} in {pattern!r} is not supported by RE2"
    if head.startswith(">"):
        return f"atomic group (?> in {pattern!r} is not supported by RE2"
    if head.startswith("P<"):
        return None  # a named group, which RE2 supports
    if head.startswith("P="):
        return f"named backreference (?P= in {pattern!r} is not supported by RE2"
    if head.startswith("(") or head.startswith("#"):
        return f"conditional or comment group (?{head[0]} in {pattern!r} is not supported by RE2"
    flags = re.match(r"[A-Za-z-]+", pattern[i + 2 :])
    if flags and not set(flags.group()) <= _RE2_FLAGS:
        return f"inline flags (?{flags.group()} in {pattern!r}: RE2 supports only i, m, s"
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
        },
    )
