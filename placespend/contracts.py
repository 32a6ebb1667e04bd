"""A council's own contracts register, read through a contracts mapping, row by row.

Councils publish their contracts under the Local Government Transparency Code: a reference,
a title, a description, the supplier, the department, start and end dates and a value, in
columns of their own naming. A :class:`ContractsMapping` names those columns (a field may
list alternatives, as a spend mapping's may); :func:`load_register` reads the register into
the same tables as placespend's own format (``contracts``, ``contract_details``), except that
a row that cannot be used is quarantined with its reasons and text (``contract_quarantine``)
instead of stopping the build, and ``contract_summary`` proves per file that rows read =
accepted + quarantined, and the same for the contracts' value.

A contract's service comes from the mapped ``service`` column (a catalogue service id) when
that cell is filled, else from the catalogue's own rules (:meth:`Catalogue.classify`) on its
title, then its description (as a payment's purpose), its department (as the org unit) and
its supplier (as the payee). Its scope comes from the ``scope_type`` and ``scope_code``
columns when mapped, else it is ``borough``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import duckdb
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import ErrorDetails

from placespend import _parse, _yaml, money, register
from placespend._sql import fetch_one
from placespend.catalogue import Catalogue
from placespend.errors import InputFileError, collected, quoted, where
from placespend.suppliers import NEAR_MATCH_THRESHOLD, MatchSummary

COLUMN_FIELDS: dict[str, str] = {
    "reference": "the contract's reference (required)",
    "supplier": "the supplier's name (required)",
    "title": "the contract's title",
    "description": "what the contract buys",
    "department": "the department responsible",
    "service": "a catalogue service id (blank cells: the catalogue's rules decide)",
    "scope_type": "borough, ward or estate (unmapped or blank: borough)",
    "scope_code": "the ward code or estate id a ward or estate contract covers",
    "start": "the start date",
    "end": "the end date",
    "value": "the contract's value (see value_basis)",
}
"""Each column a contracts mapping may name, with what it holds (kept as data: the docs and
messages say the same)."""

VALUE_BASES = ("total", "annual")
MAX_ALTERNATIVES = 10


def _not_blank(value: str) -> str:
    if not value.strip():
        msg = "blank text"
        raise ValueError(msg)
    return value


_Text = Annotated[str, AfterValidator(_not_blank)]


class _MappingFile(BaseModel):
    """The schema of a contracts mapping file (see :class:`ContractsMapping`)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: _Text | None = None
    reference: list[_Text]
    supplier: list[_Text]
    title: list[_Text] | None = None
    description: list[_Text] | None = None
    department: list[_Text] | None = None
    service: list[_Text] | None = None
    scope_type: list[_Text] | None = None
    scope_code: list[_Text] | None = None
    start: list[_Text] | None = None
    end: list[_Text] | None = None
    value: list[_Text] | None = None
    value_basis: _Text = "total"
    date_formats: list[_Text] | None = None
    near_match: float | int = NEAR_MATCH_THRESHOLD

    @field_validator(*COLUMN_FIELDS, "date_formats", mode="before")
    @classmethod
    def _one_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and not 0 < len(value) <= MAX_ALTERNATIVES * 2:
            msg = f"give 1 to {MAX_ALTERNATIVES} names"
            raise ValueError(msg)
        return value


