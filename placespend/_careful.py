"""The careful reader of :mod:`placespend.ingest`: any supported encoding, streamed in batches.

A file DuckDB's CSV reader refuses (another encoding, a broken line) is read here, row by
row, without ever holding the file in memory: the bytes are decoded incrementally
(:func:`placespend._parse.file_encoding` picks the encoding, reading in chunks), lines are
split as an editor numbers them, rows handed out in batches of a few MB of text that
``ingest`` appends to DuckDB, which spills past the build's memory cap. Memory therefore stays
within a batch, plus one row, plus what the repairs keep:

* rows too short for the header may be fields fused by a missing delimiter. They can be split
  back only once the shapes of the file's valid dates are known, that is after the last row,
  so they are held aside (on disk past a few MB) and handed out, repaired or not, at the end;
* the distinct date texts seen, at most ``_DATE_TEXTS`` of them, give those shapes.

A row is never longer than ``MAX_ROW_CHARS``: a longer line, or a quote left open that runs
on past that, is cut there and refused as a broken row (its start kept as its raw text), and
reading goes on at the next line.
"""

from __future__ import annotations

import csv
import io
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from placespend._parse import (
    _MAX_DATE_CHARS,
    _WS,
    DELIMITERS,
    FALLBACK_DATE_FORMATS,
    Layout,
    _allow_long_fields,
    date_pattern,
    file_encoding,
    parse_date,
    repair_fused,
    shape,
    split_fields,
)

MAX_ROW_CHARS = 16 * 2**20  # 16 M characters: no payment is that long
REPAIRS_LISTED = 10_000  # repaired rows listed by line in the report (all are counted)
DEFAULT_BATCH_CHARS = 4 * 2**20
_BATCH_ROWS = 50_000
_RAW_KEPT_CHARS = 10_000  # of a row too long to read: its start, kept as its raw text
_DATE_TEXTS = 100_000  # distinct date texts kept to learn the file's date shapes
_HELD_IN_MEMORY_CHARS = 4 * 2**20  # held rows past this go to a temporary file
# What a spreadsheet writes for a formula that failed: past the header's last column such a
# field is the residue of a lookup column, not data, and is dropped with a note.
SPREADSHEET_ERRORS = frozenset(
    {"#N/A", "#N/A N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!",
     "#SPILL!", "#CALC!", "#GETTING_DATA"})


@dataclass
class CarefulBatch:
    """Consecutive rows of one file (or the held rows, at the end), as columns.

    ``ordinals`` are the rows' 0-based places among the file's rows (so its row numbers run on
    whatever order batches come in); ``raw``, ``read_problems`` and ``repair_notes`` map a row's
    index in the batch to its text as read, why it cannot be used, or what was repaired.
    """

    ordinals: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    fields: list[list[str]] = field(default_factory=list)
    raw: dict[int, str] = field(default_factory=dict)
    read_problems: dict[int, str] = field(default_factory=dict)
    repair_notes: dict[int, str] = field(default_factory=dict)
    chars: int = 0

    def add(self, row: _Row, chars: int) -> None:
        i = len(self.ordinals)
        self.ordinals.append(row.ordinal)
        self.lines.append(row.line)
        self.fields.append(row.fields)
        for column, value in ((self.raw, row.raw), (self.read_problems, row.problem),
                              (self.repair_notes, row.note)):
            if value is not None:
                column[i] = value
        self.chars += chars

    def __len__(self) -> int:
        return len(self.ordinals)


@dataclass
class _Row:
    ordinal: int
    line: int
    fields: list[str]
    raw: str | None = None
    problem: str | None = None
    note: str | None = None


