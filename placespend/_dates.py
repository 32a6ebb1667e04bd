"""How each spend file's dates are read: declared by its mapping, or found from its values.

A mapping that lists ``date_formats`` is read with them (then the common day-first layouts of
:data:`placespend._parse.FALLBACK_DATE_FORMATS`, with a note). A mapping without them has the
order found from the file's own values, before any is parsed (``queries/date_orders.sql``):

- day first, the UK default, unless the values prove otherwise;
- month first when some value can only be month first (``12/31/2022``) and none can only be
  day first: read with :data:`MONTH_FIRST_FORMATS`, with a note;
- neither, when values of both kinds are there (``13/02/2022`` and ``02/13/2022``): an error
  naming both, with their lines, and the mapping line that settles it.

Two-digit years are read as ``strptime`` does: 00-68 are 2000-2068, 69-99 are 1969-1999 (a
date before 1990 is then quarantined as out of range); a build notes how many were read so.
After parsing, a file none of whose dates reads (:func:`unreadable_problems`) is an error that
names the mapping line to add, not a file of quarantined rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from placespend import _parse
from placespend._sql import query
from placespend.errors import InputFileError, collected, quoted, where

# Month-first (US) numeric layouts, for a file whose values prove it.
MONTH_FIRST_NUMERIC = (
    "%m/%d/%y", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m-%d-%Y", "%m.%d.%Y",
)
# ... and with them every layout that reads only one way (ISO, a month's name).
MONTH_FIRST_FORMATS = MONTH_FIRST_NUMERIC + tuple(
    f for f in _parse.FALLBACK_DATE_FORMATS if "%Y-" in f or "%b" in f or "%B" in f
    or f in ("%Y%m%d", "%Y/%m/%d"))
# Formats offered in the message when no date of a file reads (the layouts not tried).
_OFFERED_FORMATS = (
    "%m/%d/%Y", "%m/%d/%y", "%d%m%Y", "%Y.%m.%d", "%d %b %y", "%d %B %y", "%d/%b/%Y",
    "%d/%b/%y", "%d-%B-%Y", "%d.%m.%y", "%d-%m-%y",
)
TWO_DIGIT_PIVOT = "00-68 are read as 2000-2068 and 69-99 as 1969-1999"
_DECLARED = "in format {} or another common day-first layout"
_DAY_FIRST = "in any common day-first layout (the mapping lists no date_formats)"
_MONTH_FIRST = ("in any month-first layout (the file's dates were found to be month first; "
                "declare date_formats in the mapping to read them otherwise)")


@dataclass(frozen=True)
class Readings:
    """The 01_stg_payments parameters saying how each file's dates are read, and the notes."""

    declared_files: list[int]
    month_first_files: list[int]
    date_formats: list[str]
    date_readings: list[str]
    notes: tuple[str, ...]

    def params(self) -> dict[str, object]:
        return {
            "declared_files": self.declared_files,
            "month_first_files": self.month_first_files,
            # try_strptime needs a constant, non-empty list even when no file declares one
            "date_formats": self.date_formats or ["%d/%m/%Y"],
            "fallback_formats": list(_parse.FALLBACK_DATE_FORMATS),
            "month_first_formats": list(MONTH_FIRST_FORMATS),
            "date_readings": self.date_readings,
        }


def readings(con: duckdb.DuckDBPyConnection, names: Sequence[str],
             layouts: Sequence[_parse.Layout]) -> Readings:
    """Decide each file's date order from raw_spend; raise when a file's values disagree.

    Raises
    ------
    InputFileError
        Naming, per file whose dates are read both ways, a value of each kind with its line
        and the ``date_formats`` line that settles it.
    """
    orders = {r.file_index: r for r in query(con, "date_orders").itertuples()}
    declared, month_first, formats, texts, notes, problems = [], [], [], [], [], []
    for i, (name, layout) in enumerate(zip(names, layouts, strict=True)):
        own = tuple(layout.mapping.date_formats)
        r = orders.get(i)
        if own:
            declared.append(i)
            formats += [f for f in own if f not in formats]
            texts.append(_DECLARED.format(" or ".join(own)))
            continue
        if r is not None and r.month_first_only and r.day_first_only:
            problems.append(_both_ways(layout, r))
        elif r is not None and r.month_first_only:
            month_first.append(i)
            notes.append(_month_first_note(name, r))
        texts.append(_MONTH_FIRST if i in month_first else _DAY_FIRST)
        if r is not None and r.two_digit_years:
            notes.append(_two_digit_note(name, r, month_first=i in month_first))
    if problems:
        raise collected(InputFileError, "A file's dates can be read two ways", problems)
    return Readings(declared, month_first, formats, texts, tuple(notes))