@dataclass(frozen=True)
class ContractsMapping:
    """Which columns of a council's contracts register hold what placespend needs.

    Parameters
    ----------
    name
        A label for messages.
    columns
        Field (a key of :data:`COLUMN_FIELDS`) -> the column names it may have, in order;
        ``reference`` and ``supplier`` are required.
    value_basis
        ``total`` (the Transparency Code's "sum to be paid over the length of the contract",
        the default) or ``annual`` (a yearly value, as placespend's own format has).
    date_formats
        ``strptime`` formats tried first; the common day-first layouts follow.
    near_match
        The least score (0-100) of a near supplier match (:mod:`placespend.suppliers`);
        ``100`` turns near matching off.
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    value_basis: str = "total"
    date_formats: tuple[str, ...] = ()
    near_match: float = NEAR_MATCH_THRESHOLD

    # the shape the header sniffer (placespend._parse.sniff_file) reads: no constants, no key
    constants: Mapping[str, str] = field(default_factory=dict)
    unique: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        for required in ("reference", "supplier"):
            if not self.columns.get(required):
                problems.append(f"'{required}' must name the column holding "
                                f"{COLUMN_FIELDS[required].split(' (')[0]}")
        if self.value_basis not in VALUE_BASES:
            problems.append(f"value_basis {quoted(self.value_basis)} is not total or annual")
        if not 0 <= self.near_match <= 100:
            problems.append(f"near_match {self.near_match} is not between 0 and 100")
        if "scope_code" in self.columns and "scope_type" not in self.columns:
            problems.append("'scope_code' is mapped but 'scope_type' is not; map both, or "
                            "neither (every contract borough-wide)")
        problems += [p for f in self.date_formats if (p := _parse.date_format_problem(f))]
        if problems:
            raise collected(InputFileError, f"Contracts mapping {quoted(self.name)} is invalid",
                            problems)

    def alternatives(self) -> dict[str, tuple[str, ...]]:
        """Field -> the column names it may have, for every mapped field."""
        return {f: tuple(v) for f, v in self.columns.items() if v}

    def label(self, field: str) -> str:
        """How messages name a field's column: ``'Start Date' (start)``."""
        names = self.columns.get(field)
        return f"{quoted(names[0])} ({field})" if names else field


def load_contracts_mapping(path: Path | str) -> ContractsMapping:
    """Read a :class:`ContractsMapping` from a small YAML or JSON file.

    Example (YAML)::

        name: hackney contracts
        reference: Reference Number
        title: Title of agreement
        description: Description of the goods and/or services
        supplier: [Supplier Name, Supplier]
        department: Department responsible
        start: Start Date
        end: End Date
        value: [Total Contract Value, Value]
        value_basis: total          # or annual
        near_match: 90              # least score of a near supplier match; 100 turns it off

    Raises
    ------
    InputFileError
        Listing every problem of the file, each with its line and fix.
    """
    path = Path(path)
    doc = _yaml.read(path, InputFileError, "contracts mapping")
    if not isinstance(doc.data, dict):
        msg = (f"{where(path)}a contracts mapping must be keys such as 'reference: ...', not "
               f"{quoted(doc.data)}; see the example in README.md")
        raise InputFileError(msg)
    try:
        checked = _MappingFile.model_validate(doc.data)
    except ValidationError as exc:
        raise collected(InputFileError, f"{path}: the contracts mapping is not usable",
                        [_problem(doc, e) for e in exc.errors(include_url=False)]) from exc
    given = checked.model_dump(exclude_unset=True)
    columns = {f: tuple(given[f]) for f in COLUMN_FIELDS if f in given}
    try:
        return ContractsMapping(
            name=given.get("name", path.stem), columns=columns,
            value_basis=given.get("value_basis", "total"),
            date_formats=tuple(given.get("date_formats", ())),
            near_match=float(given.get("near_match", NEAR_MATCH_THRESHOLD)))
    except InputFileError as exc:
        raise InputFileError(f"{where(path)}{exc}") from exc


def _problem(doc: _yaml.Document, error: ErrorDetails) -> str:
    loc = error["loc"]
    key = str(loc[0]) if loc else ""
    line = doc.line(key) if key else None
    at = f"line {line}: " if line else ""
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(["name", *COLUMN_FIELDS, "value_basis", "date_formats",
                             "near_match"])
        return f"{at}unknown key {quoted(key)}; allowed keys are {allowed}"
    if error["type"] == "missing":
        return f"{at}'{key}' is missing; name the column holding {COLUMN_FIELDS[key]}"
    want = ("a number from 0 to 100" if key == "near_match" else
            "total or annual" if key == "value_basis" else
            "a column name (text), or a list of the names it has in different files"
            if key in COLUMN_FIELDS else "text")
    return f"{at}'{key}' must be {want}, not {quoted(error.get('input'))}"


# -- reading ---------------------------------------------------------------------------------


