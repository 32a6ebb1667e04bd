"""The CLI's listings (``estates``, ``quarantine``, ``coverage``, ``reconcile``) as frames, and
their CSV and JSON forms for ``--format csv|json``.

A :class:`Listing` holds its rows with money in integer pence (columns ``*_pence``) and the
facts that go with them (the data label, the financial year and why it was chosen, how many
rows there are in all). At the edge, CSV writes each amount as exact pounds-and-pence text
(``*_gbp``, as ``placespend export`` does) with the data label on every row; JSON writes an
object carrying the facts and the rows, amounts as numbers in pounds.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import pandas as pd

from placespend import classify, export, geography, maps, money, reads
from placespend._sql import query
from placespend.errors import PlacespendError
from placespend.reconcile import reconcile as reconcile_store

FORMATS = ("table", "csv", "json")


def check_format(text: str) -> str:
    """``text`` as one of :data:`FORMATS` (any case).

    Raises
    ------
    PlacespendError
        For anything else, naming the formats there are.
    """
    fmt = text.strip().lower()
    if fmt not in FORMATS:
        msg = f"--format must be {', '.join(FORMATS[:-1])} or {FORMATS[-1]}, not '{text}'."
        raise PlacespendError(msg)
    return fmt


@dataclass(frozen=True)
class Listing:
    """Rows to list (money in ``*_pence`` columns) and the facts that go with them."""

    rows: pd.DataFrame
    facts: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, pd.DataFrame] = field(default_factory=dict)  # more tables (JSON only)
    flat: bool = False  # JSON is the facts alone (the rows only restate them)

    def csv(self) -> bytes:
        """The rows as CSV: exact pounds, the data label (and year and borough, if any) on
        every row, formulas neutralised, CRLF line ends (as ``placespend export`` writes)."""
        frame = _gbp_text(self.rows)
        for name in ("data", "financial_year", *export.BOROUGH_COLUMNS):
            if name in self.facts and name not in frame.columns:
                frame[name] = self.facts[name]
        return export.csv_bytes(frame)

    def json(self) -> str:
        """The facts and the rows (and any other part) as one JSON object; amounts in pounds."""
        out = dict(self.facts)
        if self.flat:
            return json.dumps(out, indent=2, ensure_ascii=False)
        for name, part in self.parts.items():
            out[name] = _records(part)
        out["rows"] = _records(self.rows)
        return json.dumps(out, indent=2, ensure_ascii=False)


def _gbp_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in [c for c in out.columns if c.endswith("_pence")]:
        pence = out.pop(col)
        out[col.removesuffix("_pence") + "_gbp"] = [
            "" if pd.isna(v) else money.gbp(round(float(v))) for v in pence]
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    out = frame.copy()
    for col in [c for c in out.columns if c.endswith("_pence")]:
        out[col.removesuffix("_pence") + "_gbp"] = money.pounds_number(out.pop(col))
    return json.loads(out.to_json(orient="records", date_format="iso", double_precision=15))


# ---- the four listings -------------------------------------------------------------------------


def estates(con: duckdb.DuckDBPyConnection, financial_year: str | None, reason: str = ""
            ) -> Listing:
    """Every estate with its total, range, direct and delegable pence and per household, for
    ``financial_year`` (None = every year, summed); its wards by code and name."""
    totals = reads.estate_totals(con, financial_year)
    names = reads.ward_names(con)
    geo = geography.read(con)
    rows = pd.DataFrame({
        "estate_id": totals["estate_id"],
        "estate_name": totals["estate_name"],
        "source": totals["source"],
        "boundary": totals["source"].map(lambda v: maps.source_label(v, short=True)),
        "ward_codes": totals["ward_codes"].fillna(""),
        "ward_names": totals["ward_codes"].map(lambda c: reads.ward_names_of(c, names, ";")),
        "households_est": totals["households_est"].astype(float).round(1),
        "total_pence": totals["total_pence"],
        "low_pence": totals["low_pence"],
        "high_pence": totals["high_pence"],
        "direct_pence": totals["direct_pence"],
        "delegable_pence": totals["delegable_pence"],
        "per_household_pence": totals["per_household_pence"],
    })
    facts = {"data": reads.data_label(con),
             "financial_year": financial_year or "all years",
             "year_reason": reason,
             "borough_code": geo.borough_code, "borough_name": geo.borough_name,
             "estates": len(rows), "rows_listed": len(rows)}
    return Listing(rows, facts)


def quarantine(con: duckdb.DuckDBPyConnection, limit: int | None) -> Listing:
    """The spend rows not accepted (file, line, reason, amount as written and, where it
    parsed, in pence), the first ``limit`` (None = all), with the count by reason."""
    reasons = query(con, "quarantine_reasons")
    total = int(reasons["rows"].sum()) if len(reasons) else 0
    rows = query(con, "quarantine_rows", limit=total if limit is None else limit)
    rows = rows.rename(columns={"source_file": "file", "source_row": "line",
                                "amount_text": "amount_as_written"})
    facts = {"data": reads.data_label(con), "rows_quarantined": total, "rows_listed": len(rows)}
    return Listing(rows, facts, {"reasons": reasons})


def suspects(con: duckdb.DuckDBPyConnection, limit: int | None) -> Listing:
    """Accepted lines repeating an earlier line of their file in every mapped field."""
    by_file = query(con, "possible_duplicates_by_file")
    total = int(by_file["n_rows"].sum()) if len(by_file) else 0
    rows = query(con, "possible_duplicates_rows", limit=total if limit is None else limit)
    rows = rows.rename(columns={"source_file": "file", "source_row": "line",
                                "first_row": "same_as_line"})
    pence = int(by_file["pence"].sum()) if len(by_file) else 0
    facts = {"data": reads.data_label(con), "possible_duplicates": total,
             "possible_duplicates_gbp": money.pounds_number(pd.Series([pence]))[0],
             "rows_listed": len(rows)}
    return Listing(rows, facts)


def coverage(con: duckdb.DuckDBPyConnection, limit: int) -> Listing:
    """The share of spend the catalogue's rules classify, and the largest labels they do not."""
    cov = classify.coverage(con)
    top = query(con, "unclassified_labels", limit=limit)
    facts = {"data": reads.data_label(con), "classified_share": round(cov.share, 4),
             "lines": cov.lines, "classified_lines": cov.classified_lines,
             "gross_gbp": money.pounds_number(pd.Series([cov.gross_pence]))[0],
             "classified_gross_gbp":
                 money.pounds_number(pd.Series([cov.classified_gross_pence]))[0],
             "sentence": cov.sentence()}
    return Listing(top, facts)


def reconciliation(con: duckdb.DuckDBPyConnection) -> tuple[Listing, bool]:
    """The conservation figures (one row per figure) and whether money is conserved.

    JSON keeps the shape ``placespend reconcile --json`` always had: one flat object of
    figures (counts as integers, money in pounds), ``classified_share``, ``data`` and ``ok``.
    """
    result = reconcile_store(con)
    cov = query(con, "coverage").iloc[0]
    figures = result.as_json()
    figures["classified_share"] = (
        round(cov.classified_gross_pence / cov.gross_pence, 4) if cov.gross_pence else 1.0)
    figures["data"] = reads.data_label(con)
    exact = asdict(result)
    exact["difference_pence"] = result.difference_pence
    rows = [(name.removesuffix("_pence") + "_gbp", money.gbp(value)) if name.endswith("_pence")
            else (name, str(value)) for name, value in exact.items()]
    rows += [("ok", str(result.ok).lower()), ("classified_share", str(figures["classified_share"]))]
    table = pd.DataFrame(rows, columns=["figure", "value"])
    return Listing(table, figures, flat=True), result.ok
