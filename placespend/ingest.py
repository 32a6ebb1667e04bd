"""Read council spend exports into DuckDB, losing nothing.

Every row read ends up either in ``payments`` or in ``spend_quarantine`` with a reason, and
``ingest_summary`` proves it per file (see ``docs/ARCHITECTURE.md`` for the tables):

    rows_read = rows_accepted + rows_quarantined
    pence of every parseable amount read = accepted_pence + quarantined_pence

Reading is two-speed. A well-formed UTF-8 file (Camden's export of 416,000 rows) goes through
DuckDB's CSV reader, once, keeping only its mapped columns (a second read, every field as text,
serves only a file with refused rows or blank dates, for those rows' raw text and fields); a
file DuckDB refuses any line of, or whose lines do not line up with its rows, is read again by
a careful Python reader (:mod:`placespend._careful`) that sniffs the
encoding, finds the header after preamble lines, repairs fields fused by a missing delimiter,
and streams the file in batches, so that it never sits in memory whole. Both hand the same
text rows to the SQL steps ``pipelines/00*.sql`` and ``pipelines/01*.sql``, which parse and
validate everything at once: amounts, dates, totals lines, repeated transaction ids and rows
repeated from an earlier file of the load. A file whose rows all repeat an earlier file's
(a re-saved copy) is refused, as one given twice is.

Column mappings live in :mod:`placespend.column_mapping` and the contracts register in
:mod:`placespend.register`; their public names are importable from here too.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from placespend import _careful, _dates, _parse, _sql, checks, suggest
from placespend._sql import query
from placespend.column_mapping import (
    _CONSTANT_FIELDS,
    _MAPPED_FIELDS,
    MAX_UNIQUE_COLUMNS,
    PRESETS,
    ColumnMapping,
)
from placespend.column_mapping import CAMDEN as CAMDEN
from placespend.column_mapping import LAMBETH as LAMBETH
from placespend.column_mapping import Columns as Columns
from placespend.column_mapping import load_mapping as load_mapping
from placespend.errors import (
    InputFileError,
    ReconciliationError,
    UnknownLayoutError,
    collected,
    where,
)
from placespend.register import CONTRACT_COLUMNS as CONTRACT_COLUMNS
from placespend.register import CONTRACT_DATE_FORMATS as CONTRACT_DATE_FORMATS
from placespend.register import NATIVE_LABELS as NATIVE_LABELS
from placespend.register import RAW_CONTRACT_FIELDS as RAW_CONTRACT_FIELDS
from placespend.register import check_contract_scopes as check_contract_scopes
from placespend.register import check_contract_services as check_contract_services
from placespend.register import finish_contracts as finish_contracts
from placespend.register import load_contracts as load_contracts
from placespend.register import stage_contracts as stage_contracts

log = logging.getLogger(__name__)

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
    files = [Path(p) for p in paths]
    refuse_repeated_files(files)
    layouts = _spend_layouts(files, mapping)
    _refuse_empty(layouts)
    names = _source_names(files)
    _run_step(con, "00_ingest_macros")
    _run_step(con, "00a_raw_spend_init")
    outcomes: list[_ReadOutcome] = []
    for i, layout in enumerate(layouts):
        rows_before = sum(o.rows for o in outcomes)
        outcomes.append(_read_file(con, i, names[i], layout, rows_before))
    date_notes = _stage(con, names, layouts, outcomes)
    notes = _repeat_notes(con) + date_notes + _date_notes(con) + _suspect_notes(con)
    report = _report(con, files, layouts, outcomes, notes)
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
    """Run ``pipelines/<step>.sql`` with the parameters it names (through the one runner,
    :func:`placespend._sql.run`; this name is where the benchmark's profile hooks in)."""
    _sql.run(con, step, **params)


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
    summary = _records(con.table("ingest_summary"))
    files = []
    for path, layout, outcome, counts in zip(paths, layouts, outcomes, summary, strict=True):
        files.append(
            FileReport(
                path=path,
                mapping=layout.mapping.name,
                encoding=outcome.encoding,
                delimiter=layout.delimiter,
                header_line=layout.header_line,
                reader=outcome.reader,
                repaired_rows=outcome.repaired_rows,
                repairs=outcome.repairs,
                **counts,
            )
        )
    return IngestReport(tuple(files), notes)


def _records(relation: duckdb.DuckDBPyConnection | duckdb.DuckDBPyRelation
             ) -> list[dict[str, Any]]:
    """The rows of a query result or table as dicts by column name (not by position)."""
    columns = [d[0] for d in relation.description]
    return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def _check_invariant(con: duckdb.DuckDBPyConnection, rows_by_file: dict[str, int]) -> None:
    """Prove the ingest conserved every file: the readers' row counts and the raw rows they
    left agree with the summary (``01d``), and the summary with the payments and quarantine
    written (the declared checks ``files_conserved`` and ``payment_ids_unique``); raise a
    :class:`~placespend.errors.ReconciliationError` if anything is off (a bug, never
    expected)."""
    problems = []
    for r in _records(_sql.run(con, "01d_ingest_check")):
        name, rows_read = r["source_file"], r["rows_read"]
        recount = {
            "rows read by the reader = rows_read": rows_by_file[name] == rows_read,
            "raw rows = rows_read": r["raw_rows"] == rows_read,
            "read pence = accepted + quarantined pence":
                r["read_pence"] == r["accepted_pence"] + r["quarantined_pence"],
        }
        problems += [f"{name}: {label} fails ({r})" for label, ok in recount.items() if not ok]
    if problems:
        raise collected(
            ReconciliationError, "Spend ingest did not conserve rows or pence", problems
        )
    checks.run_checks(con, ["files_conserved", "payment_ids_unique"])