def load_register(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    mapping: ContractsMapping,
    catalogue: Catalogue,
    ward_codes: Iterable[str] = (),
    estate_ids: Iterable[str] = (),
) -> int:
    """Load a register through ``mapping`` into ``contracts`` and its companion tables.

    Every row read is accepted or quarantined (``contract_quarantine``, every reason of the
    row with its fix, and the row's text): a blank reference or supplier, a repeated
    reference, an unreadable or impossible date, an end before the start, a value that is not
    an amount or is negative, a service the catalogue lacks (or none, when no rule classifies
    the title or description), a scope that is not borough, ward or estate, or names an
    unknown ward or estate, or a line whose fields do not line up with the header.

    Parameters
    ----------
    con
        An open DuckDB connection.
    path
        The register (CSV, any encoding placespend reads).
    mapping
        Which columns hold what.
    catalogue
        Its services (a ``service`` cell must name one) and rules (for rows without).
    ward_codes, estate_ids
        The places a ward or estate contract may name.

    Returns
    -------
    int
        The number of contracts accepted.

    Raises
    ------
    InputFileError
        The file is missing, not text, or has no header row with the mapped columns.
    """
    path = Path(path)
    fix = ("check that this is the contracts register, and that the contracts mapping names "
           "its columns (" + ", ".join(f"{f}: {quoted(c[0])}" for f, c in
                                       mapping.alternatives().items()) + ")")
    layout = _parse.sniff_file(path, [mapping], fix)
    text, _ = _parse.decode(path.read_bytes())
    lines, rows, rejects = [], [], []
    width = len(layout.header)
    for raw in _parse.iter_rows(text, layout.delimiter, layout.header_line + 1):
        if not any(f.strip() for f in raw.fields):
            continue
        if len(raw.fields) < width or any(f.strip() for f in raw.fields[width:]):
            rejects.append((raw.line, f"expected {width} fields as the header has, found "
                            f"{len(raw.fields)}: quote values that contain "
                            f"'{layout.delimiter}'", raw.text))
            continue
        lines.append(raw.line)
        rows.append(({f: raw.fields[i] for f, i in layout.positions.items()}, raw.text))
    services = {s.id for s in catalogue.services}
    columns = _columns(rows, mapping, catalogue, services, set(ward_codes), set(estate_ids))
    formats = tuple(dict.fromkeys((*mapping.date_formats, *_parse.FALLBACK_DATE_FORMATS)))
    labels = {"id_label": mapping.label("reference"), "supplier_label": mapping.label("supplier"),
              "value_label": mapping.label("value"), "start_label": mapping.label("start"),
              "end_label": mapping.label("end")}
    register.stage_contracts(con, path, lines, columns, rejects, formats, labels,
                           mapping.value_basis)
    return register.finish_contracts(con)


def _columns(rows, mapping: ContractsMapping, catalogue: Catalogue, services: set[str],
             wards: set[str], estates: set[str]) -> dict[str, list[str | None]]:
    """The ``raw_contracts`` columns (:data:`placespend.register.RAW_CONTRACT_FIELDS`)."""
    out: dict[str, list[str | None]] = {f: [] for f in register.RAW_CONTRACT_FIELDS}
    for fields, text in rows:
        def cell(name: str, fields=fields) -> str | None:
            value = fields.get(name)
            return value.strip() if value and value.strip() else None

        service, source, problems = _service(cell, mapping, catalogue, services)
        scope_type = (cell("scope_type") or "borough").lower()  # blank or unmapped: borough
        problems += _scope_problems(mapping, scope_type, cell("scope_code"), wards, estates)
        values = {
            "contract_id": cell("reference"), "title": cell("title"),
            "description": cell("description"), "supplier": cell("supplier"),
            "department": cell("department"), "service": service, "purpose": None,
            "scope_type": scope_type, "scope_code": cell("scope_code"),
            "value_text": cell("value"), "start_date": cell("start"), "end_date": cell("end"),
            "raw": text, "service_source": source,
            "reader_problem": "; ".join(problems) or None,
        }
        for name, value in values.items():
            out[name].append(value)
    return out


