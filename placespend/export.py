"""Estate spend as tables and files: the CLI's ``estates`` and ``export`` and the app's downloads.

Amounts stay integer pence until the edge, where they become exact decimal strings (``gbp``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
from shapely import wkb

from placespend import _folders, estate_names, geography, maps
from placespend._sql import query
from placespend._texts import DEMO_LABEL
from placespend.errors import OutputError, PlacespendError
from placespend.layers import CRS
from placespend.money import gbp, pounds_number
from placespend.store import read_build_info

EXPORT_COLUMNS = [
    "estate_id",
    "estate_name",
    "financial_year",
    "service",
    "mission_outcome",
    "delegable",
    "capital_or_revenue",
    "basis",
    "key",
    "amount_gbp",
    "low_gbp",
    "high_gbp",
    "another_key_low_gbp",
    "another_key_high_gbp",
]


BOROUGH_COLUMNS = ["borough_code", "borough_name"]  # after the data label, in every table
USER_DATA_LABEL = "user-supplied spend"
DEMO_FILE_PREFIX = "SYNTHETIC_DEMO_"

# A spreadsheet treats text starting with one of these as a formula (or, for tab and carriage
# return, as a way to smuggle one in): OWASP "CSV injection".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Columns holding amounts or measures as text ("-12.50"): never prefixed.
_NUMERIC_SUFFIXES = ("_gbp", "_pence", "_m2", "_m", "_est", "_share")
CSV_LINE_END = "\r\n"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store was built from the synthetic demo spend."""
    return bool(read_build_info(con).get("is_demo"))


def data_label(con: duckdb.DuckDBPyConnection) -> str:
    """The label every output carries: :data:`~placespend.demo.DEMO_LABEL` for demo data."""
    return DEMO_LABEL if is_demo(con) else USER_DATA_LABEL


def safe_text(value: object) -> object:
    """Text a spreadsheet will show, never run: a string starting with ``= + - @``, a tab or a
    carriage return gets a leading ``'``; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with :func:`safe_text` applied to every text column that is not an amount
    (columns named ``*_gbp``, ``*_pence``, ... keep signs like ``-12.50``)."""
    out = frame.copy()
    for col in out.columns:
        text = pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col])
        if text and not str(col).endswith(_NUMERIC_SUFFIXES):
            out[col] = out[col].map(safe_text)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """An export table as UTF-8 CSV bytes (for downloads), as :func:`write_csv` writes it."""
    return neutralise(frame).to_csv(index=False, lineterminator=CSV_LINE_END).encode("utf-8")


def safe_filename(text: str, max_length: int = 80) -> str:
    """A file-name part made only of ``[A-Za-z0-9_.-]``: runs of anything else become ``_``,
    runs of dots become one and leading dots are dropped, so an estate id or name can never
    leave its folder."""
    cleaned = re.sub(r"\.{2,}", ".", _UNSAFE_FILENAME.sub("_", text)).lstrip(".")[:max_length]
    return cleaned or "_"


def export_stem(label: str, estate_id: str | None, financial_year: str | None) -> str:
    """The file name (without suffix) for an export: prefixed ``SYNTHETIC_DEMO_`` for demo data.

    ``export_stem(DEMO_LABEL, "osm-way-1", "2024-25")`` ->
    ``'SYNTHETIC_DEMO_placespend_osm-way-1_2024-25'``.
    """
    prefix = DEMO_FILE_PREFIX if label == DEMO_LABEL else ""
    estate = safe_filename(estate_id or "all_estates")
    year = safe_filename(financial_year or "all_years")
    return f"{prefix}placespend_{estate}_{year}"


def labelled_name(label: str, name: str) -> str:
    """A download's file name, prefixed ``SYNTHETIC_DEMO_`` when the data is the demo's (as
    :func:`export_stem` names the CLI's files): ``'pot_E1_2024-25.csv'`` ->
    ``'SYNTHETIC_DEMO_pot_E1_2024-25.csv'``."""
    prefix = DEMO_FILE_PREFIX if label == DEMO_LABEL else ""
    return prefix + safe_filename(name, max_length=200)


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


def export_table(rows: pd.DataFrame, data_label: str,
                 geo: geography.Geography | None = None) -> pd.DataFrame:
    """The CSV export: :data:`EXPORT_COLUMNS` with exact pounds, plus the ``data`` label and
    :data:`BOROUGH_COLUMNS` of ``geo`` (read it with :func:`placespend.geography.read`; the
    shipped Camden geography when omitted)."""
    out = rows.copy()
    for col in ("amount", "low", "high"):
        out[f"{col}_gbp"] = out[f"{col}_pence"].map(gbp)
    out["another_key_low_gbp"] = out["alt_low_pence"].map(gbp)
    out["another_key_high_gbp"] = out["alt_high_pence"].map(gbp)
    out = out[EXPORT_COLUMNS]
    out["data"] = data_label
    return neutralise(with_borough(out, geo or geography.Geography()))


