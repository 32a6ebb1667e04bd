"""Private plumbing for :mod:`placespend.ingest`: amounts, dates, encodings, CSV layout, repairs.

The SQL macros in ``pipelines/00_ingest_macros.sql`` parse amounts for the whole file at once;
:func:`parse_amount_pence` here is their Python twin, used where one value is checked in Python
(repairing fused fields) and in tests that pin the two to the same answers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from placespend.errors import InputFileError, UnknownLayoutError, quoted, where

# -- amounts ---------------------------------------------------------------------------------

# Same grammar as ps_amount_parts in pipelines/00_ingest_macros.sql: an optional sign before
# and/or after an optional pound sign, digits with or without correct thousands commas, and an
# optional decimal part; the whole may be wrapped in parentheses (accounting negative).
_WS = " \t\n\r\f"  # what SQL's ps_trim strips; Python's str.strip() would strip more
_AMOUNT_RE = re.compile(
    r"([-+]?)[ \t\n\r\f]*(£?)[ \t\n\r\f]*([-+]?)[ \t\n\r\f]*"
    r"(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?",
    re.ASCII,
)
_PARENS_RE = re.compile(r"\((.*)\)")
_EURO_RE = re.compile(
    r"[-+]?[ \t\n\r\f]*£?[ \t\n\r\f]*[-+]?[ \t\n\r\f]*\d{1,3}(?:\.\d{3})*,\d{1,2}", re.ASCII
)
_MAX_INT_DIGITS = 15  # keeps one amount's pence inside BIGINT (ingest checks their sums)


def amount_problem(text: str | None) -> str | None:
    """Why ``text`` is not an amount, or ``None`` when :func:`parse_amount_pence` accepts it.

    Accepted: ``£1,234.56``, ``1234.56``, ``(123.45)``, ``-1,000``, ``1,000.5``, `` 12 ``,
    ``£-5.00``, ``-£5``. Refused: blanks, text, misplaced thousands commas, a sign inside
    parentheses, more than two significant decimal places (not a whole number of pence) and
    European ``1.234,56`` (a decimal comma is ambiguous with a thousands comma, so it is never
    guessed).
    """
    if text is None or not text.strip(_WS):
        return "amount is blank"
    s = text.strip(_WS)
    m = _PARENS_RE.fullmatch(s)
    inner = m.group(1).strip(_WS) if m else s
    parts = _AMOUNT_RE.fullmatch(inner)
    if parts is None:
        if _EURO_RE.fullmatch(inner):
            return (
                f"amount '{s}' uses a decimal comma (European style); "
                "re-export with a decimal point, e.g. 1234.56"
            )
        return f"amount '{s}' is not a number (expected e.g. 1234.56, £1,234.56 or (123.45))"
    sign1, _, sign2, whole, frac = parts.groups()
    if not whole and not frac:
        return f"amount '{s}' has no digits"
    if (sign1 and sign2) or (m and (sign1 or sign2)):
        return f"amount '{s}' has more than one sign"
    if whole and len(whole.replace(",", "")) > _MAX_INT_DIGITS:
        return f"amount '{s}' is implausibly large"
    if frac and frac[2:].strip("0"):
        return f"amount '{s}' has more than 2 decimal places (not a whole number of pence)"
    return None


def parse_amount_pence(text: str | None) -> int:
    """Parse a money amount to integer pence, exactly (decimal arithmetic, never floats).

    Parameters
    ----------
    text
        The amount as published, e.g. ``"£1,234.56"`` or ``"(123.45)"``.

    Returns
    -------
    int
        Signed pence: ``pence = sign × (whole × 100 + first two decimal digits)``.

    Raises
    ------
    ValueError
        With the reason from :func:`amount_problem` when the text is not an amount.
    """
    problem = amount_problem(text)
    if problem is not None:
        raise ValueError(problem)
    assert text is not None
    s = text.strip(_WS)
    m = _PARENS_RE.fullmatch(s)
    inner = m.group(1).strip(_WS) if m else s
    sign1, _, sign2, whole, frac = _AMOUNT_RE.fullmatch(inner).groups()  # type: ignore[union-attr]
    value = Decimal((whole or "0").replace(",", "") + "." + (frac or "0"))
    negative = bool(m) or "-" in (sign1 + sign2)
    pence = int(value * 100)
    return -pence if negative else pence


# -- dates -----------------------------------------------------------------------------------

EARLIEST_YEAR = 1990  # before open spend data existed: a typo or a two-digit year read as %Y
# The day-first layouts English councils publish dates in, tried (in this order, two-digit
# years first: ``%d/%m/%y`` cannot read ``02/08/2022``, but ``%d/%m/%Y`` reads ``02/08/22`` as
# the year 22) for a date that the mapping's own formats do not read into the allowed range.
# A month-first (US) numeric date is not among them: 08/02/2022 is 8 February unless the
# file's values prove month first (placespend._dates); a month's name first reads one way.
FALLBACK_DATE_FORMATS = (
    "%d/%m/%y", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
    "%d-%b-%y", "%d-%b-%Y", "%d %b %Y", "%d %B %Y", "%d.%m.%Y", "%d-%m-%Y", "%Y%m%d",
    "%Y/%m/%d", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y",  # one reading each
)
LATEST_YEAR = 2100
# A payee, purpose, unit or transaction id longer than this is a broken line, not a name (and
# would overflow a spreadsheet cell, at most 32,767 characters, in the exports).
LONGEST_TEXT = 2000


def payment_date_range(today: date | None = None) -> tuple[date, date]:
    """The dates a payment may carry: from 1 January ``EARLIEST_YEAR`` to the end of the
    financial year after the current one (31 March two years after the current year's April).

    A later date is a typo or a placeholder (``2100``, ``9999``); let in, it would make the
    reports' default year one in which nothing else was paid.

    >>> payment_date_range(date(2026, 12, 3))
    (datetime.date(1990, 1, 1), datetime.date(2028, 3, 31))
    """
    today = today or date.today()
    start = today.year if today.month >= 4 else today.year - 1
    return date(EARLIEST_YEAR, 1, 1), date(start + 2, 3, 31)


def parse_date(text: str | None, formats: Sequence[str]) -> date:
    """Parse ``text`` with the first of ``formats`` (``strptime`` codes) that fits.

    Raises
    ------
    ValueError
        When the text is blank, fits no format, is impossible (``31/02/2024``) or falls
        outside ``EARLIEST_YEAR``..``LATEST_YEAR``.
    """
    if text is None or not text.strip(_WS):
        raise ValueError("date is blank")
    s = text.strip(_WS)
    for fmt in formats:
        try:
            parsed = datetime.strptime(s, fmt).date()
        except ValueError:
            continue
        if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            raise ValueError(f"date '{s}' is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
        return parsed
    raise ValueError(f"date '{s}' is not a valid date in format {' or '.join(formats)}")


def financial_year(d: date) -> str:
    """The UK financial year (April–March) of ``d``, written ``2024-25``."""
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


_FORMAT_CODES = {
    "%d": r"\d{1,2}",
    "%m": r"\d{1,2}",
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%b": r"[A-Za-z]{3}",
    "%B": r"[A-Za-z]{3,9}",
    "%H": r"\d{1,2}",
    "%M": r"\d{2}",
    "%S": r"\d{2}",
}


def date_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` cannot be a date format here, or ``None``: only the codes of
    :data:`_FORMAT_CODES` (and ``%%``), each at most once, are read the same way by Python and
    DuckDB, and a payment date needs at least a year and a month."""
    codes = [f"%{c}" for c in re.findall(r"%(.?)", fmt) if c != "%"]
    unknown = [c for c in codes if c not in _FORMAT_CODES]
    if unknown:
        known = ", ".join(_FORMAT_CODES)
        return f"date format {fmt!r} uses {', '.join(unknown)}; use only {known} (and %% for %)"
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:  # Python's strptime fails outright on a repeated code
        return f"date format {fmt!r} gives {', '.join(repeated)} more than once; give each once"
    if not {"%Y", "%y"} & set(codes) or not {"%m", "%b", "%B"} & set(codes):
        return f"date format {fmt!r} needs a year (%Y or %y) and a month (%m, %b or %B)"
    return None


def date_pattern(fmt: str) -> str:
    """A regular expression matching the text ``strptime(text, fmt)`` could accept."""
    parts = re.split(r"(%[a-zA-Z])", fmt)
    return "".join(_FORMAT_CODES.get(p, re.escape(p)) for p in parts if p)


def shape(text: str) -> str:
    """The digit shape of a value (``07/06/2012`` → ``99/99/9999``)."""
    return re.sub(r"\d", "9", text)


# -- encodings and file kinds ----------------------------------------------------------------

_EXCEL_MAGIC = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip file",
    b"\xd0\xcf\x11\xe0": "an old-style Excel workbook (.xls)",
}


