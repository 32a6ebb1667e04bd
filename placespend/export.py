"""Estate spend as tables and files: the CLI's ``estates`` and ``export`` and the app's downloads.

Amounts stay integer pence until the edge, where they become exact decimal strings (``gbp``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
from shapely import wkb

from placespend import estate_names, maps
from placespend._sql import query
from placespend.build import read_build_info
from placespend.demo import DEMO_LABEL

EXPORT_COLUMNS = [
    "estate_id",
    "estate_name",
    "financial_year",
    "service",
    "mission_outcome",
    "delegable",
    "basis",
    "key",
    "amount_gbp",
    "low_gbp",
    "high_gbp",
]


USER_DATA_LABEL = "user-supplied spend"
DEMO_FILE_PREFIX = "SYNTHETIC_DEMO_"

# A spreadsheet treats text starting with one of these as a formula (or, for tab and carriage
# return, as a way to smuggle one in): OWASP "CSV injection".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Columns holding amounts or measures as text ("-12.50"): never prefixed.
_NUMERIC_SUFFIXES = ("_gbp", "_pence", "_m2", "_m", "_est", "_share")
CSV_LINE_END = "\r\n"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


def gbp(pence: int) -> str:
    """Exact pounds-and-pence text for integer pence: ``123456 -> '1234.56'``."""
    return str(Decimal(int(pence)).scaleb(-2).quantize(Decimal("0.01")))


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


def financial_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Financial years present in the store, newest first."""
    return query(con, "financial_years")["financial_year"].tolist()


def latest_year(con: duckdb.DuckDBPyConnection) -> str | None:
    """The newest financial year in the store (the default view)."""
    years = financial_years(con)
    return years[0] if years else None


def estate_totals(con: duckdb.DuckDBPyConnection, financial_year: str | None) -> pd.DataFrame:
    """One row per estate: total, low/high, direct and delegable pence, per household."""
    return query(con, "estate_totals", financial_year=financial_year)


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
    share of each that reaches the estate under the service's main key."""
    return query(
        con,
        "estate_source_lines",
        estate_id=estate_id,
        service_id=service_id,
        financial_year=financial_year,
    )


def export_table(rows: pd.DataFrame, data_label: str) -> pd.DataFrame:
    """The CSV export: :data:`EXPORT_COLUMNS` with exact pounds, plus a ``data`` label column."""
    out = rows.copy()
    for col in ("amount", "low", "high"):
        out[f"{col}_gbp"] = out[f"{col}_pence"].map(gbp)
    out = out[EXPORT_COLUMNS]
    out["data"] = data_label
    return neutralise(out)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write an export table as UTF-8 CSV, text that a spreadsheet would run neutralised
    (:func:`neutralise`). Lines end in CRLF (RFC 4180), so a field holding a bare carriage
    return or newline is quoted and cannot split its row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise(frame).to_csv(path, index=False, encoding="utf-8", lineterminator=CSV_LINE_END)
    return path


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
    return gpd.GeoDataFrame(merged, geometry=geometry, crs="EPSG:27700")


def write_geojson(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    financial_year: str | None,
    data_label: str,
) -> Path:
    """Estates with totals as GeoJSON (WGS84, as RFC 7946 requires), amounts in exact pounds."""
    frame = estates_geodataframe(con, financial_year)
    for col in ("total", "low", "high", "direct", "delegable"):
        frame[f"{col}_gbp"] = frame.pop(f"{col}_pence").map(gbp)
    frame["per_household_gbp"] = (frame.pop("per_household_pence") / 100).round(2)
    frame["financial_year"] = financial_year or "all years"
    frame["data"] = data_label
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path