def unreadable_problems(con: duckdb.DuckDBPyConnection,
                        layouts: Sequence[_parse.Layout]) -> list[str]:
    """One problem per file none of whose dates reads or has the shape of a layout tried
    (an impossible ``31/02/2024`` is a bad row, quarantined), with the mapping line to add."""
    tried = {f for layout in layouts for f in layout.mapping.date_formats}
    tried |= set(_parse.FALLBACK_DATE_FORMATS)  # month first is tried only once proven
    shape = "|".join(f"(?:{_parse.date_pattern(f)})" for f in sorted(tried))
    problems = []
    for r in query(con, "unreadable_dates", date_shape=shape).itertuples():
        layout = layouts[r.file_index]
        column = " ".join(layout.header[layout.positions["date"]].split())
        offered = _offer(r.example)
        fix = (f"add `date_formats: ['{offered}']` to the mapping (it reads "
               f"{quoted(r.example)})" if offered else
               "add its strptime format to the mapping's date_formats (codes: %d day, %m "
               "month, %b month name, %Y year, %y two-digit year)")
        problems.append(
            f"{where(layout.path, r.example_line)}none of its {r.n_dates:,} dates in column "
            f"{quoted(column)} reads as a date (e.g. {quoted(r.example)}). If that column holds "
            f"the payment date, {fix}; if not, map `date` to the column that does")
    return problems


def _offer(text: str) -> str | None:
    """A format among the layouts not tried that reads ``text`` as a date in range."""
    earliest, latest = _parse.payment_date_range()
    for fmt in _OFFERED_FORMATS:
        try:
            day = dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
        if earliest <= day <= latest:
            return fmt
    return None


def _both_ways(layout: _parse.Layout, r) -> str:
    return (
        f"{where(layout.path)}some dates can only be day first ({quoted(r.day_first_example)}, "
        f"line {r.day_first_line}, and {r.day_first_only - 1:,} more) and some only month first "
        f"({quoted(r.month_first_example)}, line {r.month_first_line}, and "
        f"{r.month_first_only - 1:,} more). Say which the file uses in the mapping: "
        "`date_formats: ['%d/%m/%Y']` (day first; the month-first ones are then quarantined) "
        "or `date_formats: ['%m/%d/%Y']` (month first)")


def _month_first_note(name: str, r) -> str:
    return (
        f"{name}: dates read month first: {r.month_first_only:,} "
        f"(e.g. {quoted(r.month_first_example)}, line {r.month_first_line}) can only be month "
        "first and none can only be day first; to be sure, add `date_formats: ['%m/%d/%Y']` "
        "to the mapping")


def _two_digit_note(name: str, r, *, month_first: bool) -> str:
    formats = MONTH_FIRST_FORMATS if month_first else _parse.FALLBACK_DATE_FORMATS
    try:
        read = _parse.parse_date(r.two_digit_example, formats).strftime("%d %B %Y").lstrip("0")
        shown = f", read as {read}"
    except ValueError:
        shown = ""
    one = r.two_digit_years == 1
    return (
        f"{name}: {r.two_digit_years:,} date{'' if one else 's'} "
        f"{'has' if one else 'have'} a two-digit year (e.g. {quoted(r.two_digit_example)}"
        f"{shown}): {TWO_DIGIT_PIVOT}")
