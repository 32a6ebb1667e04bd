"""Estate spend as tables and files: the CLI's ``estates`` and ``export`` and the app's downloads.

Amounts stay integer pence until the edge, where they become exact decimal strings (``gbp``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
from shapely import wkb

from placespend import _folders, geography, maps
from placespend._texts import DEMO_LABEL
from placespend.errors import OutputError
from placespend.layers import CRS
from placespend.money import gbp, pounds_number
from placespend.reads import estate_totals, ward_names, ward_names_of

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
DEMO_FILE_PREFIX = "SYNTHETIC_DEMO_"

# A spreadsheet treats text starting with one of these as a formula (or, for tab and carriage
# return, as a way to smuggle one in): OWASP "CSV injection".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Columns holding amounts or measures as text ("-12.50"): never prefixed.
_NUMERIC_SUFFIXES = ("_gbp", "_pence", "_m2", "_m", "_est", "_share")
CSV_LINE_END = "\r\n"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


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