def with_borough(frame: pd.DataFrame, geo: geography.Geography) -> pd.DataFrame:
    """``frame`` with the borough's code and name as its last columns (:data:`BOROUGH_COLUMNS`)."""
    out = frame.copy()
    out["borough_code"] = geo.borough_code
    out["borough_name"] = geo.borough_name
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write an export table as UTF-8 CSV, text that a spreadsheet would run neutralised
    (:func:`neutralise`). Lines end in CRLF (RFC 4180), so a field holding a bare carriage
    return or newline is quoted and cannot split its row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise(frame).to_csv(path, index=False, encoding="utf-8", lineterminator=CSV_LINE_END)
    return path


def check_output_folder(folder: Path, option: str = "--out") -> None:
    """Refuse at once an output folder that is a file or lies inside one (nothing is created).

    Raises
    ------
    OutputError
        Naming the file and saying to choose another folder with ``option``.
    """
    why = _folders.not_a_folder(folder)
    if why:
        msg = f"{folder} {why}, not a folder; choose another folder with {option}."
        raise OutputError(msg)


def output_folder(folder: Path, option: str = "--out") -> Path:
    """``folder``, created if missing, to write exports into.

    Raises
    ------
    OutputError
        ``folder`` is a file, lies inside one, or cannot be created.
    """
    _folders.make(folder, OutputError, f"choose another folder with {option}")
    return folder


def writing_into(folder: Path, option: str = "--out"):
    """A context in which an OSError writing into ``folder`` becomes an :class:`OutputError`
    saying what to do (free space, make it writable, or choose another folder with
    ``option``)."""
    return _folders.refused_writes(folder, OutputError, option)


def check_output_file(path: Path, option: str) -> None:
    """Refuse at once an output file whose folder is a file, or that is itself a folder.

    Raises
    ------
    OutputError
        Naming the path and saying to choose another with ``option``.
    """
    check_output_folder(path.parent, option)
    if path.is_dir():
        msg = f"{path} is a folder, not a file; give a file name with {option}."
        raise OutputError(msg)


def write_file(data: bytes, path: Path, option: str = "--out") -> Path:
    """Write an export's bytes to ``path`` whole or not at all: into a hidden file beside it,
    renamed over ``path`` once complete, so a full disk never leaves half a file.

    Raises
    ------
    OutputError
        The folder cannot be created or written, or the disk is full; the message says what to
        do (free space, or choose another folder with ``option``).
    """
    output_folder(path.parent, option)
    with writing_into(path.parent, option):
        temp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
        # os.open, not mkstemp: the file gets the usual permissions (0666 less the umask).
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    return path


def geojson_bytes(con: duckdb.DuckDBPyConnection, financial_year: str | None,
                  data_label: str, stem: str, estate_id: str | None = None) -> bytes:
    """Estates with totals as GeoJSON bytes, as :func:`write_geojson` writes ``<stem>.geojson``
    (GeoJSON keeps the file name as its ``name``)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_geojson(con, Path(tmp) / f"{stem}.geojson", financial_year,
                             data_label, estate_id).read_bytes()


def estates_geodataframe(
    con: duckdb.DuckDBPyConnection, financial_year: str | None
) -> gpd.GeoDataFrame:
    """Estates with their totals as a GeoDataFrame in EPSG:27700."""
    shapes = con.execute("select estate_id, boundary_note, geometry_wkb from estates").df()
    totals = estate_totals(con, financial_year)
    merged = totals.merge(shapes, on="estate_id")
    merged.insert(merged.columns.get_loc("boundary_note"), "boundary",
                  merged["source"].map(maps.source_label))
    geometry = [wkb.loads(bytes(b)) for b in merged.pop("geometry_wkb")]
    return gpd.GeoDataFrame(merged, geometry=geometry, crs=CRS)


def write_geojson(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    financial_year: str | None,
    data_label: str,
    estate_id: str | None = None,
) -> Path:
    """Estates with totals as GeoJSON (WGS84, as RFC 7946 requires), one estate or all.

    Amounts are JSON numbers in pounds, so a GIS can colour by them: ``pence / 100`` written
    as the shortest decimal that reads back as the same double, which is the exact pounds and
    pence for any amount below £90 trillion; ``another_key_low_gbp`` / ``another_key_high_gbp``
    are the sums with the services' other keys, as in the CSV. ``ward_names`` holds the names
    of ``ward_codes``, in the same order. Every feature carries the borough's code and name;
    the collection carries the licence lines of the layers the store was built on.
    """
    frame = estates_geodataframe(con, financial_year)
    if estate_id is not None:
        frame = frame[frame["estate_id"] == estate_id]
    names = ward_names(con)
    frame.insert(frame.columns.get_loc("ward_codes") + 1, "ward_names",
                 frame["ward_codes"].map(lambda codes: ward_names_of(codes, names, ";")))
    for col, name in (*((c, c) for c in ("total", "low", "high", "direct", "delegable",
                                          "per_household")),
                      ("alt_low", "another_key_low"), ("alt_high", "another_key_high")):
        frame[f"{name}_gbp"] = pounds_number(frame.pop(f"{col}_pence"))
    frame["financial_year"] = financial_year or "all years"
    frame["data"] = data_label
    geo = geography.read(con)
    frame = with_borough(frame, geo)
    collection = json.loads(frame.to_crs("EPSG:4326").to_json(drop_id=True, to_wgs84=False))
    collection = {"type": "FeatureCollection", "name": path.stem,
                  "licences": list(geography.licence_lines(geo)), **collection}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path