_SAVE_AS_CSV = (
    "Open it in Excel or LibreOffice, use Save As > 'CSV UTF-8 (comma delimited)', "
    "and load the saved file."
)
_DECOMPRESS = "Decompress it first ({tool}) and load the CSV inside."
_SAVE_AS_UTF8 = (
    "It reads UTF-8, UTF-16, Windows-1252 and Latin-1: save the file again as UTF-8 (Excel or "
    "LibreOffice: Save As > 'CSV UTF-8 (comma delimited)'; or "
    "`iconv -f UTF-32 -t UTF-8 in.csv > out.csv`) and load the saved file."
)
# Other files that are not text, each with what to do instead.
_OTHER_MAGIC = {
    b"\x1f\x8b": (
        "a gzip-compressed file",
        _DECOMPRESS.format(tool="e.g. `gunzip`, or 7-Zip on Windows"),
    ),
    b"\xfd7zXZ\x00": (
        "an xz-compressed file",
        _DECOMPRESS.format(tool="e.g. `unxz`, or 7-Zip on Windows"),
    ),
    b"\x28\xb5\x2f\xfd": (
        "a zstd-compressed file",
        _DECOMPRESS.format(tool="e.g. `unzstd`, or 7-Zip (with zstd support) on Windows"),
    ),
    b"7z\xbc\xaf\x27\x1c": (
        "a 7-Zip archive",
        "Extract the CSV from it (7-Zip, or `7z x`) and load that.",
    ),
    b"%PDF-": (
        "a PDF document",
        "Download the export as CSV instead of PDF, and load that.",
    ),
    # UTF-32 byte-order marks; checked before UTF-16's, of which LE's is a prefix.
    b"\xff\xfe\x00\x00": ("UTF-32 (little-endian) text", _SAVE_AS_UTF8),
    b"\x00\x00\xfe\xff": ("UTF-32 (big-endian) text", _SAVE_AS_UTF8),
}
# bzip2: "BZh", a block size digit, then the magic of a first block (or of an empty stream).
_BZIP2 = re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)", re.DOTALL)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip


