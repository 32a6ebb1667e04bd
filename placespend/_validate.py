"""Checks behind :func:`placespend.boundaries.load_boundaries`.

Every check appends human-readable problems (file, feature, fix) to a list rather than
raising, so a user sees everything wrong with their files at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placespend.errors import quoted
from placespend.keys import CENSUS_KEYS
from placespend.layers import CRS

if TYPE_CHECKING:
    from placespend.layers import LayerSpec

GB_BOUNDS = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)  # British National Grid, generous
OVERLAP_TOLERANCE_M2 = 1.0
MAX_LISTED = 10
KINDS = {
    "polygon": ("Polygon", "MultiPolygon"),
    "line": ("LineString", "MultiLineString"),
    "point": ("Point", "MultiPoint"),
}
FIX_CRS = ("set the CRS, e.g. gdf.set_crs('EPSG:27700') in Python or "
           "`ogr2ogr -a_srs EPSG:27700 fixed.gpkg {name}`")


def read_layer(path: Path, spec: LayerSpec, problems: list[str]) -> gpd.GeoDataFrame:
    """Read one layer and check it; return it in EPSG:27700 (possibly partial if problems)."""
    try:
        gdf = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    except Exception as exc:  # any reader failure is a user's file problem
        problems.append(f"{path}: cannot be read as a vector file ({exc}); check the format")
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    if spec.required and gdf.empty:
        problems.append(f"{path}: has no features; the {spec.name} layer needs at least one "
                        f"{spec.kind}, check that this is the right file")
        return gdf
    before = len(problems)
    check_columns(gdf, spec, path, problems)
    gdf = check_crs(gdf, path, problems)
    check_geometry(gdf, spec, path, problems)
    check_ids(gdf, spec, path, problems)
    if spec.name == "small_areas":
        check_counts(gdf, spec, path, problems)
    if len(problems) > before:
        return gdf
    return gdf.reset_index(drop=True)


def _label(gdf: gpd.GeoDataFrame, spec: LayerSpec, pos: int | np.integer) -> str:
    """``feature 3 (estate_id 'E1')``: 1-based position plus the id when there is one."""
    col = spec.id_column
    if col and col in gdf.columns:
        return f"feature {pos + 1} ({col} {quoted(str(gdf[col].iloc[pos]))})"
    return f"feature {pos + 1}"


def check_columns(gdf: gpd.GeoDataFrame, spec: LayerSpec, path: Path, problems: list[str]):
    """Required attribute columns are present."""
    missing = [c for c in spec.columns if c not in gdf.columns]
    if missing:
        have = ", ".join(c for c in gdf.columns if c != gdf.geometry.name) or "none"
        problems.append(f"{path}: missing column(s) {', '.join(map(repr, missing))} needed for "
                        f"{spec.name} (columns present: {have}); add or rename them")


def check_crs(gdf: gpd.GeoDataFrame, path: Path, problems: list[str]) -> gpd.GeoDataFrame:
    """A declared CRS matching the coordinates; reproject to EPSG:27700."""
    if gdf.crs is None:
        problems.append(f"{path}: no coordinate reference system; "
                        + FIX_CRS.format(name=Path(path).name))
        return gdf
    finite = gdf.geometry[_present(gdf.geometry)]
    if finite.empty:
        return gdf.to_crs(CRS)
    x0, y0, x1, y1 = finite.total_bounds
    lonlat = -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90
    if gdf.crs.is_geographic:
        if not lonlat:
            problems.append(f"{path}: declares {gdf.crs.to_string()} (longitude/latitude) but "
                            f"its coordinates ({x0:.0f}, {y0:.0f})–({x1:.0f}, {y1:.0f}) are "
                            "not degrees; declare the real CRS, e.g. EPSG:27700")
            return gdf
        if _swapped(x0, y0, x1, y1):
            problems.append(f"{path}: its coordinates look like (latitude, longitude): x runs "
                            f"{x0:.4f}–{x1:.4f} and y {y0:.4f}–{y1:.4f}, but longitude comes "
                            "first; swap them (QGIS: Processing > 'Swap X and Y coordinates')")
            return gdf
    elif lonlat and (x1 - x0) < 10:
        problems.append(f"{path}: declares {gdf.crs.to_string()} but its coordinates "
                        f"({x0:.4f}, {y0:.4f})–({x1:.4f}, {y1:.4f}) look like longitude/latitude; "
                        "declare EPSG:4326 instead, e.g. gdf.set_crs('EPSG:4326', "
                        "allow_override=True)")
        return gdf
    out = gdf.to_crs(CRS)
    bx0, by0, bx1, by1 = out.geometry[_present(out.geometry)].total_bounds
    if bx0 < GB_BOUNDS[0] or by0 < GB_BOUNDS[1] or bx1 > GB_BOUNDS[2] or by1 > GB_BOUNDS[3]:
        problems.append(f"{path}: coordinates fall outside Great Britain in EPSG:27700 "
                        f"(bounds {bx0:.0f}, {by0:.0f}–{bx1:.0f}, {by1:.0f}); check the "
                        f"declared CRS ({gdf.crs.to_string()})")
    return out


GB_LON_LAT = (-9.0, 49.0, 2.5, 61.0)  # Great Britain in degrees, generous


def _swapped(x0: float, y0: float, x1: float, y1: float) -> bool:
    """Whether degrees lie in Great Britain only once x and y are swapped."""
    w, s, e, n = GB_LON_LAT
    in_gb = w <= x0 and x1 <= e and s <= y0 and y1 <= n
    swapped_in_gb = w <= y0 and y1 <= e and s <= x0 and x1 <= n
    return swapped_in_gb and not in_gb


def _present(geoms: gpd.GeoSeries) -> np.ndarray:
    values = geoms.to_numpy()
    return ~(pd.isna(values) | shapely.is_empty(values))


def check_geometry(gdf: gpd.GeoDataFrame, spec: LayerSpec, path: Path, problems: list[str]):
    """Every feature non-empty, of the right kind and valid."""
    geoms = gdf.geometry.to_numpy()
    empty = pd.isna(geoms) | shapely.is_empty(geoms)
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    collection = types == "GeometryCollection"
    wrong = ~empty & ~collection & ~np.isin(types, KINDS[spec.kind])
    invalid = ~empty & ~collection & ~wrong & ~shapely.is_valid(geoms)
    reasons = shapely.is_valid_reason(geoms)
    found: list[str] = []
    for pos in np.flatnonzero(empty | collection | wrong | invalid):
        what = _label(gdf, spec, pos)
        if empty[pos]:
            found.append(f"{path}, {what}: empty geometry; draw its boundary or delete it")
        elif collection[pos]:
            found.append(f"{path}, {what}: is a GeometryCollection; keep only its "
                         f"{spec.kind}s (e.g. explode it in QGIS) ")
        elif wrong[pos]:
            found.append(f"{path}, {what}: is a {types[pos]} but {spec.name} needs "
                         f"{spec.kind}s; supply {spec.kind} geometry")
        else:
            found.append(f"{path}, {what}: invalid geometry ({reasons[pos]}); repair it, e.g. "
                         "shapely.make_valid or QGIS 'Fix geometries'")
    problems.extend(_capped(found, path, "geometry problems"))


def check_ids(gdf: gpd.GeoDataFrame, spec: LayerSpec, path: Path, problems: list[str]):
    """Ids are present and unique."""
    col = spec.id_column
    if not col or col not in gdf.columns:
        return
    ids = gdf[col].astype("string")
    found = [f"{path}, feature {p + 1}: no {col}; give every feature an id"
             for p in np.flatnonzero(ids.isna().to_numpy() | (ids.str.strip() == "").to_numpy())]
    dup = ids[ids.duplicated(keep=False) & ids.notna()]
    for value in dup.unique():
        rows = ", ".join(str(p + 1) for p in np.flatnonzero(ids.to_numpy() == value))
        found.append(f"{path}: {col} '{value}' is duplicated (features {rows}); ids must be "
                     "unique, rename or merge them")
    problems.extend(_capped(found, path, "id problems"))


MAX_COUNT = 10_000_000
"""The largest census count one small area may hold (an output area holds a few hundred)."""


def check_counts(gdf: gpd.GeoDataFrame, spec: LayerSpec, path: Path, problems: list[str]):
    """Census counts, where given, are finite numbers from 0 to :data:`MAX_COUNT`.

    A count of 1e30 or infinity would pass a plain ``>= 0`` test and then fail (or overflow)
    where the counts are split and summed; one problem per column names the first features.
    """
    for col in CENSUS_KEYS:
        if col not in gdf.columns:
            continue
        raw = gdf[col]
        values = pd.to_numeric(raw, errors="coerce").astype("float64").to_numpy()
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) | (values < 0) | (values > MAX_COUNT)
        found = [f"{_label(gdf, spec, p)} has {_count_problem(raw.iloc[p], values[p])}"
                 for p in np.flatnonzero(bad)]
        if found:
            more = f", … and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
            problems.append(f"{path}: column '{col}' must hold counts from 0 to "
                            f"{MAX_COUNT:,} per area, but {'; '.join(found[:MAX_LISTED])}{more}; "
                            "correct the counts, or drop the column (its key then falls back to "
                            "area)")


def _count_problem(raw: object, value: float) -> str:
    if pd.isna(raw):
        return "no value"
    if np.isnan(value):
        return f"{quoted(raw)}, not a number"
    if not np.isfinite(value):
        return f"{value}, not a finite number"
    if value < 0:
        return f"{value:,g}, a negative count"
    shown = f"{value:,.0f}" if value < 1e15 else f"{value:g}"
    return f"{shown}, more than {MAX_COUNT:,}"


# An estate is refused when more than this share of its area lies outside the borough (the
# union of the wards): it is misplaced or in the wrong CRS, and its money would be computed on
# ground the borough's spend does not cover.
MAX_OUTSIDE_SHARE = 0.5
# ... or when it covers more than this share of the borough: a borough or ward file given as
# estates.
MAX_BOROUGH_SHARE = 0.5


def check_wards(wards: gpd.GeoDataFrame, path: str, problems: list[str]):
    """Wards do not overlap each other: a piece of ground in two wards would have its
    households split between two copies of it."""
    if wards.empty:
        return
    codes = wards["ward_code"].astype(str).to_numpy()
    found = [f"{path}: wards '{codes[i]}' (feature {i + 1}) and '{codes[j]}' (feature {j + 1}) "
             f"overlap by {a:,.1f} m² (at most {OVERLAP_TOLERANCE_M2:g} m² is allowed); make "
             "them disjoint (a piece of ground belongs to one ward): use the ONS "
             "full-resolution clipped (BFC) ward boundaries, or cut the overlap from one of "
             "them (QGIS: Vector > Geoprocessing Tools > Difference)"
             for i, j, a in _overlaps(wards)]
    problems.extend(_capped(found, path, "ward problems"))


def check_estates(estates: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, path: str,
                  problems: list[str]):
    """Estates do not overlap each other, lie mostly inside the borough (the union of the
    wards: at most :data:`MAX_OUTSIDE_SHARE` of each outside it) and none covers most of it
    (at most :data:`MAX_BOROUGH_SHARE` of the borough's area)."""
    if estates.empty:
        return
    geoms = estates.geometry.to_numpy()
    ids = estates["estate_id"].astype(str).to_numpy()
    found = [f"{path}: estates '{ids[i]}' (feature {i + 1}) and '{ids[j]}' (feature {j + 1}) "
             f"overlap by {a:,.1f} m²; make them disjoint (a piece of ground belongs to at most "
             "one estate)"
             for i, j, a in _overlaps(estates)]
    borough = wards.geometry.union_all()
    area = shapely.area(geoms)
    inside = shapely.area(shapely.intersection(geoms, borough))
    outside = 1 - inside / np.where(area > 0, area, 1)
    for p in range(len(estates)):
        what = f"{path}, feature {p + 1} (estate_id '{ids[p]}')"
        if inside[p] < 1.0:
            found.append(f"{what}: lies outside every ward; check its CRS and position, or "
                         "remove it")
        elif outside[p] > MAX_OUTSIDE_SHARE:
            found.append(f"{what}: {outside[p]:.0%} of its area lies outside the borough (the "
                         f"wards' union; more than {MAX_OUTSIDE_SHARE:.0%} is refused); check "
                         "its CRS and position, or clip it to the borough (QGIS: Vector > "
                         "Geoprocessing Tools > Clip)")
        if borough.area and area[p] > MAX_BOROUGH_SHARE * borough.area:
            found.append(f"{what}: covers {area[p] / borough.area:.0%} of the borough's area "
                         f"(more than {MAX_BOROUGH_SHARE:.0%} is refused); this looks like a "
                         "borough or ward file given as estates: give the estates' own polygons")
    problems.extend(_capped(found, path, "estate problems"))


def _overlaps(gdf: gpd.GeoDataFrame):
    """(i, j, m²) for each pair of features overlapping by at least the tolerance."""
    geoms = gdf.geometry.to_numpy()
    left, right = gdf.sindex.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    return [(i, j, a) for i, j, a in zip(left, right, area, strict=True)
            if a >= OVERLAP_TOLERANCE_M2]


def _capped(found: list[str], path: Path | str, what: str) -> list[str]:
    if len(found) <= MAX_LISTED:
        return found
    extra = len(found) - MAX_LISTED
    return [*found[:MAX_LISTED], f"{path}: … and {extra} more {what}"]