def _service(cell, mapping: ContractsMapping, catalogue: Catalogue,
             services: set[str]) -> tuple[str | None, str | None, list[str]]:
    given = cell("service")
    if given is not None:
        if given in services:
            return given, "column", []
        return None, None, [f"{mapping.label('service')} {quoted(given)} is not a service of "
                            "the catalogue; give a catalogue service id, or leave it blank "
                            "for the catalogue's rules to decide"]
    for text in (cell("title"), cell("description")):
        if text is not None:
            found = catalogue.classify(cell("department"), text, cell("supplier"))
            if found is not None:
                return found, "rules", []
    return None, None, ["no service: no catalogue rule classifies its title or description; "
                        "map a service column holding the catalogue's service id, or add a "
                        "rule (placespend classify --accept)"]


def _scope_problems(mapping: ContractsMapping, scope_type: str, code: str | None,
                    wards: set[str], estates: set[str]) -> list[str]:
    """Unknown places (the scope type itself and blank codes are checked by 01e)."""
    if code is None or scope_type not in ("ward", "estate"):
        return []
    known = wards if scope_type == "ward" else estates
    if not known or code in known:
        return []
    kind = "ward code" if scope_type == "ward" else "estate id"
    return [f"{mapping.label('scope_code')} {quoted(code)} is not a known {kind}: correct it, "
            f"or add the {scope_type} to the boundaries"]


# -- what linking did with the register ------------------------------------------------------

_SHOWN = 5


def notes(con: duckdb.DuckDBPyConnection, matches: MatchSummary) -> list[str]:
    """The build's notes on the register: quarantined rows, suppliers matched after
    normalising or by a near match (with the score), contracts that matched no payment and
    payments outside their contract's dates, each with £ and the command that lists them."""
    out = []
    summary = con.execute(
        "select source_file, rows_read, rows_accepted, rows_quarantined, "
        "quarantined_value_pence from contract_summary where rows_quarantined > 0").fetchall()
    for name, read, accepted, quarantined, pence in summary:
        out.append(
            f"Contracts register {name}: {read:,} rows read, {accepted:,} accepted, "
            f"{quarantined:,} quarantined ({money.exact(pence)} of contract value); payments "
            "under a quarantined contract are shared borough-wide. `placespend contracts "
            "--quarantined` lists the rows with their reasons.")
    if matches.normalised:
        shown = "; ".join(f"{quoted(p)} = {quoted(s)}" for p, s in matches.normalised[:_SHOWN])
        out.append(f"{len(matches.normalised):,} payee name(s) matched a contract's supplier "
                   f"once legal forms and punctuation were set aside: {shown}"
                   f"{_more(matches.normalised)}.")
    if matches.near:
        shown = "; ".join(f"{quoted(p)} ~ {quoted(s)} (score {score:.1f})"
                          for p, s, score in matches.near[:_SHOWN])
        out.append(f"{len(matches.near):,} payee name(s) matched a contract's supplier only "
                   f"nearly, and were linked: {shown}{_more(matches.near)}. Check them with "
                   "`placespend contracts --matches`; raise near_match in the contracts "
                   "mapping to link fewer.")
    (n, value) = fetch_one(con, "select count(*), coalesce(sum(value_pence), 0) "
                                "from contracts_without_payments")
    if n:
        out.append(f"{n:,} contract(s) matched no payment ({money.exact(value)} of contract value "
                   "as the register gives it): `placespend contracts --unmatched` lists them "
                   "with the reason (no payment to the supplier, none for the service, or "
                   "none within the dates).")
    (n, pence) = fetch_one(con, "select count(*), coalesce(sum(amount_pence), 0) "
                                "from payments_outside_contract_dates")
    if n:
        out.append(f"{n:,} payment line(s) of {money.exact(pence)} to a contracted supplier for "
                   "the contract's service fall outside every such contract's dates, so they "
                   "are shared borough-wide: `placespend contracts --outside-dates` lists "
                   "them with the nearest contract.")
    return out


def _more(items: tuple) -> str:
    return f", … and {len(items) - _SHOWN:,} more" if len(items) > _SHOWN else ""