def excel_kind(head: bytes) -> str | None:
    """Describe the file if its first bytes say it is a spreadsheet, not text."""
    for magic, kind in _EXCEL_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def not_text(head: bytes, path: Path | None = None) -> tuple[str, str] | None:
    """``(what the file is, what to do)`` when its first bytes say it is not CSV text.

    ``head`` is the start of the file (a few KB: UTF-32 without a byte-order mark is told by
    its pattern of NUL bytes). A zip file is an Excel or OpenDocument workbook or a zip archive
    of other files, told apart by the names it holds when ``path`` is given.
    """
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(path)
    kind = excel_kind(head)
    if kind is not None:
        return kind, _SAVE_AS_CSV
    for magic, (kind, fix) in _OTHER_MAGIC.items():
        if head.startswith(magic):
            return kind, fix
    if _BZIP2.match(head):
        return "a bzip2-compressed file", _DECOMPRESS.format(
            tool="e.g. `bunzip2`, or 7-Zip on Windows")
    utf32 = _utf32_without_bom(head)
    if utf32 is not None:
        return f"UTF-32 ({utf32}) text without a byte-order mark", _SAVE_AS_UTF8
    return None


def _utf32_without_bom(head: bytes) -> str | None:
    """``"little-endian"`` or ``"big-endian"`` when the start of the file looks like UTF-32:
    of every four bytes, the three high ones of a character below U+0100 are NUL."""
    head = head[: len(head[:4096]) // 4 * 4]
    if len(head) < 8:
        return None
    quarters = [head[i::4] for i in range(4)]
    nul = [q.count(0) / len(q) for q in quarters]
    if min(nul[1:]) > 0.9 and nul[0] < 0.5:
        return "little-endian"
    if min(nul[:3]) > 0.9 and nul[3] < 0.5:
        return "big-endian"
    return None


_ZIP_NAMES_SHOWN = 3


def _zip_kind(path: Path | None) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(path) as z:  # type: ignore[arg-type]
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, TypeError, ValueError, NotImplementedError):
        names = None
    if names is not None and any(n.startswith("xl/") for n in names):
        return "an Excel workbook (.xlsx)", _SAVE_AS_CSV
    if names is not None and "content.xml" in names:
        return "an OpenDocument spreadsheet (.ods) or another OpenDocument file", _SAVE_AS_CSV
    if names is None:
        return "a zip file that cannot be opened (damaged or cut short)", (
            "Download it again. If it is an Excel workbook, open it in Excel or LibreOffice and "
            "use Save As > 'CSV UTF-8 (comma delimited)'; if it is a zip archive, extract the CSV "
            "from it and load that."
        )
    shown = ", ".join(repr(n[:_SHOWN_CHARS]) for n in names[:_ZIP_NAMES_SHOWN])
    more = f" and {len(names) - _ZIP_NAMES_SHOWN} more" if len(names) > _ZIP_NAMES_SHOWN else ""
    holding = f" holding {shown}{more}" if names else " (empty)"
    return f"a zip archive{holding}", (
        "Extract the CSV from it (e.g. `unzip`, or right-click > Extract All on Windows) and "
        "load that."
    )


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes, sniffing the encoding; never fails.

    Order: a byte-order mark (UTF-8, UTF-16 LE/BE); UTF-16 without a BOM when every other
    byte of the start is NUL; strict UTF-8; cp1252 (Windows, where ``£`` is byte 0xA3);
    latin-1 as the last resort, which maps every byte to a character.

    Returns
    -------
    tuple[str, str]
        The text and the name of the encoding used.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head[1::2].count(0) > 0.9 * len(head[1::2]):
        return data.decode("utf-16-le", errors="replace"), "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > 0.9 * len(head[0::2]):
        return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


