"""Load and validate the boundary layers: wards, small areas, estates and context layers.

The shipped Camden layers live in ``boundaries/`` (see its README for provenance). Another
council can bring its own wards, small areas or estates as any vector file pyogrio reads
(GeoJSON, GeoPackage, Shapefile) or GeoParquet; every file is checked and all problems are
reported at once in a :class:`~placespend.errors.BoundaryError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placespend import _validate, estate_names, paths
from placespend.errors import BoundaryError, collected
from placespend.keys import CENSUS_KEYS, LAYER_KEYS
from placespend.layers import CRS, LAYERS

ESTATE_SOURCES = ("osm", "derived_from_blocks", "user")
NONRESIDENTIAL_KINDS = ("railway", "commercial", "retail", "campus", "park", "water")
SUFFIXES = (".parquet", ".gpkg", ".geojson", ".json", ".shp", ".fgb")


def empty_layer() -> gpd.GeoDataFrame:
    """An empty layer (no features) in EPSG:27700."""
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


@dataclass
class Boundaries:
    """Every boundary layer, in EPSG:27700.

    ``wards``, ``small_areas`` and ``estates`` drive the atoms; the context layers feed the
    measured keys (an absent layer is an empty frame). ``sources`` maps each layer to the file
    it came from; ``notes`` says what was missing or adjusted. ``user_geography`` is true when
    the wards or small areas are not the shipped ones; ``shipped_layers`` names the layers read
    from the shipped folder.
    """

    wards: gpd.GeoDataFrame
    small_areas: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame
    borough: gpd.GeoDataFrame = field(default_factory=empty_layer)
    wards_display: gpd.GeoDataFrame = field(default_factory=empty_layer)
    green_spaces: gpd.GeoDataFrame = field(default_factory=empty_layer)
    trees: gpd.GeoDataFrame = field(default_factory=empty_layer)
    roads: gpd.GeoDataFrame = field(default_factory=empty_layer)
    waste_points: gpd.GeoDataFrame = field(default_factory=empty_layer)
    buildings: gpd.GeoDataFrame = field(default_factory=empty_layer)
    nonresidential_land: gpd.GeoDataFrame = field(default_factory=empty_layer)
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    user_geography: bool = False
    shipped_layers: tuple[str, ...] = ()

    @property
    def missing_counts(self) -> tuple[str, ...]:
        """Census count columns the small areas lack (those keys fall back to area)."""
        return tuple(k for k in CENSUS_KEYS if k not in self.small_areas.columns)


def load_boundaries(
    directory: Path | str | None = None,
    *,
    wards: Path | str | None = None,
    small_areas: Path | str | None = None,
    estates: Path | str | None = None,
    layers: Mapping[str, Path | str | None] | None = None,
    shipped: Path | str = paths.BOUNDARIES_DIR,
) -> Boundaries:
    """Read and validate the boundary layers.

    Each layer comes from the first of: its own file (``wards``, ``small_areas``, ``estates``
    or ``layers[name]``), ``<directory>/<layer>.<suffix>``, the shipped Camden folder. The
    shipped folder supplies a context layer (borough, display wards, buildings, green spaces,
    trees, roads, waste points, non-residential land) only while the wards and small areas are
    the shipped ones too: with a council's own geography an absent context layer is empty, and
    the keys measured on it fall back to area (see :func:`missing_key_layers`).

    Parameters
    ----------
    directory : Path or str, optional
        A folder holding any subset of the layers as ``<layer>.parquet`` (or ``.gpkg``,
        ``.geojson``, …); what it holds replaces the shipped layer.
    wards, small_areas, estates : Path or str, optional
        A council's own file for that layer. User estates get ``source='user'``; user small
        areas may lack census counts (those keys then fall back to area, see
        :attr:`Boundaries.missing_counts`).
    layers : mapping, optional
        Layer name (a key of :data:`LAYERS`) -> a file for it.
    shipped : Path or str
        The shipped layers (Camden's).

    Returns
    -------
    Boundaries

    Raises
    ------
    BoundaryError
        Listing every problem found (file, feature, fix): an unknown layer name, missing or
        wrong CRS, invalid, empty or wrongly typed geometry, duplicated ids, missing columns,
        overlapping wards or estates, estates outside every ward or mostly (over half) outside
        the borough, an estate covering over half the borough.
    """
    shipped = Path(shipped)
    own = {"wards": wards, "small_areas": small_areas, "estates": estates}
    files, from_shipped, problems = layer_files(directory, layers, own=own, shipped=shipped)
    user_geography = not {"wards", "small_areas"} <= from_shipped
    frames: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, str] = {}
    left_empty = []
    for name, spec in LAYERS.items():
        path = files.get(name)
        if path is None:
            if spec.required:
                problems.append(f"{directory or shipped}: no '{name}' layer ({name}.parquet, "
                                f".gpkg or .geojson); add it or pass --{name.replace('_', '-')}")
            else:
                left_empty.append(name)
            frames[name] = empty_layer()
            continue
        sources[name] = str(path)
        frames[name] = _validate.read_layer(path, spec, problems)
    if not problems:
        _validate.check_wards(frames["wards"], sources["wards"], problems)
        _validate.check_estates(frames["estates"], frames["wards"], sources["estates"], problems)
    if problems:
        raise collected(BoundaryError, "Boundary files are not usable", problems)
    notes = []
    if user_geography and left_empty:
        notes.append("With your own wards or small areas the shipped Camden context layers are "
                     "not used; not given, so left empty: " + ", ".join(left_empty))
    elif left_empty:
        notes.append(f"no {', '.join(left_empty)} layer given: treated as empty")
    user_file = Path(sources["estates"]).name if "estates" not in from_shipped else None
    frames["estates"] = complete_estates(frames["estates"], frames["wards"], user_file,
                                         frames["nonresidential_land"])
    shipped_layers = tuple(n for n in LAYERS if n in sources and n in from_shipped)
    return Boundaries(**frames, sources=sources, notes=notes, user_geography=user_geography,
                      shipped_layers=shipped_layers)


def layer_files(
    directory: Path | str | None = None,
    layers: Mapping[str, Path | str | None] | None = None,
    *,
    own: Mapping[str, Path | str | None] | None = None,
    shipped: Path | str = paths.BOUNDARIES_DIR,
) -> tuple[dict[str, Path], set[str], list[str]]:
    """The file :func:`load_boundaries` reads for each layer (a layer without one is absent),
    the layers left to the shipped folder, and the problems found (an unknown layer name).

    A shipped context layer counts only while the wards and small areas are the shipped ones.
    """
    shipped = Path(shipped)
    given, from_shipped, problems = _resolve(directory, shipped, layers or {}, own or {})
    user_geography = not {"wards", "small_areas"} <= from_shipped
    files = dict(given)
    for name, spec in LAYERS.items():
        if name not in files and name in from_shipped and (spec.required or not user_geography):
            found = _find(shipped, name)
            if found is not None:
                files[name] = found
    return files, from_shipped, problems


def _resolve(directory, shipped: Path, layers: Mapping[str, Path | str | None],
             own: Mapping[str, Path | str | None]) -> tuple[dict[str, Path], set[str], list[str]]:
    """Each layer's file from the user (own option, else ``directory``), the layers left to
    the shipped folder, and the problems (an unknown layer name)."""
    problems = [f"no boundary layer is called '{name}'; the layers are {', '.join(LAYERS)}"
                for name in layers if name not in LAYERS]
    given = {n: Path(p) for source in (layers, own) for n, p in source.items()
             if p and n in LAYERS}
    folder = Path(directory) if directory is not None else None
    if folder is not None and folder.resolve() == shipped.resolve():
        folder = None
    for name in LAYERS:
        if name not in given and folder is not None:
            found = _find(folder, name)
            if found is not None:
                given[name] = found
    return given, set(LAYERS) - set(given), problems


def missing_key_layers(b: Boundaries) -> dict[str, str]:
    """Key -> the context layer it is measured on, for each layer with no file behind it (and
    no features): those keys weigh nothing anywhere, so their spend is shared by area."""
    return {key: layer for layer, key in LAYER_KEYS.items()
            if layer not in b.sources and not len(getattr(b, layer))}


def _find(directory: Path, name: str) -> Path | None:
    for suffix in SUFFIXES:
        path = directory / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def complete_estates(
    estates: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    user_file: str | None = None,
    nonresidential_land: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Fill the estate attributes a user file may lack (``source``, ``ward_codes``, …).

    Estates from ``user_file`` get ``source='user'`` unless they carry one of
    :data:`ESTATE_SOURCES` (as a layer saved by the estate editor does for the estates it left
    as they were) and, unless they carry one, a ``boundary_note`` naming the file.
    ``aliases`` default to those the name implies (see
    :func:`placespend.estate_names.name_aliases`); ``nonresidential_share`` is measured on
    ``nonresidential_land`` when given (NaN otherwise). Key estimates (``households_est``,
    ``council_households_est``) stay empty for user estates until
    :func:`placespend.atoms.estate_estimates` fills them.
    """
    est = estates.copy()
    given = est["source"] if "source" in est.columns else pd.Series(None, index=est.index)
    # a file saved by the estate editor says how each outline was made; anything else is the
    # user's own
    est["source"] = given.where(given.isin(ESTATE_SOURCES), "user").astype(str)
    est["ward_codes"] = ward_codes(est, wards)
    est["area_m2"] = est.area.round(1)
    for col in ("households_est", "council_households_est"):
        if col not in est.columns:
            est[col] = float("nan")
    note = f"Supplied by the user in {user_file or 'their estates file'}"
    if "boundary_note" not in est.columns:
        est["boundary_note"] = note
    est["boundary_note"] = est["boundary_note"].fillna(note).astype(str)
    if "osm_ref" not in est.columns:
        est["osm_ref"] = None
    if "aliases" not in est.columns:
        est["aliases"] = None
    implied = est["name"].astype(str).map(lambda n: estate_names.join(estate_names.name_aliases(n)))
    est["aliases"] = est["aliases"].where(est["aliases"].notna() & (est["aliases"] != ""),
                                          implied).astype(str)
    if nonresidential_land is not None and len(nonresidential_land):
        est["nonresidential_share"] = nonresidential_share(est, nonresidential_land).round(4)
    elif "nonresidential_share" not in est.columns:
        est["nonresidential_share"] = float("nan")
    est["estate_id"] = est["estate_id"].astype(str)
    return est


def ward_codes(
    gdf: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    min_share: float = 0.05,
    min_area_m2: float = 1_000.0,
) -> pd.Series:
    """``;``-joined codes of the wards each polygon overlaps meaningfully.

    A ward counts when it holds at least ``min_share`` of the polygon or ``min_area_m2``.
    """
    left = gpd.GeoDataFrame({"idx": gdf.index}, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    ov = gpd.overlay(left, wards[["ward_code", "geometry"]], how="intersection",
                     keep_geom_type=True)
    ov["a"] = ov.area
    ov["total"] = ov["idx"].map(gdf.area)
    ov = ov[(ov["a"] >= min_area_m2) | (ov["a"] >= min_share * ov["total"])]
    joined = ov.sort_values("ward_code").groupby("idx")["ward_code"].agg(";".join)
    return joined.reindex(gdf.index).fillna("")


def nonresidential_share(gdf: gpd.GeoDataFrame, land: gpd.GeoDataFrame) -> pd.Series:
    """Share of each polygon's area lying in ``land`` (railway, commercial, retail, campus,
    park or water), counting ground covered by several such polygons once.

    .. math:: s_e = |E_e \\cap \\bigcup_k L_k| \\,/\\, |E_e|
    """
    if not len(land) or not len(gdf):
        return pd.Series(0.0, index=gdf.index)
    union = land.geometry.union_all()
    inside = shapely.area(shapely.intersection(gdf.geometry.to_numpy(), union))
    area = gdf.area.to_numpy()
    return pd.Series(np.where(area > 0, inside / np.where(area > 0, area, 1.0), 0.0),
                     index=gdf.index)
