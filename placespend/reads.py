"""Reads of a built store that every view, export and report shares: the data label, the
financial years and the default one, estate totals and rows, ward names, estate search and the
payment lines behind a figure. Nothing here writes a file or builds anything (the read side:
see docs/ARCHITECTURE.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from placespend import estate_names
from placespend._sql import query
from placespend._texts import DEMO_LABEL
from placespend.errors import PlacespendError
from placespend.money import gbp
from placespend.store import read_build_info

USER_DATA_LABEL = "user-supplied spend"


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store was built from the synthetic demo spend."""
    return bool(read_build_info(con).get("is_demo"))


def data_label(con: duckdb.DuckDBPyConnection) -> str:
    """The label every output carries: :data:`~placespend.demo.DEMO_LABEL` for demo data."""
    return DEMO_LABEL if is_demo(con) else USER_DATA_LABEL


def financial_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Financial years present in the store, newest first."""
    return query(con, "financial_years")["financial_year"].tolist()


def latest_year(con: duckdb.DuckDBPyConnection) -> str | None:
    """The newest financial year in the store (see :func:`default_year` for the default view)."""
    years = financial_years(con)
    return years[0] if years else None


# A year is a full year of data, fit to be the default view, when its payments fall in at
# least this many of its months (or in as many as the fullest year's, if fewer) and number at
# least this share of the busiest year's lines: one payment dated 2100 is not a year of spend.
FULL_YEAR_MONTHS = 6
FULL_YEAR_LINE_SHARE = 0.1
_FINANCIAL_YEAR = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class YearChoice:
    """The financial year a view shows by default, and why (one sentence for people)."""

    year: str | None
    reason: str


def default_year(con: duckdb.DuckDBPyConnection) -> YearChoice:
    """The latest financial year with a full year of data (:data:`FULL_YEAR_MONTHS`,
    :data:`FULL_YEAR_LINE_SHARE`), else the latest year; with the reason, naming newer years
    it passed over."""
    cover = query(con, "year_coverage")
    if cover.empty:
        return YearChoice(None, "The store holds no spend.")
    months = min(FULL_YEAR_MONTHS, int(cover["months"].max()))
    lines = FULL_YEAR_LINE_SHARE * int(cover["lines"].max())
    full = cover[(cover["months"] >= months) & (cover["lines"] >= lines)]
    chosen = str((full if len(full) else cover)["financial_year"].iloc[0])
    newer = cover[cover["financial_year"] > chosen]
    if newer.empty:
        return YearChoice(chosen, f"Financial year {chosen}, the latest in the store.")
    skipped = "; ".join(
        f"{r.financial_year} has payments in {r.months} month{'s' if r.months != 1 else ''} "
        f"({r.lines:,} line{'s' if r.lines != 1 else ''}, £{gbp(r.amount_pence)})"
        for r in newer.itertuples())
    return YearChoice(chosen, (
        f"Financial year {chosen}, the latest with a full year of data (payments in at least "
        f"{months} months and at least {FULL_YEAR_LINE_SHARE:.0%} of the busiest year's "
        f"lines): {skipped}. Pass --year to see another year."))


def check_year(con: duckdb.DuckDBPyConnection, year: str) -> str:
    """``year`` when it is a financial year (``2024-25``) with spend in the store.

    Raises
    ------
    PlacespendError
        The year is not written as a financial year, or the store has no spend in it; the
        message lists the years it has.
    """
    years = financial_years(con)
    have = ", ".join(years) if years else "none (rebuild the store with your spend files)"
    text = year.strip()
    found = _FINANCIAL_YEAR.fullmatch(text)
    if not found or (int(found[1]) + 1) % 100 != int(found[2]):
        shown = text[:40] + ("…" if len(text) > 40 else "")
        msg = (f"--year '{shown}' is not a UK financial year: write it as 2024-25 (April 2024 "
               f"to March 2025). Years with spend in this store: {have}.")
        raise PlacespendError(msg)
    if text not in years:
        msg = (f"The store has no spend in financial year {text}. Years with spend: {have}. "
               "Pick one of those, or rebuild with the spend files for that year.")
        raise PlacespendError(msg)
    return text


def estate_totals(con: duckdb.DuckDBPyConnection, financial_year: str | None) -> pd.DataFrame:
    """One row per estate: total, low/high, direct and delegable pence, per household."""
    return query(con, "estate_totals", financial_year=financial_year)


def ward_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Ward code -> ward name, for every ward in the store."""
    wards = query(con, "ward_names")
    return dict(zip(wards["ward_code"], wards["ward_name"], strict=True))