class CarefulReader:
    """Read every data row after the header, repairing what can be repaired unambiguously.

    Rows with the header's number of fields pass as they are; extra fields that are all blank
    are dropped (noted); a short row is repaired by :func:`placespend._parse.repair_fused` when
    exactly one split fits, else it and any other row of the wrong width get a read problem.

    Iterate :meth:`batches` once; then ``rows`` is the number of rows read, ``repairs`` the
    number repaired and :attr:`repaired_rows` lists them.
    """

    def __init__(self, layout: Layout, batch_chars: int = DEFAULT_BATCH_CHARS) -> None:
        self.layout = layout
        self.encoding, self._errors = file_encoding(layout.path)
        self.batch_chars = batch_chars
        self.rows = 0
        self.repairs = 0
        self._listed: list[tuple[int, str]] = []
        self._date_texts: set[str] = set()
        self._width = len(layout.header)
        self._date_col = layout.positions["date"]

    @property
    def repaired_rows(self) -> tuple[tuple[int, str], ...]:
        """``(line, note)`` of the repaired rows (the first ``REPAIRS_LISTED``), in file order."""
        return tuple(sorted(self._listed))

    def batches(self) -> Iterator[CarefulBatch]:
        """The file's rows in batches of about ``batch_chars`` characters of text."""
        held = _Held()
        batch = CarefulBatch()
        layout = self.layout
        for record in _records(layout.path, self.encoding, self._errors, layout.delimiter,
                               layout.header_line):
            row, repairable = self._row(record)
            self.rows += 1
            if repairable:
                held.add(row, record.chars)
                continue
            batch.add(row, record.chars)
            if batch.chars >= self.batch_chars or len(batch) >= _BATCH_ROWS:
                yield batch
                batch = CarefulBatch()
        if batch:
            yield batch
        yield from self._repaired(held)

    def _row(self, record: _Record) -> tuple[_Row, bool]:
        """The row a record gives, and whether it waits for the repairs."""
        row = _Row(self.rows, record.line, record.fields or [])
        if record.fields is None:  # too long to read
            row.raw = record.lines[0][:_RAW_KEPT_CHARS] + " …"
            last = record.line + record.n_lines - 1
            lines = f"line {last}" if last == record.line else f"lines {record.line}-{last}"
            row.problem = (
                f"this row is {record.chars:,} characters long, more than the "
                f"{MAX_ROW_CHARS:,} a row may have ({lines}): a broken export, an unclosed "
                "quote or lines run together; check the file there"
            )
            return row, False
        if len(row.fields) == self._width:
            self._saw_date(row.fields)
            return row, False
        row.raw = "".join(record.lines).rstrip("\r\n")
        extra = [f.strip(_WS) for f in row.fields[self._width:]]
        if extra and all(not f or f.upper() in SPREADSHEET_ERRORS for f in extra):
            row.fields = row.fields[: self._width]
            errors = sorted({f for f in extra if f})
            row.note = (f"dropped {len(extra)} empty trailing field(s)" if not errors else
                        f"dropped {len(extra)} trailing field(s) past the header holding only "
                        f"blanks or a spreadsheet's error value ({', '.join(errors)})")
            self._noted(row)
            self._saw_date(row.fields)
            return row, False
        row.problem = self._why_misread(row, record.n_lines)
        return row, len(row.fields) < self._width

    def _saw_date(self, fields: list[str]) -> None:
        if len(self._date_texts) < _DATE_TEXTS:
            text = fields[self._date_col].strip(_WS)
            if len(text) <= _MAX_DATE_CHARS:
                self._date_texts.add(text)

    def _noted(self, row: _Row) -> None:
        self.repairs += 1
        if len(self._listed) < REPAIRS_LISTED:
            self._listed.append((row.line, row.note or ""))

    def _why_misread(self, row: _Row, n_lines: int) -> str:
        """Why a row of the wrong width cannot be used (unless a repair splits it)."""
        width, found = self._width, len(row.fields)
        if n_lines > 1:
            return (
                f"expected {width} fields, found {found}: a quote (\") opened in this row is not "
                f"closed where the row ends, so lines {row.line}-{row.line + n_lines - 1} were "
                "read as one row; close the quote or remove it"
            )
        delimiter = self.layout.delimiter
        for other in DELIMITERS:
            if other != delimiter and len(split_fields(row.raw or "", other)) == width:
                return (
                    f"expected {width} fields separated by {delimiter!r} as in the header, "
                    f"found {found}; this line splits into {width} fields at {other!r}: save the "
                    "file with one delimiter throughout"
                )
        if found < width:
            return (
                f"expected {width} fields, found {found}: a truncated line, or fields "
                "fused by a missing delimiter that cannot be split unambiguously"
            )
        return (
            f"expected {width} fields, found {found}: a delimiter inside an "
            "unquoted value, or a merged line"
        )

    def _repaired(self, held: _Held) -> Iterator[CarefulBatch]:
        """The held short rows, each split back apart when exactly one way fits."""
        if not held.count:
            return
        layout = self.layout
        formats = tuple(layout.mapping.date_formats) or FALLBACK_DATE_FORMATS
        shapes = self._date_shapes(formats)
        date_re = "|".join(f"(?:{date_pattern(f)})" for f in formats)
        date_col, amount_col = layout.positions["date"], layout.positions["amount"]
        for chunk in held.chunks():
            batch = CarefulBatch()
            for row in chunk:
                fixed = repair_fused(row.fields, self._width, date_col, amount_col, date_re,
                                     shapes, formats)
                if fixed is not None:
                    row.fields, row.note, row.problem = fixed.fields, fixed.note, None
                    self._noted(row)
                batch.add(row, 0)
            yield batch

    def _date_shapes(self, formats: tuple[str, ...]) -> frozenset[str]:
        """Digit shapes of the valid dates in the file's well-formed rows."""
        shapes = set()
        for text in self._date_texts:
            try:
                parse_date(text, formats)
            except ValueError:
                continue
            shapes.add(shape(text))
        return frozenset(shapes)


