"""Which columns of a council's spend file hold what placespend needs: :class:`ColumnMapping`,
the presets (:data:`PRESETS`: Camden, Lambeth) and :func:`load_mapping` for a council's own,
read from YAML or JSON and checked by one schema (:mod:`placespend._mapping_file`).

:mod:`placespend.ingest` reads spend files through these (and re-exports every public name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from placespend import _mapping_file, _parse, _yaml
from placespend.errors import InputFileError, collected, quoted, where

_MAPPED_FIELDS = (
    "transaction_id", "date", "amount", "payee", "purpose", "org_unit", "capital_or_revenue",
)
_CONSTANT_FIELDS = ("payee", "purpose", "org_unit")


Columns = str | tuple[str, ...]
"""A mapped field's column: one name, or alternatives tried in order (a column renamed between
years: ``("Net Amount", "Amount")``)."""

MAX_UNIQUE_COLUMNS = 4
"""The most columns a declared unique key may have (the append steps' ``$unique_<n>`` slots)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns of a council's spend file hold what placespend needs.

    Column names are matched case-insensitively and ignoring repeated spaces. A field may list
    alternative names, matched per file (the first the header has), so one mapping reads a
    council's files across years that renamed a column. ``payee``, ``purpose`` and
    ``org_unit`` may instead be given a constant in ``constants`` (a file of one department,
    say); ``purpose``, ``org_unit`` and ``transaction_id`` may be absent.

    Parameters
    ----------
    name
        A label for messages and reports (``"camden"``).
    date, amount
        The payment date and amount columns (required).
    payee
        The supplier / beneficiary column.
    purpose
        What was bought (expense type, description, ``Purpose``).
    org_unit
        Who bought it (department, service area, ``Organisational Unit``).
    capital_or_revenue
        A column saying whether each line is capital or revenue spend (Oxford's ``Type of
        Expenditure``). Read leniently (``Capital``, ``CAP``, ``C``, ``Capex``; ``Revenue``,
        ``REV``, ``R``, ``Opex``, any case); a blank or unreadable value leaves the line to the
        catalogue's rules (``placespend.capital``), and the build notes unreadable values.
    transaction_id
        A payment or invoice reference, shown beside each line. Repeats are normal (the lines
        of one invoice) unless ``unique`` says otherwise.
    unique
        Columns whose values together identify one payment line (``("TransNo", "Seq no")``),
        or a mapped field's name (``("transaction_id",)``): a row repeating an earlier row's
        key is quarantined, naming it. Empty: no key is declared, and nothing is refused as a
        repeat within a file (rows repeating every mapped field are listed as possible
        duplicates instead).
    date_formats
        ``strptime`` formats tried first, in order (``%d/%m/%Y`` also reads ``7/9/2020``);
        other common day-first layouts are tried after them. Empty (the default): the order
        is found from each file's values, day first unless they prove month first (see
        :mod:`placespend._dates`).
    constants
        Field name → constant value for ``payee``, ``purpose`` or ``org_unit``.
    """

    name: str
    date: Columns
    amount: Columns
    payee: Columns | None = None
    purpose: Columns | None = None
    org_unit: Columns | None = None
    transaction_id: Columns | None = None
    capital_or_revenue: Columns | None = None
    unique: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    constants: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in _MAPPED_FIELDS:  # one name is a str, several a tuple: equal however given
            value = getattr(self, f)
            if isinstance(value, list | tuple):
                object.__setattr__(self, f, value[0] if len(value) == 1 else tuple(value))
        if isinstance(self.unique, str):
            object.__setattr__(self, "unique", (self.unique,))
        object.__setattr__(self, "unique", tuple(self.unique))
        problems = _mapping_problems(self)
        if problems:
            raise collected(InputFileError, f"Column mapping {quoted(self.name)} is invalid",
                            problems)

    def alternatives(self) -> dict[str, tuple[str, ...]]:
        """Field name → the column names it may have, in order, for every mapped field."""
        found = {f: getattr(self, f) for f in _MAPPED_FIELDS if getattr(self, f)}
        return {f: (v,) if isinstance(v, str) else tuple(v) for f, v in found.items()}

    def columns(self) -> dict[str, str]:
        """Field name → source column name (the first of its alternatives), for every field
        mapped to a column."""
        return {f: names[0] for f, names in self.alternatives().items()}

    @classmethod
    def from_file(cls, path: Path | str) -> ColumnMapping:
        """Read a mapping from YAML or JSON (see :func:`load_mapping`)."""
        return load_mapping(path)


def _mapping_problems(m: ColumnMapping) -> list[str]:
    problems = []
    if not m.date or not m.amount:
        problems.append("'date' and 'amount' must name columns of the file")
    for fmt in m.date_formats:
        problem = _parse.date_format_problem(str(fmt))
        if problem:
            problems.append(problem)
    for key in m.constants:
        if key not in _CONSTANT_FIELDS:
            problems.append(f"constant '{key}' is not one of {', '.join(_CONSTANT_FIELDS)}")
        elif getattr(m, key):
            problems.append(f"'{key}' is given both as a column and as a constant; keep one")
    if not m.payee and "payee" not in m.constants:
        problems.append("'payee' must name a column or be given in 'constants'")
    by_column: dict[str, list[str]] = {}
    written: dict[str, str] = {}  # normalised name -> as first written
    for name, columns in m.alternatives().items():
        for column in columns:
            key = _parse.norm_header(column)
            written.setdefault(key, column)
            by_column.setdefault(key, []).append(name)
    for key, names in by_column.items():
        names = list(dict.fromkeys(names))  # a field listing one name twice is not two fields
        if len(names) > 1:
            listed = ", ".join(f"'{n}'" for n in names[:-1]) + f" and '{names[-1]}'"
            problems.append(
                f"{listed} {'both' if len(names) == 2 else 'all'} name the column "
                f"{quoted(written[key])}, but a column can feed only one field; map "
                "each to its own column, or give one of them in 'constants'"
            )
    problems += _unique_problems(m)
    return problems


def _unique_problems(m: ColumnMapping) -> list[str]:
    if len(m.unique) > MAX_UNIQUE_COLUMNS:
        return [f"'unique' names {len(m.unique)} columns, more than {MAX_UNIQUE_COLUMNS}; a key "
                "of a few columns (e.g. unique: [TransNo, Seq no]) identifies a line"]
    problems = []
    normed = [_parse.norm_header(c) for c in m.unique]
    for column, times in Counter(normed).items():
        if times > 1:
            problems.append(f"'unique' names the column {quoted(column)} {times} times; name it "
                            "once")
    for column in m.unique:
        if column in _MAPPED_FIELDS and not getattr(m, column):
            problems.append(f"'unique' names the field '{column}', which the mapping does not "
                            f"map to a column; give '{column}: <column name>' or name the "
                            "column itself in 'unique'")
    return problems


CAMDEN = ColumnMapping(
    name="camden",
    date="Payment Date",
    amount="Amount GBP",
    payee="Beneficiary Name",
    purpose="Purpose",
    org_unit="Organisational Unit",
    transaction_id="Unique Identifier",
    unique=("transaction_id",),
    date_formats=("%d/%m/%Y",),
)
"""Camden's "Spend Over 500 GBP" export, exactly as published (15 columns): its ``Unique
Identifier`` is one per payment line."""

LAMBETH = ColumnMapping(
    name="lambeth",
    date="Invoice Creation Date",
    amount="Invoice Nett Amount",
    payee="Supplier Name",
    purpose="Subj Description",
    org_unit="Department",
    date_formats=("%d/%m/%Y",),
)
"""Lambeth's "Invoices over £500" files (2012 layout)."""