# Bytes that Windows-1252 leaves undefined: a file holding any is Latin-1 (as decode() finds).
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_ENCODING_CHUNK = 4 * 1024 * 1024


def file_encoding(path: Path) -> tuple[str, str]:
    """The encoding :func:`decode` would find for the whole file, and the ``errors`` handler it
    would decode with, found reading the file in chunks so that it never sits in memory whole.

    A byte-order mark or the NUL bytes of UTF-16 decide from the start; otherwise every byte is
    checked: UTF-8 if all of it is valid UTF-8, else Windows-1252 if it has none of the five
    bytes that encoding leaves undefined, else Latin-1.
    """
    with path.open("rb") as f:
        head = f.read(4096)
        if head.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig", "replace"
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16", "replace"
        if len(head) >= 4 and head[1::2].count(0) > 0.9 * len(head[1::2]):
            return "utf-16-le", "replace"
        if len(head) >= 4 and head[0::2].count(0) > 0.9 * len(head[0::2]):
            return "utf-16-be", "replace"
        f.seek(0)
        utf8, is_utf8, is_cp1252 = codecs.getincrementaldecoder("utf-8")(), True, True
        while (is_utf8 or is_cp1252) and (chunk := f.read(_ENCODING_CHUNK)):
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            is_cp1252 = is_cp1252 and not _CP1252_UNDEFINED.search(chunk)
    if is_utf8:
        try:
            utf8.decode(b"", final=True)  # a character cut short at the end of the file
        except UnicodeDecodeError:
            is_utf8 = False
    if is_utf8:
        return "utf-8", "strict"
    return ("cp1252" if is_cp1252 else "latin-1"), "strict"


# -- CSV layout --------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_LINES = 60


_MOJIBAKE_BOM = "\u00ef\u00bb\u00bf"  # a UTF-8 byte-order mark decoded as Windows-1252


def norm_header(name: str) -> str:
    """Normalise a column name for matching: no byte-order mark (nor one encoded twice),
    case-folded, single spaces."""
    return " ".join(name.replace("\ufeff", "").replace(_MOJIBAKE_BOM, "").split()).casefold()


def header_names(fields: Sequence[str]) -> list[str]:
    """A header's column names as read, a blank one named ``column_<n>`` (1-based) so that a
    mapping can name it and messages can show it."""
    return [f if f.strip() else f"column_{i}" for i, f in enumerate(fields, 1)]


def split_lines(text: str) -> list[str]:
    """Split text into lines as an editor numbers them (``\\r\\n``, ``\\n`` or ``\\r``)."""
    return re.split(r"\r\n|\n|\r", text)


