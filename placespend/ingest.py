"""Read council spend exports and a contracts register into DuckDB, losing nothing.

Every row read ends up either in ``payments`` or in ``spend_quarantine`` with a reason, and
``ingest_summary`` proves it per file (see ``docs/ARCHITECTURE.md`` for the tables):

    rows_read = rows_accepted + rows_quarantined
    pence of every parseable amount read = accepted_pence + quarantined_pence

Reading is two-speed. A well-formed UTF-8 file (Camden's export of 416,000 rows) goes through
DuckDB's CSV reader; a file DuckDB refuses any line of, or whose lines do not line up with its
rows, is read again by a careful Python reader (:mod:`placespend._careful`) that sniffs the
encoding, finds the header after preamble lines, repairs fields fused by a missing delimiter,
and streams the file in batches, so that it never sits in memory whole. Both hand the same
text rows to the SQL steps ``pipelines/00*.sql`` and ``pipelines/01*.sql``, which parse and
validate everything at once: amounts, dates, totals lines, repeated transaction ids and rows
repeated from an earlier file of the load. A file whose rows all repeat an earlier file's
(a re-saved copy) is refused, as one given twice is.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from placespend import _careful, _dates, _mapping_file, _parse, _yaml, suggest
from placespend._sql import query
from placespend.errors import (
    InputFileError,
    ReconciliationError,
    UnknownLayoutError,
    collected,
    quoted,
    where,
)
from placespend.paths import PIPELINES_DIR

log = logging.getLogger(__name__)

_MAPPED_FIELDS = (
    "transaction_id", "date", "amount", "payee", "purpose", "org_unit", "capital_or_revenue",
)
_CONSTANT_FIELDS = ("payee", "purpose", "org_unit")


# -- column mappings ---------------------------------------------------------------------------


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


# -- reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileReport:
    """What happened to one spend file (the counts mirror its ``ingest_summary`` row)."""

    source_file: str
    path: Path
    mapping: str
    encoding: str
    delimiter: str
    header_line: int
    reader: str  # "duckdb" (fast path) or "python" (careful reader)
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    accepted_pence: int
    quarantined_pence: int
    quarantined_unparsed_rows: int
    repaired_rows: tuple[tuple[int, str], ...] = ()  # (line, note), the first 10,000
    repairs: int = 0  # rows repaired (fused fields split, empty extra fields dropped)


@dataclass(frozen=True)
class IngestReport:
    """The outcome of :func:`load_spend`, one :class:`FileReport` per file."""

    files: tuple[FileReport, ...]
    notes: tuple[str, ...] = ()  # for the build summary: rows repeated across files

    @property
    def rows_read(self) -> int:
        """Rows read over all files."""
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        """Rows now in ``payments``."""
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        """Rows now in ``spend_quarantine``."""
        return sum(f.rows_quarantined for f in self.files)

    @property
    def accepted_pence(self) -> int:
        """Pence now in ``payments``."""
        return sum(f.accepted_pence for f in self.files)

    @property
    def repairs(self) -> int:
        """Rows repaired (fused fields split) over all files."""
        return sum(f.repairs for f in self.files)


# -- the public entry point --------------------------------------------------------------------


def load_spend(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path | str],
    mapping: ColumnMapping | None = None,
) -> IngestReport:
    """Load spend files into ``payments``, ``spend_quarantine`` and ``ingest_summary``.

    The three tables are created or replaced on ``con``. ``row_id`` is unique across the
    files; ``source_row`` is the 1-based line in the file as an editor shows it.

    Parameters
    ----------
    con
        An open DuckDB connection.
    paths
        One or more CSV exports (several months or councils can be loaded together).
    mapping
        How to read the columns. ``None`` recognises the presets (:data:`PRESETS`) from each
        file's header.

    Returns
    -------
    IngestReport
        Per-file counts, encodings, readers used and repaired rows.

    Raises
    ------
    InputFileError
        A file is missing, is a spreadsheet, compressed or UTF-32, lacks a mapped column,
        holds no payments, or repeats another file of the load (by path, bytes or rows).
    ReconciliationError
        Rows or pence were not conserved (a bug, never expected).
    """
    if not paths:
        raise InputFileError("no spend files given; pass at least one CSV export")
    paths = [Path(p) for p in paths]
    refuse_repeated_files(paths)
    layouts = _spend_layouts(paths, mapping)
    _refuse_empty(layouts)
    names = _source_names(paths)
    _run_step(con, "00_ingest_macros")
    _run_step(con, "00a_raw_spend_init")
    outcomes: list[_ReadOutcome] = []
    for i, layout in enumerate(layouts):
        rows_before = sum(o.rows for o in outcomes)
        outcomes.append(_read_file(con, i, names[i], layout, rows_before))
    date_notes = _stage(con, names, layouts, outcomes)
    notes = _repeat_notes(con) + date_notes + _date_notes(con) + _suspect_notes(con)
    report = _report(con, paths, layouts, outcomes, notes)
    _check_invariant(con, {o.source_file: o.rows for o in outcomes})
    for table in ("raw_read_totals", "totals_lines", "stg_payments"):
        con.execute(f"drop table if exists {table}")  # temporary working tables, fixed names
    return report


def check_spend_files(paths: Sequence[Path | str], mapping: ColumnMapping | None = None) -> None:
    """Check, before a long build starts, that each file exists, is text and has a header.

    Raises
    ------
    InputFileError
        As :func:`load_spend` would for the same file, but in a fraction of a second.
    """
    layouts = _spend_layouts([Path(p) for p in paths], mapping)
    _refuse_empty(layouts)
    refuse_repeated_files([Path(p) for p in paths])


def _spend_layouts(paths: Sequence[Path], mapping: ColumnMapping | None) -> list[_parse.Layout]:
    """Each file's layout, by the given mapping or else a preset recognised from its header.

    Raises
    ------
    UnknownLayoutError
        When a header fits none of them: the message holds a mapping suggested from the
        first such file's header and values (:func:`placespend.suggest.unknown_layout_error`).
    """
    candidates = [mapping] if mapping else list(PRESETS.values())
    layouts, unknown = [], []
    for path in paths:
        try:
            layouts.append(_parse.sniff_file(path, candidates))
        except UnknownLayoutError as exc:
            unknown.append(exc)
    if unknown:
        raise suggest.unknown_layout_error(unknown, candidates, given=mapping is not None,
                                           presets=list(PRESETS.values()))
    return layouts


def _refuse_empty(layouts: Sequence[_parse.Layout]) -> None:
    """A file with a header and no line after it holds no payments: the wrong file, or an
    export cut short; building on would give an empty (or quietly partial) store."""
    problems = [
        f"{where(layout.path)}the file holds no payments: only the header row (line "
        f"{layout.header_line}), and no line after it. Check that this is the right export (a "
        "download cut short, or a filter that matched nothing) and download it again, or leave "
        "the file out"
        for layout in layouts
        if not layout.has_rows
    ]
    if problems:
        raise collected(InputFileError, "A spend file holds no payments", problems)


def refuse_repeated_files(paths: Sequence[Path]) -> None:
    """Refuse the same export given twice: by path, or as two files with identical bytes
    ("spend.csv" and "spend (1).csv" from two downloads). Loaded twice, a file without
    transaction ids would count every payment twice.

    Raises
    ------
    InputFileError
        Naming the files that repeat one another.
    """
    seen: dict[object, Path] = {}
    problems = []
    files = [p for p in paths if p.is_file()]  # sniff_file reports the others
    sizes = Counter(p.stat().st_size for p in {p.resolve() for p in files})
    for path in files:
        keys: list[tuple[object, ...]] = [("path", path.resolve())]
        size = path.stat().st_size
        if sizes[size] > 1:  # only files of one size can be copies: hash those alone
            keys.append(("bytes", size, _digest(path)))
        for key in keys:
            first = seen.setdefault(key, path)
            if first is not path:
                how = "is given twice" if key[0] == "path" else f"has the same contents as {first}"
                problems.append(f"{where(path)}{how}; load each export once")
                break
    if problems:
        raise collected(InputFileError, "A spend export is repeated", problems)


def _digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with path.open("rb") as f:
        while chunk := f.read(16 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def refuse_unusable_files(con: duckdb.DuckDBPyConnection, report: IngestReport) -> None:
    """Refuse a load in which a file had data rows but not one of them could be accepted.

    Such a file is the wrong file or the wrong layout (another delimiter, a different export);
    building on without it would quietly drop all of its spend. The message gives the first
    rows' reasons.

    Raises
    ------
    InputFileError
        Naming each such file with the line and reason of its first quarantined rows.
    """
    problems = []
    for f in report.files:
        if not f.rows_read:
            problems.append(
                f"{f.source_file}: the file holds no payments (no data rows after the header). "
                "Check that this is the right export, or leave the file out"
            )
        elif not f.rows_accepted:
            sample = query(con, "file_quarantine_sample", source_file=f.source_file, limit=3)
            reasons = "; ".join(f"row {r.source_row}: {r.reason}" for r in sample.itertuples())
            problems.append(
                f"{f.source_file}: none of its {f.rows_read:,} rows could be accepted ({reasons}). "
                "Fix the file as the reasons say, or leave it out"
            )
    if problems:
        raise collected(InputFileError, "Spend files with no usable row", problems)


# -- steps ---------------------------------------------------------------------------------------


def _run_step(con: duckdb.DuckDBPyConnection, step: str, **params: Any) -> None:
    """Run ``pipelines/<step>.sql`` with named parameters and log one line."""
    sql = (PIPELINES_DIR / f"{step}.sql").read_text(encoding="utf-8")
    if params:
        con.execute(sql, params)
    else:
        con.execute(sql)
    log.debug("ran %s", step)


def _source_names(paths: Sequence[Path]) -> list[str]:
    """File names, or full paths where two files share a name."""
    counts: dict[str, int] = {}
    for p in paths:
        counts[p.name] = counts.get(p.name, 0) + 1
    return [p.name if counts[p.name] == 1 else str(p) for p in paths]


@dataclass(frozen=True)
class _ReadOutcome:
    source_file: str
    reader: str
    encoding: str
    rows: int
    repaired_rows: tuple[tuple[int, str], ...]
    rows_before: int  # rows of the load's earlier files
    fast_layout: _parse.Layout | None = None  # read by DuckDB's reader: how to read it again
    delimiter: str = ","
    repairs: int = 0
    file_index: int = 0


def _read_file(
    con: duckdb.DuckDBPyConnection, index: int, name: str, layout: _parse.Layout,
    rows_before: int,
) -> _ReadOutcome:
    """Read one file (fast path first) into ``raw_spend``, numbered on from ``rows_before``
    (the rows of the load's earlier files)."""
    _run_step(con, "00c_raw_fast_file", file_index=index, source_file=name,
              delimiter=layout.delimiter, row_offset=layout.header_line + 1,
              rows_before=rows_before)
    rows = _read_fast(con, layout) if layout.fast_candidate else None
    _settle_fast_file(con, index, read=rows is not None)
    if rows is not None:
        outcome = _ReadOutcome(name, "duckdb", layout.encoding, rows, (), rows_before,
                               layout, layout.delimiter, file_index=index)
    else:
        reader = _careful.CarefulReader(layout, _batch_chars(con))
        params = _append_params(index, name, layout, rows_before, by_name=False)
        for batch in reader.batches():  # a batch at a time: the file is never held whole
            con.register("raw_file", _arrow(batch))
            try:
                _run_step(con, "00d_raw_spend_append", **params)
            finally:
                con.unregister("raw_file")
        outcome = _ReadOutcome(name, "python", reader.encoding, reader.rows,
                               reader.repaired_rows, rows_before, repairs=reader.repairs,
                               file_index=index)
    log.info("read %s: %d rows (%s reader)", name, outcome.rows, outcome.reader)
    return outcome


def _settle_fast_file(con: duckdb.DuckDBPyConnection, index: int, *, read: bool) -> None:
    """Where a file DuckDB's reader read starts in ``raw_fast``; or forget it, if it gave up."""
    if read:
        con.execute("update raw_fast_files set first_rowid = (select min(rowid) from raw_fast "
                    "where file_index = $i) where file_index = $i", {"i": index})
    else:
        con.execute("delete from raw_fast_files where file_index = $i", {"i": index})


def _last_fast_rowid(con: duckdb.DuckDBPyConnection) -> int:
    ((rowid,),) = con.execute("select coalesce(max(rowid), -1) from raw_fast").fetchall()
    return int(rowid)


def _read_fast(con: duckdb.DuckDBPyConnection, layout: _parse.Layout) -> int | None:
    """DuckDB's CSV reader, the mapped columns only, appended to ``raw_fast`` in one pass over
    the file; ``None``, with nothing kept, unless every line became exactly one row."""
    after_rowid = _last_fast_rowid(con)
    try:
        _run_step(con, "00c_raw_spend_append_csv", **_csv_params(layout),
                  **_append_params(0, "", layout, 0, by_name=True, csv=True))
    except duckdb.Error as exc:
        log.info("fast reader refused %s (%s); using the careful reader", layout.path, exc)
        return None
    ((rows,),) = con.execute("select count(*) from raw_fast where rowid > $after",
                             {"after": after_rowid}).fetchall()
    if layout.header_line + rows != layout.line_count:  # a value ran over lines
        con.execute("delete from raw_fast where rowid > $after", {"after": after_rowid})
        return None
    return rows


def _csv_params(layout: _parse.Layout) -> dict[str, Any]:
    """How DuckDB's reader reads the file: every field as text, named f000, f001, ..."""
    return {
        "path": str(layout.path),
        "skip": layout.header_line,
        "columns": {f"f{i:03d}": "VARCHAR" for i in range(len(layout.header))},
        "delimiter": layout.delimiter,
    }


def _arrow(batch: _careful.CarefulBatch) -> pa.Table:
    """A batch of the careful reader's rows as the Arrow table ``00d_raw_spend_append`` reads."""
    n = len(batch)
    offsets = pa.array([0, *accumulate(len(f) for f in batch.fields)], pa.int32())
    flat = pa.array(list(chain.from_iterable(batch.fields)), pa.string())
    return pa.table(
        {
            "source_row": pa.array(batch.lines, pa.int64()),
            "ordinal": pa.array(batch.ordinals, pa.int64()),
            "fields": pa.ListArray.from_arrays(offsets, flat),
            "raw": _sparse(batch.raw, n),
            "read_problem": _sparse(batch.read_problems, n),
            "repair_note": _sparse(batch.repair_notes, n),
        }
    )


_MEMORY_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
                 "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _batch_chars(con: duckdb.DuckDBPyConnection) -> int:
    """How much text the careful reader hands over at a time: 1/256 of the connection's memory
    cap (a build's, see placespend.store.memory_limit), between 1 and 16 M characters. The
    rows of a batch take several times their text in Python objects, on top of what DuckDB
    holds within the cap."""
    ((setting,),) = con.execute("select current_setting('memory_limit')").fetchall()
    setting = str(setting)
    number, _, unit = setting.strip().partition(" ")
    try:
        limit = float(number) * _MEMORY_UNITS[unit.strip().lower() or "b"]
    except (KeyError, ValueError):
        return _careful.DEFAULT_BATCH_CHARS
    return int(min(max(limit / 256, 2**20), 16 * 2**20))


def _sparse(values: dict[int, str], n: int) -> pa.Array:
    column: list[str | None] = [None] * n
    for i, value in values.items():
        column[i] = value
    return pa.array(column, pa.string())


def _append_params(index: int, name: str, layout: _parse.Layout, rows_before: int, *,
                   by_name: bool, csv: bool = False) -> dict[str, Any]:
    """Parameters of the append steps: each mapped column by its name in DuckDB's reader
    (``f000``, ``f001``, ...: 00c, which takes no ``csv`` row numbering) or by its 1-based place
    in the row's fields (00d)."""
    params: dict[str, Any] = {} if csv else {
        "file_index": index,
        "source_file": name,
        "delimiter": layout.delimiter,
        "rows_before": rows_before,
    }
    for f in _MAPPED_FIELDS:
        col = layout.positions.get(f)
        if by_name:
            params[f"{f}_name"] = None if col is None else f"f{col:03d}"
        else:
            params[f"{f}_col"] = None if col is None else col + 1
    for f in _CONSTANT_FIELDS:
        params[f"{f}_const"] = layout.mapping.constants.get(f)
    key = layout.unique_positions
    params["unique_n"] = len(key)
    for slot in range(MAX_UNIQUE_COLUMNS):
        col = key[slot] if slot < len(key) else None
        params[f"unique_{slot + 1}"] = (None if col is None
                                        else f"f{col:03d}" if by_name else col + 1)
    return params


def _stage(con: duckdb.DuckDBPyConnection, names: list[str], layouts: list[_parse.Layout],
           outcomes: list[_ReadOutcome]) -> tuple[str, ...]:
    """Parse, validate and split into the output tables (``pipelines/01*.sql``); the notes
    on how the files' dates were read."""
    for outcome in outcomes:
        if outcome.fast_layout and _has_blank_dates(con, outcome):
            _read_again(con, outcome)
            _run_step(con, "00c_raw_fast_fields", file_index=outcome.file_index)
            con.execute("drop table raw_csv")
            con.execute("delete from raw_fast where file_index = $i and date_clean is null",
                        {"i": outcome.file_index})
    dates = _dates.readings(con, names, layouts)
    _run_step(con, "00e_raw_read_totals")
    _run_step(con, "00f_totals_lines")
    if query(con, "unnamed_amounts").iloc[0, 0]:  # nearly never: spare most loads the sums
        _run_step(con, "00g_totals_unlabelled")
    earliest, latest = _parse.payment_date_range()
    _run_step(
        con,
        "01_stg_payments",
        **dates.params(),
        earliest_date=earliest,
        latest_date=latest,
        longest_text=_parse.LONGEST_TEXT,
        key_columns=[_key_columns(layout) for layout in layouts],
    )
    unreadable = _dates.unreadable_problems(con, layouts)
    if unreadable:
        raise collected(InputFileError, "A file's dates cannot be read", unreadable)
    _refuse_copies(con, {n: layout.path for n, layout in zip(names, layouts, strict=True)})
    _run_step(con, "01_stg_payments_raw")
    for table in ("view raw_spend", "table raw_careful", "table raw_fast",
                  "table raw_fast_files"):
        con.execute(f"drop {table}")  # read: free their memory for the steps that follow
    for outcome in outcomes:
        if outcome.fast_layout and _lacks_raw(con, outcome):
            _read_again(con, outcome)
            _run_step(con, "01_stg_payments_raw_csv", rows_before=outcome.rows_before,
                      delimiter=outcome.delimiter)
            con.execute("drop table raw_csv")
    _refuse_unsummable(con)
    _run_step(con, "01a_payments")
    _run_step(con, "01b_spend_quarantine")
    _run_step(con, "01i_possible_duplicates")
    con.register(
        "spend_files",
        pa.table(
            {
                "file_index": pa.array(range(len(names)), pa.int32()),
                "source_file": pa.array(names, pa.string()),
            }
        ),
    )
    _run_step(con, "01c_ingest_summary")
    con.unregister("spend_files")
    return dates.notes


def _lacks_raw(con: duckdb.DuckDBPyConnection, outcome: _ReadOutcome) -> bool:
    """Whether a refused row of this DuckDB-read file still lacks its raw text (which only a
    second read of the file, 00b, gives: a clean file is read once)."""
    found = con.execute(
        "select 1 from stg_payments where read_row between $first and $last "
        "and reason is not null and raw is null limit 1",
        {"first": outcome.rows_before + 1, "last": outcome.rows_before + outcome.rows}).fetchall()
    return bool(found)


def _has_blank_dates(con: duckdb.DuckDBPyConnection, outcome: _ReadOutcome) -> bool:
    """Whether this DuckDB-read file has a row with a blank date (a totals line, perhaps)."""
    return bool(con.execute(
        "select 1 from raw_fast where file_index = $i and date_clean is null limit 1",
        {"i": outcome.file_index}).fetchall())


def _read_again(con: duckdb.DuckDBPyConnection, outcome: _ReadOutcome) -> None:
    """``raw_csv``: a DuckDB-read file read again, every field as text (00b), for the few rows
    that need more than their mapped fields; the file must not have changed in between."""
    assert outcome.fast_layout is not None
    try:
        _run_step(con, "00b_raw_csv", **_csv_params(outcome.fast_layout))
        rows = con.table("raw_csv").shape[0]
    except duckdb.Error:
        rows = -1
    if rows != outcome.rows:
        con.execute("drop table if exists raw_csv")
        msg = (f"{where(outcome.source_file)}the file changed while it was read ({outcome.rows:,} "
               f"rows, then {max(rows, 0):,}); let whatever writes it finish, then build again")
        raise InputFileError(msg)


def _key_columns(layout: _parse.Layout) -> str:
    """The declared unique key's columns as the file names them (``TransNo, Seq no``)."""
    return ", ".join(" ".join(layout.header[p].split()) for p in layout.unique_positions)


def _refuse_copies(con: duckdb.DuckDBPyConnection, paths: Mapping[str, Path]) -> None:
    """Refuse a file whose rows are another file's, in any order, line endings or encoding (a
    re-saved copy, which refuse_repeated_files cannot tell from its bytes)."""
    copies = query(con, "repeated_files")
    problems = [
        f"{where(paths[later])}has the same contents as {paths[earlier]} (the same rows, "
        "though not the same bytes: re-saved with other line endings or encoding, or "
        "re-sorted); load each export once"
        for later, earlier in copies.itertuples(index=False)
    ]
    if problems:
        raise collected(InputFileError, "A spend export is repeated", problems)


def _repeat_notes(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """One note per pair of files that share rows, for the build summary."""
    return tuple(
        f"{r.source_file}: {r.n_rows:,} rows (£{r.pence / 100:,.2f}) are the same payments as "
        f"rows of {r.repeats_file} and were quarantined, not counted twice: the files' periods "
        "overlap. Load each period once (`placespend quarantine` lists the rows)"
        for r in query(con, "repeated_rows").itertuples()
    )


def _date_notes(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """One note per file whose dates the mapping's formats did not read, for the summary."""
    notes = []
    for r in query(con, "dates_by_fallback").itertuples():
        one = r.n_rows == 1
        notes.append(
            f"{r.source_file}: {r.n_rows:,} date{'' if one else 's'} (e.g. '{r.example}') "
            f"{'is' if one else 'are'} not in the mapping's date formats and "
            f"{'was' if one else 'were'} read as a common day-first layout; to be sure, add "
            "the format to the mapping's date_formats")
    return tuple(notes)


def _suspect_notes(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """One note per file with accepted lines that repeat an earlier line in every field."""
    notes = []
    for r in query(con, "possible_duplicates_by_file").itertuples():
        one = r.n_rows == 1
        notes.append(
            f"{r.source_file}: {r.n_rows:,} accepted line{'' if one else 's'} (£"
            f"{r.pence / 100:,.2f}) repeat{'s' if one else ''} an earlier line of the file in "
            "every mapped field (date, amount, payee, purpose, unit and id): kept as separate "
            "payments, since one supplier can be paid the same twice, but possible duplicates; "
            "`placespend quarantine --suspects` lists them. If a column of the file tells "
            "lines apart (a line number), declare it in the mapping's unique key, e.g. "
            "unique: [transaction_id, Line No]")
    return tuple(notes)


# Every pence total in the store is a BIGINT (at most 2^63 - 1); the absolute amounts of a load
# must add up to half of that, so no sum of them, signed or not, can overflow.
MOST_GROSS_PENCE = 2**62


def _refuse_unsummable(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a load whose amounts add up beyond what integer pence can hold.

    Each amount is at most 15 whole digits of pounds, but a hundred such rows would overflow
    the sums: that is a misread column (a reference number taken for an amount), not spend.
    """
    size = query(con, "spend_magnitude", most_gross_pence=MOST_GROSS_PENCE).iloc[0]
    if not size.too_big:
        return
    msg = (
        f"{where(size.largest_file, int(size.largest_row))}the amounts read add up to "
        f"£{int(size.gross_pence) // 100:,}, more than placespend can add up exactly "
        f"(£{MOST_GROSS_PENCE // 100:,}); the largest is '{size.largest_text}' here. Check that "
        "the amount column is the right one and holds pounds (not pence or a reference number)."
    )
    raise InputFileError(msg)


def _report(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    layouts: list[_parse.Layout],
    outcomes: list[_ReadOutcome],
    notes: tuple[str, ...] = (),
) -> IngestReport:
    summary = con.table("ingest_summary").fetchall()
    files = []
    for path, layout, outcome, row in zip(paths, layouts, outcomes, summary, strict=True):
        files.append(
            FileReport(
                row[0],
                path,
                layout.mapping.name,
                outcome.encoding,
                layout.delimiter,
                layout.header_line,
                outcome.reader,
                *row[1:],
                repaired_rows=outcome.repaired_rows,
                repairs=outcome.repairs,
            )
        )
    return IngestReport(tuple(files), notes)


def _check_invariant(con: duckdb.DuckDBPyConnection, rows_by_file: dict[str, int]) -> None:
    """Recount from raw rows and both output tables; raise if anything is off."""
    sql = (PIPELINES_DIR / "01d_ingest_check.sql").read_text(encoding="utf-8")
    problems = []
    for rec in con.execute(sql).fetchall():
        (
            name,
            raw_rows,
            read_pence,
            pay_n,
            pay_p,
            q_n,
            q_p,
            q_unparsed,
            rows_read,
            rows_acc,
            rows_q,
            acc_p,
            q_pence,
            unparsed,
            dup_ids,
        ) = rec
        checks = {
            "rows read by the reader = rows_read": rows_by_file[name] == rows_read,
            "raw rows = rows_read": (raw_rows or 0) == rows_read,
            "rows_read = rows_accepted + rows_quarantined": rows_read == rows_acc + rows_q,
            "payments rows = rows_accepted": pay_n == rows_acc,
            "quarantine rows = rows_quarantined": q_n == rows_q,
            "read pence = accepted + quarantined pence": (read_pence or 0) == acc_p + q_pence,
            "payments pence = accepted_pence": pay_p == acc_p,
            "quarantine pence = quarantined_pence": q_p == q_pence,
            "unparsed quarantined rows agree": q_unparsed == unparsed,
            "payments.row_id is unique": dup_ids == 0,
        }
        problems += [f"{name}: {label} fails ({rec})" for label, ok in checks.items() if not ok]
    if problems:
        raise collected(
            ReconciliationError, "Spend ingest did not conserve rows or pence", problems
        )


# -- contracts register --------------------------------------------------------------------------

CONTRACT_COLUMNS: tuple[str, ...] = (
    "contract_id",
    "title",
    "supplier",
    "service",
    "purpose",
    "scope_type",
    "scope_code",
    "annual_value_gbp",
    "start_date",
    "end_date",
)
CONTRACT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y")


def load_contracts(con: duckdb.DuckDBPyConnection, path: Path | str | None) -> int:
    """Load the contracts register into the ``contracts`` table (created or replaced).

    Columns: ``contract_id, title, supplier, service, purpose, scope_type, scope_code,
    annual_value_gbp, start_date, end_date``. ``service`` (a catalogue service id) or
    ``purpose`` (the payments' Purpose text) may be blank but not both; ``scope_type`` is
    ``borough``, ``ward`` or ``estate``; ``scope_code`` is required for ward and estate;
    dates are ISO (``2024-04-01``) or ``dd/mm/yyyy`` and may be blank (open-ended);
    ``contract_id`` is unique. ``supplier_key`` is normalised exactly like
    ``payments.payee_key`` (macro ``ps_payee_key``), so the two join.

    Parameters
    ----------
    con
        An open DuckDB connection.
    path
        The register (CSV). ``None`` creates an empty ``contracts`` table.

    Returns
    -------
    int
        The number of contracts loaded.

    Raises
    ------
    InputFileError
        Listing every invalid row with its line number and the fix, all at once.
    """
    path = None if path is None else Path(path)
    rows = [] if path is None else _read_contract_rows(path)
    columns = {name: [r.fields[i] for r in rows] for i, name in enumerate(CONTRACT_COLUMNS)}
    columns["value_text"] = columns.pop("annual_value_gbp")
    columns["raw"] = [r.text for r in rows]
    columns["service_source"] = ["column" if r.fields[3].strip() else "purpose" for r in rows]
    problems = stage_contracts(con, path, [r.line for r in rows], columns, [],
                               CONTRACT_DATE_FORMATS, NATIVE_LABELS, "annual")
    if problems:
        raise collected(
            InputFileError,
            f"{path}: the contracts register has invalid rows; fix them and build again",
            [f"row {row}: {problem}" for row, problem in problems],
        )
    return finish_contracts(con)


NATIVE_LABELS: dict[str, str] = {
    "id_label": "contract_id", "supplier_label": "supplier", "value_label": "annual_value_gbp",
    "start_label": "start_date", "end_label": "end_date",
}
"""How messages name the register's columns (placespend's own; a mapped register's differ)."""

RAW_CONTRACT_FIELDS = (
    "contract_id", "title", "description", "supplier", "department", "service", "purpose",
    "scope_type", "scope_code", "value_text", "start_date", "end_date", "raw",
    "service_source", "reader_problem",
)
"""The text columns of ``raw_contracts``, as ``01e_stg_contracts`` reads them."""


def stage_contracts(
    con: duckdb.DuckDBPyConnection,
    path: Path | None,
    lines: Sequence[int],
    columns: Mapping[str, Sequence[str | None]],
    rejects: Sequence[tuple[int, str, str]],
    date_formats: Sequence[str],
    labels: Mapping[str, str],
    value_basis: str,
) -> list[tuple[int, str]]:
    """Parse and check a register's rows (``01e_stg_contracts``) into ``stg_contracts``.

    ``columns`` holds each of :data:`RAW_CONTRACT_FIELDS` (missing ones are blank) for the rows
    at ``lines``; ``rejects`` are rows the reader could not split: (line, reason, text).
    Returns (row, problem) for every row with a problem, in row order.
    """
    n = len(lines)
    name = path.name if path else None
    table = {"source_file": pa.array([name] * n, pa.string()),
             "source_row": pa.array(list(lines), pa.int64())}
    for f in RAW_CONTRACT_FIELDS:
        table[f] = pa.array(list(columns.get(f, [None] * n)), pa.string())
    rejected = pa.table({
        "source_file": pa.array([name] * len(rejects), pa.string()),
        "source_row": pa.array([r[0] for r in rejects], pa.int64()),
        "reason": pa.array([r[1] for r in rejects], pa.string()),
        "raw": pa.array([r[2] for r in rejects], pa.string()),
    })
    _run_step(con, "00_ingest_macros")
    con.register("raw_contracts", pa.table(table))
    try:
        _run_step(con, "01e_stg_contracts", date_formats=list(date_formats),
                  earliest_year=_parse.EARLIEST_YEAR, latest_year=_parse.LATEST_YEAR,
                  value_basis=value_basis, **labels)
    finally:
        con.unregister("raw_contracts")
    con.register("_contract_rejects", rejected)
    try:
        con.execute("create or replace temp table raw_contract_rejects as "
                    "select * from _contract_rejects")
    finally:
        con.unregister("_contract_rejects")
    staged = con.table("stg_contracts").select("source_row", "problem").fetchall()
    return [(row, problem) for row, problem in staged if problem is not None]


def finish_contracts(con: duckdb.DuckDBPyConnection) -> int:
    """``contracts``, ``contract_details``, ``contract_quarantine`` and ``contract_summary``
    from the staged register; checks rows and value are conserved. Returns the contracts."""
    for step in ("01f_contracts", "01j_contract_details", "01k_contract_quarantine",
                 "01l_contract_summary"):
        _run_step(con, step)
    bad = con.execute(
        "select source_file, rows_read, rows_accepted, rows_quarantined, read_value_pence, "
        "accepted_value_pence, quarantined_value_pence from contract_summary "
        "where rows_read <> rows_accepted + rows_quarantined "
        "or read_value_pence <> accepted_value_pence + quarantined_value_pence").fetchall()
    if bad:
        raise collected(ReconciliationError, "The contracts register did not conserve rows or "
                        "value", [str(b) for b in bad])
    n = con.table("contracts").shape[0]
    log.info("contracts: %d rows", n)
    return n


def _read_contract_rows(path: Path) -> list[_parse.RawRow]:
    """The register's rows as text, one field per contract column, with their line numbers."""
    if not path.is_file():
        msg = f"{where(path)}file not found; check the path to the contracts register"
        raise InputFileError(msg)
    fix = f"give the register a header row with the columns {', '.join(CONTRACT_COLUMNS)}"
    layout = _parse.sniff_file(path, [_CONTRACT_HEADER], fix)
    text, _ = _parse.decode(path.read_bytes())
    problems, rows = [], []
    for raw in _parse.iter_rows(text, layout.delimiter, layout.header_line + 1):
        if len(raw.fields) != len(layout.header) and any(f.strip() for f in raw.fields):
            problems.append(
                f"row {raw.line}: expected {len(layout.header)} fields, found "
                f"{len(raw.fields)}; quote values that contain '{layout.delimiter}'"
            )
            continue
        fields_ = [raw.fields[layout.positions[c]] for c in CONTRACT_COLUMNS]
        if any(f.strip() for f in fields_):
            rows.append(_parse.RawRow(raw.line, fields_, raw.text))
    if problems:
        raise collected(InputFileError, f"{path}: the contracts register cannot be read", problems)
    return rows


@dataclass(frozen=True)
class _ContractHeader:
    """The register's columns, in the shape the header sniffer expects."""

    name: str = "contracts register"
    date_formats: tuple[str, ...] = CONTRACT_DATE_FORMATS
    constants: Mapping[str, str] = field(default_factory=dict)
    unique: tuple[str, ...] = ()

    def alternatives(self) -> dict[str, tuple[str, ...]]:
        return {c: (c,) for c in CONTRACT_COLUMNS}


_CONTRACT_HEADER = _ContractHeader()


def check_contract_scopes(
    con: duckdb.DuckDBPyConnection, ward_codes: Iterable[str], estate_ids: Iterable[str]
) -> None:
    """Check every ward- or estate-scoped contract names a known ward code or estate id.

    Call on the connection :func:`load_contracts` used (row numbers come from its staging).

    Raises
    ------
    InputFileError
        Listing each contract whose ``scope_code`` is unknown, with its row and the fix.
    """
    sql = (PIPELINES_DIR / "01g_contract_scopes.sql").read_text(encoding="utf-8")
    params = {"ward_codes": sorted(set(ward_codes)), "estate_ids": sorted(set(estate_ids))}
    unknown = con.execute(sql, params).fetchall()
    if not unknown:
        return
    problems = [
        f"{where(source, row)}contract '{cid}': {kind} '{code}' is not a known "
        f"{'ward code' if kind == 'ward' else 'estate id'}; correct scope_code, or add the "
        f"{kind} to the boundaries"
        for cid, kind, code, source, row in unknown
    ]
    raise collected(InputFileError, "Contracts name places that do not exist", problems)


def check_contract_services(con: duckdb.DuckDBPyConnection, service_ids: Iterable[str]) -> None:
    """Check every contract that names a service names one of the catalogue's.

    A contract for an unknown service (a typo, a service renamed in the catalogue) would match
    no payment and scope nothing, silently. Call on the connection :func:`load_contracts` used.

    Raises
    ------
    InputFileError
        Listing each such contract with its row, the unknown service and a close match (or the
        known services).
    """
    known = sorted(set(service_ids))
    sql = (PIPELINES_DIR / "01h_contract_services.sql").read_text(encoding="utf-8")
    unknown = con.execute(sql, {"service_ids": known}).fetchall()
    if not unknown:
        return
    problems = [
        f"{where(source, row)}contract {quoted(cid)}: service {quoted(sid)} is not a service of "
        f"the catalogue{_known_services(sid, known)}; correct the service id, or leave service "
        "blank and give the payments' purpose"
        for cid, sid, source, row in unknown
    ]
    raise collected(InputFileError, "Contracts name services the catalogue lacks", problems)


def _known_services(service_id: str, known: list[str], shown: int = 20) -> str:
    close = difflib.get_close_matches(service_id[:200], known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    more = f", … and {len(known) - shown} more" if len(known) > shown else ""
    return f" (known: {', '.join(known[:shown])}{more})"