PRESETS: dict[str, ColumnMapping] = {m.name: m for m in (CAMDEN, LAMBETH)}


def load_mapping(path: Path | str) -> ColumnMapping:
    """Read a :class:`ColumnMapping` from a small YAML or JSON file.

    Example (YAML)::

        name: hackney
        date: Payment Date
        amount: Amount
        payee: Supplier
        purpose: Expense Type
        org_unit: Service Area
        transaction_id: Transaction Number
        date_formats: ["%d/%m/%Y", "%Y-%m-%d"]
        constants: {}

    A file holding just ``preset: camden`` returns that preset.

    The file is read within limits (:mod:`placespend._yaml`: no code, no aliases, no repeated
    keys, at most 1 MB) and checked against one schema (:mod:`placespend._mapping_file`)
    before use.

    Raises
    ------
    InputFileError
        Listing every problem of the file, each with its line, field and fix.
    """
    path = Path(path)
    checked = _mapping_file.validate(_yaml.read(path, InputFileError, "column mapping"))
    if isinstance(checked, _mapping_file.PresetFile):
        preset = PRESETS.get(checked.preset.lower())
        if preset is None:
            msg = (f"{where(path)}unknown preset {quoted(checked.preset)}; use one of "
                   f"{sorted(PRESETS)}")
            raise InputFileError(msg)
        return preset
    given = checked.model_dump(exclude_unset=True)
    given.setdefault("name", path.stem)
    if "date_formats" in given:
        given["date_formats"] = tuple(given["date_formats"])
    try:
        return ColumnMapping(**given)
    except InputFileError as exc:
        raise InputFileError(f"{where(path)}{exc}") from exc