def split_fields(line: str, delimiter: str) -> list[str]:
    """Split one physical line into CSV fields."""
    _allow_long_fields()
    return next(csv.reader([line], delimiter=delimiter), [])


# Python's csv module refuses a field over 128 KB with an exception that would stop the whole
# file. A long field is a problem of its row (quarantined for it in SQL), not of the file.
_LONGEST_CSV_FIELD = 2**31 - 1


def _allow_long_fields() -> None:
    if csv.field_size_limit() < _LONGEST_CSV_FIELD:
        csv.field_size_limit(_LONGEST_CSV_FIELD)


@dataclass(frozen=True)
class RawRow:
    """One logical CSV row: its fields, first line number and text as it stood in the file."""

    line: int
    fields: list[str]
    text: str


def _physical_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (split at ``\r\n``, ``\n`` or ``\r``), ends kept."""
    return list(io.StringIO(text, newline=""))


def _rows(body: list[str], delimiter: str) -> Iterator[tuple[int, int, list[str]]]:
    """``(start, end, fields)`` per non-blank CSV row; ``body[start:end]`` are its lines."""
    _allow_long_fields()
    reader = csv.reader(body, delimiter=delimiter, quotechar='"', doublequote=True)
    start = 0
    for fields in reader:
        end = reader.line_num
        if fields:
            yield start, end, fields
        start = end


def iter_rows(text: str, delimiter: str, first_line: int) -> Iterator[RawRow]:
    """Yield the CSV rows starting at 1-based line ``first_line``; blank lines are skipped.

    A quoted field may span lines; ``line`` is where the row starts, as an editor shows it.
    """
    body = _physical_lines(text)[first_line - 1 :]
    for start, end, fields in _rows(body, delimiter):
        yield RawRow(first_line + start, fields, "".join(body[start:end]).rstrip("\r\n"))


# -- repairs -------------------------------------------------------------------------------------


_MAX_DATE_CHARS = 40


@dataclass(frozen=True)
class Repair:
    """A row whose fused fields were split back apart."""

    fields: list[str]
    note: str


def repair_fused(
    fields: list[str],
    width: int,
    date_col: int,
    amount_col: int,
    date_re: str,
    date_shapes: frozenset[str],
    formats: Sequence[str],
) -> Repair | None:
    """Split a short row whose date is fused to a neighbour (``25/06/2012900``).

    Tries every place in every field where a date of a shape seen in the file's good rows
    could sit; a split counts when it gives ``width`` fields with a valid date in the date
    column and a valid amount in the amount column. Only a single distinct result is a
    repair: anything else is ambiguous and the row is left for quarantine.

    Returns
    -------
    Repair | None
        The repaired fields and a note saying what was split, or ``None``.
    """
    if len(fields) >= width:
        return None
    pattern = re.compile(date_re)
    results: dict[tuple[str, ...], str] = {}
    for j, value in enumerate(fields):
        for pieces in _date_splits(value, pattern, date_shapes) if pattern.search(value) else ():
            row = fields[:j] + pieces + fields[j + 1 :]
            if len(row) == width and _fits(row, date_col, amount_col, formats):
                split = "' + '".join(pieces)
                results[tuple(row)] = f"fused field '{value}' split into '{split}'"
    if len(results) != 1:
        return None
    ((fixed, note),) = results.items()
    return Repair(list(fixed), note)


def _date_splits(
    value: str, pattern: re.Pattern[str], shapes: frozenset[str]
) -> Iterator[list[str]]:
    """Every way to cut ``value`` into [before,] date[, after] with a date of a known shape."""
    for start in range(len(value)):
        for end in range(start + 1, min(len(value), start + _MAX_DATE_CHARS) + 1):
            candidate = value[start:end]
            if shape(candidate) in shapes and pattern.fullmatch(candidate):
                yield [p for p in (value[:start], candidate, value[end:]) if p]


def _fits(row: list[str], date_col: int, amount_col: int, formats: Sequence[str]) -> bool:
    """Whether a candidate row has a valid date and amount where the header says."""
    try:
        parse_date(row[date_col], formats)
        parse_amount_pence(row[amount_col])
    except ValueError:
        return False
    return True


# -- file layout ---------------------------------------------------------------------------------

_HEAD_BYTES = 256 * 1024
_CHUNK_BYTES = 16 * 1024 * 1024
_TAIL_BYTES = 64 * 1024


class MappingLike(Protocol):
    """What the reader needs from :class:`placespend.ingest.ColumnMapping` (read-only, so
    frozen dataclasses fit)."""

    @property
    def name(self) -> str: ...
    @property
    def date_formats(self) -> tuple[str, ...]: ...
    @property
    def constants(self) -> Mapping[str, str]: ...
    @property
    def unique(self) -> tuple[str, ...]: ...

    def alternatives(self) -> dict[str, tuple[str, ...]]: ...


@dataclass(frozen=True)
class Layout:
    """How one file is laid out: encoding, delimiter, header line and mapped column positions."""

    path: Path
    mapping: MappingLike
    encoding: str
    delimiter: str
    header_line: int  # 1-based line of the header row
    header: list[str]
    positions: dict[str, int]  # field name -> 0-based column index
    unique_positions: tuple[int, ...]  # 0-based columns of the declared unique key, if any
    line_count: int  # lines up to the last non-blank one
    fast_candidate: bool  # clean enough to try DuckDB's reader first
    has_rows: bool = True  # anything but blank lines after the header


SPEND_HEADER_FIX = (
    "check that this is the spend export itself (not a web page, report or another file); if "
    "its columns have other names, write a column mapping (YAML or JSON, see the README) naming "
    "its date, amount and payee columns and pass it with --mapping (in the app: upload it as "
    "the column mapping; in Python: a placespend.ingest.ColumnMapping)"
)


def sniff_file(path: Path, mappings: Sequence[MappingLike], fix: str = SPEND_HEADER_FIX) -> Layout:
    """Work out how to read ``path`` with the first of ``mappings`` whose columns it has.

    Parameters
    ----------
    path
        The file.
    mappings
        Candidate column mappings, tried in order on each of the first lines.
    fix
        What the user should do when no header is found (ends the error message).

    Raises
    ------
    InputFileError
        The file is missing, empty or a spreadsheet, or no header row has the mapped columns.
    """
    if not path.is_file():
        msg = f"{where(path)}file not found; check the path"
        raise InputFileError(msg)
    with path.open("rb") as f:
        head = _head(f.read(_HEAD_BYTES + 1))
    line_count, has_text = _scan(path)
    _refuse_non_text(path, head, has_text)
    text, encoding = decode(head)
    found = find_header(split_lines(text)[:HEADER_SEARCH_LINES], mappings)
    if found is None:
        raise UnknownLayoutError(_no_header_message(path, text, mappings, fix), path=path)
    line, delimiter, mapping, header, positions = found
    _refuse_duplicated_columns(path, line, header, positions)
    unique_positions = tuple(positions[c] if c in positions else positions[_UNIQUE + c]
                             for c in mapping.unique)
    after_header = any(rest.strip() for rest in split_lines(text)[line:])
    return Layout(
        path=path,
        mapping=mapping,
        encoding=encoding,
        delimiter=delimiter,
        header_line=line,
        header=header,
        positions={f: p for f, p in positions.items() if not f.startswith(_UNIQUE)},
        unique_positions=unique_positions,
        line_count=line_count,
        fast_candidate=encoding in ("utf-8", "utf-8-sig"),
        has_rows=after_header or len(head) < path.stat().st_size,
    )


def _refuse_duplicated_columns(
    path: Path, line: int, header: list[str], positions: dict[str, int]
) -> None:
    """A mapped column named twice: which one holds the data cannot be known, so refuse."""
    normed = [norm_header(h) for h in header]
    problems = []
    for position in sorted(set(positions.values())):
        places = [i + 1 for i, h in enumerate(normed) if h == normed[position]]
        if len(places) > 1:
            problems.append(
                f"column {header[position].strip()!r} appears {len(places)} times (columns "
                f"{', '.join(map(str, places))})"
            )
    if problems:
        msg = (
            f"{where(path, line)}in the header, {'; '.join(problems)}, so placespend cannot "
            "tell which one to read. Rename or delete the extra column(s) and load the file again."
        )
        raise InputFileError(msg)


def _scan(path: Path) -> tuple[int, bool]:
    """Lines up to the last one with any text (trailing blank lines are not rows), and whether
    the file holds anything but whitespace, read in chunks so a 1 GB export never sits in
    memory whole."""
    newlines, has_text, size = 0, False, 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK_BYTES):
            newlines += chunk.count(b"\n")
            has_text = has_text or bool(chunk.strip())
            size += len(chunk)
        f.seek(max(0, size - _TAIL_BYTES))
        tail = f.read()
    trailing = tail[len(tail.rstrip(b"\r\n")):]
    return newlines - trailing.count(b"\n") + 1, has_text


def _refuse_non_text(path: Path, head: bytes, has_text: bool) -> None:
    found = not_text(head, path)
    if found is not None:
        kind, fix = found
        what = ("an encoding placespend does not read" if kind.startswith("UTF-32")
                else "not a CSV text file, although its name says CSV")
        msg = f"{where(path)}this is {kind}, {what}. {fix}"
        raise InputFileError(msg)
    if not has_text:
        msg = f"{where(path)}the file is empty; download the export again"
        raise InputFileError(msg)


def _head(data: bytes) -> bytes:
    """The first ~256 KB, cut at a line end so no character is split."""
    if len(data) <= _HEAD_BYTES:
        return data
    head = data[:_HEAD_BYTES]
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 else head


def find_header(
    lines: Sequence[str], mappings: Sequence[MappingLike]
) -> tuple[int, str, MappingLike, list[str], dict[str, int]] | None:
    """The first line holding every mapped column of one of ``mappings``, in any delimiter.

    Returns
    -------
    tuple or None
        ``(1-based line, delimiter, mapping, header fields, field -> column index)``.
    """
    for i, line in enumerate(lines):
        for delimiter in DELIMITERS:
            if delimiter not in line:
                continue
            header = header_names(split_fields(line, delimiter))
            normed = [norm_header(h) for h in header]
            for mapping in mappings:
                positions = _positions(normed, mapping)
                if positions is not None:
                    return i + 1, delimiter, mapping, header, positions
    return None


_UNIQUE = "unique:"  # prefix of a declared unique key's columns among the found positions


def _positions(normed: list[str], mapping: MappingLike) -> dict[str, int] | None:
    """Field -> column of the first of its names the header has (and ``unique:<name>`` ->
    column for the declared key's columns that are not fields); ``None`` unless every mapped
    field and key column is there."""
    positions = {}
    for name, columns in mapping.alternatives().items():
        found = next((normed.index(k) for k in map(norm_header, columns) if k in normed), None)
        if found is None:
            return None
        positions[name] = found
    for column in mapping.unique:
        key = norm_header(column)
        if column in positions:
            continue
        if key not in normed:
            return None
        positions[_UNIQUE + column] = normed.index(key)
    return positions


def _no_header_message(path: Path, text: str, mappings: Sequence[MappingLike], fix: str) -> str:
    lines = split_lines(text)[:HEADER_SEARCH_LINES]
    widest: tuple[int, int, list[str]] = (0, 0, [])
    for i, line in enumerate(lines):
        for delimiter in DELIMITERS:
            fields = [f.strip() for f in split_fields(line, delimiter)]
            if len([f for f in fields if f]) > len([f for f in widest[2] if f]):
                widest = (i + 1, len(fields), fields)
    wanted = "; ".join(f"{m.name}: " + ", ".join(_wanted(m)) for m in mappings)
    found = (
        f"line {widest[0]} looks most like a header, with columns {shown_columns(widest[2])}"
        if widest[2]
        else "no line with delimited columns was found in the first lines"
    )
    return (
        f"{where(path)}no header row with the mapped columns in the first {HEADER_SEARCH_LINES} "
        f"lines (looked for {wanted}); {found}. Fix: {fix}."
    )


def _wanted(mapping: MappingLike) -> list[str]:
    """Each mapped column as ``'Amount'`` or ``'Net Amount' or 'Amount'``, and the key's."""
    wanted = [" or ".join(map(quoted, names)) for names in mapping.alternatives().values()]
    return wanted + [quoted(c) for c in mapping.unique if c not in mapping.alternatives()]


_SHOWN_COLUMNS = 20
_SHOWN_CHARS = 40


def shown_columns(columns: list[str]) -> str:
    """At most 20 column names of at most 40 characters each, as Python literals (so control
    characters and binary noise show as escapes, and the message stays short)."""
    shown = [c if len(c) <= _SHOWN_CHARS else c[:_SHOWN_CHARS] + "…" for c in columns]
    more = len(shown) - _SHOWN_COLUMNS
    text = ", ".join(repr(c) for c in shown[:_SHOWN_COLUMNS])
    return f"[{text}{f', … and {more} more' if more > 0 else ''}]"
