"""Capital programme files: the council's planned schemes, drawn beside the spend.

A programme is a CSV with one row per scheme: ``scheme``, ``estate`` (an estate's id, name or
alias), optional ``blocks`` (free text: which blocks), ``start_year`` and ``end_year``
(financial years, ``2024-25``, ``2024/25`` or the year it starts, ``2024``) and ``budget_gbp``
(pounds; ``£`` and thousands commas allowed). Every problem is collected and raised once,
naming the file, row and fix. The demo's programme is made from the synthetic spend and says
so on every row (``synthetic``).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pandas as pd

from placespend import estate_names
from placespend.errors import InputFileError, PlacespendError, collected, quoted

COLUMNS = ("scheme", "estate", "blocks", "start_year", "end_year", "budget_gbp")
REQUIRED = ("scheme", "estate", "start_year", "end_year", "budget_gbp")
MAX_BYTES = 5 * 2**20
MAX_ROWS = 10_000
TABLE_COLUMNS = {
    "scheme": "varchar", "estate_id": "varchar", "blocks": "varchar",
    "start_year": "varchar", "end_year": "varchar", "budget_pence": "bigint",
    "synthetic": "boolean",
}
DEMO_SCHEMES = 12
_YEAR = re.compile(r"^\s*(\d{4})(?:\s*[-/]\s*(\d{2}|\d{4}))?\s*$")


def financial_year(start: int) -> str:
    """``2024 -> '2024-25'``."""
    return f"{start}-{(start + 1) % 100:02d}"


def _year(text: str) -> int | None:
    m = _YEAR.match(text or "")
    if not m:
        return None
    start = int(m.group(1))
    if m.group(2) and int(m.group(2)[-2:]) != (start + 1) % 100:
        return None
    return start if 1990 <= start <= 2100 else None


def _pence(text: str) -> int | None:
    cleaned = (text or "").strip().replace("£", "").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def read_programme(path: Path, index: estate_names.EstateIndex) -> pd.DataFrame:
    """The schemes of a capital programme CSV as the ``capital_programme`` table's rows.

    Raises
    ------
    InputFileError
        Listing every problem (missing column, unknown estate, unreadable year or budget, end
        before start), each with its row and what to write instead.
    """
    path = Path(path)
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        msg = f"{path}: a capital programme is at most 5 MB; this file is {len(data):,} bytes."
        raise InputFileError(msg)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as CSV UTF-8."
        raise InputFileError(msg) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        msg = (f"{path}, row 1: the header lacks {', '.join(missing)}; a capital programme has "
               f"the columns {', '.join(COLUMNS)} (blocks may be left out).")
        raise InputFileError(msg)
    rows, problems = [], []
    for n, raw in enumerate(reader, start=2):
        if n - 1 > MAX_ROWS:
            problems.append(f"row {n}: more than {MAX_ROWS:,} schemes; split the file")
            break
        got = {c: (raw.get(header[c]) or "").strip() if c in header else "" for c in COLUMNS}
        if not any(got.values()):
            continue
        rows.append(_scheme(got, n, index, problems))
    if problems:
        raise collected(InputFileError, f"{path}: capital programme not read", problems)
    return _typed(rows)


def _scheme(got: dict[str, str], n: int, index: estate_names.EstateIndex,
            problems: list[str]) -> tuple:
    if not got["scheme"]:
        problems.append(f"row {n}: scheme is blank; name the scheme")
    try:
        estate_id = index.resolve(got["estate"]) if got["estate"] else None
    except PlacespendError as exc:
        estate_id = None
        problems.append(f"row {n}: estate {quoted(got['estate'])}: {exc}")
    if not got["estate"]:
        problems.append(f"row {n}: estate is blank; give the estate's name or id")
    start, end = _year(got["start_year"]), _year(got["end_year"])
    for name, value in (("start_year", start), ("end_year", end)):
        if value is None:
            problems.append(f"row {n}: {name} {quoted(got[name])} is not a financial year; "
                            "write 2024-25, 2024/25 or 2024")
    if start is not None and end is not None and end < start:
        problems.append(f"row {n}: end_year {financial_year(end)} is before start_year "
                        f"{financial_year(start)}")
    budget = _pence(got["budget_gbp"])
    if budget is None:
        problems.append(f"row {n}: budget_gbp {quoted(got['budget_gbp'])} is not an amount in "
                        "pounds of 0 or more; write e.g. 1250000 or £1,250,000.00")
    return (got["scheme"], estate_id, got["blocks"] or None,
            financial_year(start) if start else None, financial_year(end) if end else None,
            budget, False)


def demo_programme(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """A synthetic programme for the demo: one scheme on each of the :data:`DEMO_SCHEMES`
    estates with the most capital placed directly on them, running from the first year of
    spend to two years after the last, with a budget of its capital so far rounded up to
    £10,000 plus half again for the years to come. Every row says ``synthetic``."""
    found = con.execute(
        "select target_id as estate_id, sum(amount_pence)::bigint as pence, "
        "min(financial_year) as first_year, max(financial_year) as last_year "
        "from place_spend where target_type = 'estate' and capital_or_revenue = 'capital' "
        "and basis = 'direct' group by target_id order by pence desc, estate_id limit $n",
        {"n": DEMO_SCHEMES}).df()
    rows = []
    for i, r in enumerate(found.itertuples(), start=1):
        first, last = int(r.first_year[:4]), int(r.last_year[:4])
        budget = -(-int(r.pence) * 3 // 2 // 1_000_000) * 1_000_000
        rows.append((f"Better Homes scheme {i} (synthetic)", r.estate_id, None,
                     financial_year(first), financial_year(last + 2), budget, True))
    return _typed(rows)


def _typed(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return frame.astype({c: "string" if t == "varchar" else "int64" if t == "bigint" else bool
                         for c, t in TABLE_COLUMNS.items()})


def empty() -> pd.DataFrame:
    """A programme with no schemes."""
    return _typed([])