def ward_names_of(codes: object, names: dict[str, str], sep: str = "; ") -> str:
    """The names of the wards in ``codes`` (``;``-joined, as ``estates.ward_codes`` holds them),
    in the same order, a code without a name kept as it is: ``'E05013664' -> 'Kentish Town
    South'``."""
    return sep.join(names.get(c, c) for c in _codes(codes))


def wards_text(codes: object, names: dict[str, str]) -> str:
    """Ward names with their codes, for people: ``'Kentish Town South (E05013664)'``."""
    return ", ".join(f"{names[c]} ({c})" if c in names else c for c in _codes(codes))


def _codes(codes: object) -> list[str]:
    if codes is None or (not isinstance(codes, str) and pd.isna(codes)):
        return []
    return [c for c in str(codes).split(";") if c]


def estate_index(con: duckdb.DuckDBPyConnection) -> estate_names.EstateIndex:
    """The search index over the store's estates: ids, display names and aliases."""
    estates = con.execute("select * exclude (geometry_wkb) from estates").df()
    return estate_names.EstateIndex.from_frame(estates)


def resolve_estate(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """An estate id from its id, name or any alias, ignoring case and punctuation (see
    :mod:`placespend.estate_names`); a unique part of a name also works.

    Raises
    ------
    PlacespendError
        Naming every match when several estates fit, or the nearest names when none does.
    """
    return estate_index(con).resolve(text)


def estate_rows(
    con: duckdb.DuckDBPyConnection,
    estate_id: str | None = None,
    financial_year: str | None = None,
) -> pd.DataFrame:
    """Spend by estate, year, service, basis and key, in the export's columns (pence)."""
    return query(con, "estate_rows", estate_id=estate_id, financial_year=financial_year)


def source_lines(
    con: duckdb.DuckDBPyConnection,
    estate_id: str,
    service_id: str | None = None,
    financial_year: str | None = None,
) -> pd.DataFrame:
    """The payment lines behind an estate's figure (file, row, payee as published) and the
    share of each that reaches the estate under the service's main key.

    ``estate_share_pence`` is that share as a float; ``estate_pence`` is it in whole pence,
    the pence of each group reaching the estate shared over its lines so that they add up to
    them exactly: the lines of a group, in file order, get
    ``round(E x C_i / T) - round(E x C_(i-1) / T)`` pence, where ``E`` is the group's pence
    on the estate, ``T`` its total and ``C_i`` the sum of its first ``i`` lines. Each is
    within a penny of the float share, and a download of them adds up to the figure.
    """
    lines = query(
        con,
        "estate_source_lines",
        estate_id=estate_id,
        service_id=service_id,
        financial_year=financial_year,
    )
    lines["estate_pence"] = _whole_pence_shares(lines)
    return lines


def _whole_pence_shares(lines: pd.DataFrame) -> pd.Series:
    """Each line's whole pence of its group's pence on the estate (cumulative rounding in file
    order, exact in Python integers: the products exceed 64 bits)."""
    order = lines.sort_values(["group_id", "source_file", "source_row"], kind="stable")
    shares = pd.Series(0, index=lines.index, dtype="int64")
    for _, group in order.groupby("group_id", sort=False):
        estate = int(group["group_estate_pence"].iloc[0])
        total = int(group["group_pence"].iloc[0])
        if total == 0:
            continue
        done, cum = 0, 0
        for index, line in zip(group.index, group["line_pence"], strict=True):
            cum += int(line)
            reached = _nearest(estate * cum, total)
            shares[index] = reached - done
            done = reached
    return shares


def _nearest(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer (halves up), exactly."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    return (2 * numerator + denominator) // (2 * denominator)