class _Held:
    """Rows kept aside until the whole file is read, in file order; past a few MB of text they
    go to a temporary file (a file of nothing but short rows must not fill memory)."""

    def __init__(self) -> None:
        self.count = 0
        self._rows: list[_Row] = []
        self._chars = 0
        self._file: IO[bytes] | None = None

    def add(self, row: _Row, chars: int) -> None:
        self._rows.append(row)
        self._chars += chars
        self.count += 1
        if self._chars > _HELD_IN_MEMORY_CHARS:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="placespend-held-")
            pickle.dump(self._rows, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._rows, self._chars = [], 0

    def chunks(self) -> Iterator[list[_Row]]:
        if self._file is not None:
            self._file.seek(0)
            try:
                while True:
                    try:
                        yield pickle.load(self._file)  # noqa: S301 - our own file, just written
                    except EOFError:
                        break
            finally:
                self._file.close()
        if self._rows:
            yield self._rows


# -- records: CSV rows with their lines --------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    line: int  # the row's first line, as an editor numbers them
    n_lines: int
    fields: list[str] | None  # None: longer than MAX_ROW_CHARS, not read
    lines: list[str]  # its lines, ends kept (of a row too long: its start alone)
    chars: int


class _RowTooLong(Exception):  # noqa: N818 - a signal inside this module, never raised out
    def __init__(self, line: int, n_lines: int, start: str, chars: int) -> None:
        super().__init__(line)
        self.line, self.n_lines, self.start, self.chars = line, n_lines, start, chars


@dataclass(frozen=True)
class _LongLine:
    start: str  # the first characters of a line longer than MAX_ROW_CHARS
    chars: int


def _records(path: Path, encoding: str, errors: str, delimiter: str,
             header_line: int) -> Iterator[_Record]:
    """The CSV rows after line ``header_line``; blank lines are skipped. A quoted field may
    span lines; ``line`` is where the row starts."""
    _allow_long_fields()
    with path.open("rb") as binary:
        text = io.TextIOWrapper(binary, encoding=encoding, errors=errors, newline="")
        lines = _lines(text)
        for _ in range(header_line):  # preamble and header
            next(lines, None)
        feed = _Feed(lines, header_line + 1)
        reader = csv.reader(feed, delimiter=delimiter, quotechar='"', doublequote=True)
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except _RowTooLong as long:
                yield _Record(long.line, long.n_lines, None, [long.start], long.chars)
                continue
            start, taken, chars = feed.take()
            if fields:
                yield _Record(start, len(taken), fields, taken, chars)


def _lines(text: io.TextIOWrapper) -> Iterator[str | _LongLine]:
    """Physical lines, split at ``\\r\\n``, ``\\n`` or ``\\r`` with their ends kept; a line
    longer than MAX_ROW_CHARS is read to its end but kept only as its start."""
    while piece := text.readline(MAX_ROW_CHARS + 1):
        if len(piece) <= MAX_ROW_CHARS or piece.endswith(("\n", "\r")):
            yield piece
            continue
        start, chars = piece[:_RAW_KEPT_CHARS], len(piece)
        while (piece := text.readline(MAX_ROW_CHARS)) and not piece.endswith(("\n", "\r")):
            chars += len(piece)
        yield _LongLine(start, chars + len(piece))


class _Feed:
    """Lines fed to ``csv.reader`` one at a time, remembering those of the row being read; a
    row that would grow past MAX_ROW_CHARS raises ``_RowTooLong`` (the reader starts afresh
    at the next line)."""

    def __init__(self, lines: Iterator[str | _LongLine], first_line: int) -> None:
        self._lines = lines
        self._next_line = first_line
        self._start = first_line
        self._pending: list[str] = []
        self._chars = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        if not self._pending:
            self._start = self._next_line
        self._next_line += 1
        size = line.chars if isinstance(line, _LongLine) else len(line)
        if isinstance(line, _LongLine) or self._chars + size > MAX_ROW_CHARS:
            head = line.start if isinstance(line, _LongLine) else line[:_RAW_KEPT_CHARS]
            start = ("".join(self._pending)[:_RAW_KEPT_CHARS] + head)[:_RAW_KEPT_CHARS]
            error = _RowTooLong(self._start, self._next_line - self._start, start,
                                self._chars + size)
            self._pending, self._chars = [], 0
            raise error
        self._pending.append(line)
        self._chars += size
        return line

    def take(self) -> tuple[int, list[str], int]:
        """``(first line, lines, characters)`` of the row just read; starts the next one."""
        taken = (self._start, self._pending, self._chars)
        self._pending, self._chars = [], 0
        return taken
