"""Build the shipped ``boundaries/*.parquet`` layers from the real source data.

Private plumbing behind ``scripts/build_boundaries.py``: only this module (run by that script)
reads the shared source folder; the package at run time reads ``boundaries/`` only.
Estate polygons are built in :mod:`placespend._build_estates`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placespend import _build_estates, paths
from placespend._boundaries_readme import write_readme
from placespend.atoms import build_atoms, estate_estimates
from placespend.boundaries import Boundaries
from placespend.errors import BoundaryError
from placespend.layers import CRS

PRECISION_M = _build_estates.PRECISION_M
SIMPLIFY_CONTEXT_M = 0.5
MIN_DERIVED_COUNCIL = 10.0  # derived estates estimated to hold fewer council households are dropped

SOURCE = {
    "oa": "camden_census2011_cdrc/shapefiles/Camden_oa11.shp",
    "tables": "camden_census2011_cdrc/tables",
    "wards": "camden_wards_2022/camden_wards_2022_bsc.geojson",
    "borough": "camden_osm_2021/camden_borough_boundary_osm.geojson",
    "landuse": "camden_osm_2021/camden_landuse_residential_osm.geojson",
    "buildings": "camden_osm_2021/camden_buildings_osm.geojson",
    "green": "camden_osm_2021/camden_green_spaces_osm.geojson",
    "trees": "camden_osm_2021/camden_trees_osm.geojson",
    "waste": "camden_osm_2021/camden_street_furniture_waste_osm.geojson",
    "highways": "camden_osm_2021/camden_highways_osm.geojson",
    "osm_pbf": "camden_osm_2021/camden.osm.pbf",
}

# census column -> (table, variables summed)
CENSUS_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "households": ("KS105EW", ("KS105EW0001",)),
    "council_households": ("KS402EW", ("KS402EW0005",)),
    "residents": ("KS101EW", ("KS101EW0001",)),
    "children_0_4": ("KS102EW", ("KS102EW0002",)),
    "residents_65_plus": ("KS102EW", tuple(f"KS102EW00{i}" for i in range(14, 18))),
    "dwellings": ("KS401EW", ("KS401EW0001",)),
}
EXPECTED_TOTALS = {"residents": 220_338, "households": 97_534, "council_households": 22_473}

RESIDENTIAL_BUILDING_TAGS = (
    "residential", "apartments", "house", "terrace", "detached", "semidetached_house",
    "flats", "dormitory", "bungalow",
)
WASTE_AMENITIES = ("waste_basket", "recycling", "waste_disposal")
BUILDING_COLUMNS = ["building", "footprint_m2", "geometry"]  # what the shipped layer keeps
CAMPUS_AMENITIES = ("university", "college")


@dataclass
class BuildSummary:
    """What one build produced, for the printed summary and the README."""

    counts: dict[str, int] = field(default_factory=dict)
    sizes_kb: dict[str, float] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)
    estates: pd.DataFrame | None = None
    seconds: float = 0.0
    atom_seconds: float = 0.0


def build(source: Path, out: Path = paths.BOUNDARIES_DIR) -> BuildSummary:
    """Build every shipped layer from ``source`` and write them to ``out``.

    Parameters
    ----------
    source : Path
        The shared source-data folder (see its README).
    out : Path
        Destination folder for ``*.parquet`` and ``README.md``.

    Returns
    -------
    BuildSummary
    """
    start = time.perf_counter()
    layers = build_layers(Path(source))
    summary = BuildSummary()
    atoms_start = time.perf_counter()
    layers["estates"] = _finish_estates(layers)
    summary.atom_seconds = time.perf_counter() - atoms_start
    out.mkdir(parents=True, exist_ok=True)
    for name, gdf in layers.items():
        target = out / f"{name}.parquet"
        gdf.to_parquet(target, index=False, compression="zstd")
        summary.counts[name] = len(gdf)
        summary.sizes_kb[name] = target.stat().st_size / 1024
    summary.totals = {c: float(layers["small_areas"][c].sum()) for c in CENSUS_COLUMNS}
    summary.estates = layers["estates"].drop(columns="geometry")
    summary.seconds = time.perf_counter() - start
    write_readme(out / "README.md", summary)
    return summary


def build_layers(source: Path) -> dict[str, gpd.GeoDataFrame]:
    """Read the sources and derive every layer (estates without their key totals yet)."""
    borough = read_borough(source)
    wards_display = read_wards_display(source)
    small_areas = _round(read_small_areas(source))
    small_areas["ward_code"] = assign_wards(small_areas, wards_display)
    wards = dissolve_wards(small_areas, wards_display)
    landuse = _read(source, "landuse")
    roads = read_roads(source, borough)
    buildings = _round(read_buildings(source, borough, landuse))
    nonresidential = _round(read_nonresidential(source, borough))
    estates = _build_estates.build_estates(landuse, small_areas, wards, roads, borough,
                                           buildings, nonresidential)
    layers = {
        "borough": borough,
        "wards_display": wards_display,
        "wards": wards,
        "small_areas": small_areas,
        "estates": estates,
        "green_spaces": read_green_spaces(source, borough),
        "trees": read_points(source, "trees", borough, ["species"]),
        "roads": roads,
        "waste_points": read_waste_points(source, borough),
        "buildings": buildings[BUILDING_COLUMNS],
        "nonresidential_land": nonresidential,
    }
    # estates are already on the grid where it is safe (see _build_estates.PRECISION_M)
    return {name: gdf if name == "estates" else _round(gdf) for name, gdf in layers.items()}


def _finish_estates(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Fill the estates' key estimates with the same atoms code the engine uses."""
    b = Boundaries(**layers)
    est = estate_estimates(b, build_atoms(b))
    est["area_m2"] = est.area.round(1)
    # a derived estate left with (almost) no council homes once its outline is cut is a
    # remnant, not housing; dropping it leaves every other estate's atoms unchanged
    few = est["council_households_est"] < MIN_DERIVED_COUNCIL
    remnant = (est["source"] == "derived_from_blocks") & few
    est = est[~remnant].reset_index(drop=True)
    return gpd.GeoDataFrame(est[_build_estates.ESTATE_COLUMNS], geometry="geometry", crs=CRS)


def _read(source: Path, key: str, columns: list[str] | None = None,
          layer: str | None = None) -> gpd.GeoDataFrame:
    path = source / SOURCE[key]
    if not path.exists():
        msg = f"{path}: source file not found; pass --source pointing at the shared data folder"
        raise BoundaryError(msg)
    gdf = gpd.read_file(path, columns=columns, layer=layer)
    if gdf.crs is None or key == "oa":
        # the CDRC .prj is an unnamed OSGB36 Transverse Mercator: British National Grid
        gdf = gdf.set_crs(CRS, allow_override=True)
    return gdf.to_crs(CRS)


def read_borough(source: Path) -> gpd.GeoDataFrame:
    """The borough outline (OSM relation 51827)."""
    gdf = _read(source, "borough", ["name"])
    gdf["borough_code"] = "E09000007"
    gdf["borough_name"] = "Camden"
    return gdf[["borough_code", "borough_name", "geometry"]]


def read_wards_display(source: Path) -> gpd.GeoDataFrame:
    """ONS BSC 2022 wards, reprojected (generalised: for maps)."""
    gdf = _read(source, "wards", ["WD22CD", "WD22NM"])
    gdf = gdf.rename(columns={"WD22CD": "ward_code", "WD22NM": "ward_name"})
    gdf["geometry"] = polygonal(gdf.geometry)
    return gdf.sort_values("ward_code", ignore_index=True)[["ward_code", "ward_name", "geometry"]]


def read_small_areas(source: Path) -> gpd.GeoDataFrame:
    """The 749 output areas with their census counts."""
    gdf = _read(source, "oa").rename(columns={"OA11CD": "area_code"})
    counts = read_census(source / SOURCE["tables"])
    gdf = gdf.merge(counts, left_on="area_code", right_index=True, how="left", validate="1:1")
    missing = gdf["households"].isna()
    if missing.any():
        example = gdf.area_code[missing].iloc[0]
        msg = f"census tables lack {missing.sum()} output areas, e.g. {example}"
        raise BoundaryError(msg)
    for col, expected in EXPECTED_TOTALS.items():
        if int(gdf[col].sum()) != expected:
            msg = f"census check failed: {col} sums to {gdf[col].sum():,}, expected {expected:,}"
            raise BoundaryError(msg)
    return gdf.sort_values("area_code", ignore_index=True)


def read_census(tables: Path) -> pd.DataFrame:
    """One row per OA, one integer column per census count (see ``CENSUS_COLUMNS``)."""
    out = {}
    for col, (table, variables) in CENSUS_COLUMNS.items():
        df = pd.read_csv(tables / f"{table}_oa11.csv", usecols=["GeographyCode", *variables])
        out[col] = df.set_index("GeographyCode")[list(variables)].sum(axis=1).astype("int64")
    return pd.DataFrame(out)


def assign_wards(small_areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """Each OA's ward: the one it overlaps most, else (orphans) the nearest."""
    pieces = gpd.overlay(small_areas[["area_code", "geometry"]], wards[["ward_code", "geometry"]],
                         how="intersection", keep_geom_type=True)
    pieces["a"] = pieces.area
    best = pieces.sort_values("a").drop_duplicates("area_code", keep="last")
    code = small_areas["area_code"].map(best.set_index("area_code")["ward_code"])
    orphans = small_areas[code.isna()]
    if len(orphans):
        near = gpd.sjoin_nearest(orphans[["area_code", "geometry"]],
                                 wards[["ward_code", "geometry"]])
        near = near.drop_duplicates("area_code").set_index("area_code")["ward_code"]
        code = code.fillna(small_areas["area_code"].map(near))
    return code


def dissolve_wards(small_areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """OA-aligned analysis wards: the union of each ward's OAs."""
    out = small_areas[["ward_code", "geometry"]].dissolve("ward_code").reset_index()
    out["ward_name"] = out["ward_code"].map(wards.set_index("ward_code")["ward_name"])
    return out[["ward_code", "ward_name", "geometry"]]


def _clip(gdf: gpd.GeoDataFrame, borough: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.clip(gdf, borough.geometry.union_all(), keep_geom_type=True).reset_index(drop=True)


def read_green_spaces(source: Path, borough: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Parks, gardens, playgrounds, … clipped to Camden; ``kind`` is the leisure or landuse tag."""
    gdf = _read(source, "green", ["name", "leisure", "landuse"])
    gdf["kind"] = gdf["leisure"].fillna(gdf["landuse"]).fillna("green")
    gdf["geometry"] = polygonal(gdf.geometry.simplify(SIMPLIFY_CONTEXT_M))
    gdf = _clip(gdf, borough)
    gdf["area_m2"] = gdf.area.round(1)
    return gdf[gdf.area_m2 > 0][["name", "kind", "area_m2", "geometry"]].reset_index(drop=True)


def read_points(source: Path, key: str, borough: gpd.GeoDataFrame, cols: list[str]):
    """Point layers inside the borough."""
    gdf = _read(source, key, cols)
    inside = gdf.within(borough.geometry.union_all())
    return gdf[inside][[*cols, "geometry"]].reset_index(drop=True)


def read_waste_points(source: Path, borough: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Litter bins, recycling and waste-disposal points inside the borough."""
    gdf = read_points(source, "waste", borough, ["amenity"])
    return gdf[gdf["amenity"].isin(WASTE_AMENITIES)].reset_index(drop=True)


def read_roads(source: Path, borough: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Highway centre lines clipped to the borough, every class (the key filters vehicular)."""
    gdf = _read(source, "highways", ["name", "highway"])
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_CONTEXT_M)
    gdf = _clip(gdf, borough)
    gdf["length_m"] = gdf.length.round(1)
    return gdf[gdf.length_m > 0][["name", "highway", "length_m", "geometry"]].reset_index(drop=True)


def read_buildings(source: Path, borough: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame):
    """Residential footprints: residential tags, plus ``yes`` inside residential landuse.

    Keeps ``osm_type``, ``osm_ref`` and ``addr_street`` for deriving estates; the shipped layer
    keeps :data:`BUILDING_COLUMNS`.
    """
    gdf = _read(source, "buildings", ["osm_type", "osm_ref", "building", "addr_street"])
    tagged = gdf["building"].isin(RESIDENTIAL_BUILDING_TAGS)
    rep = gpd.GeoDataFrame(geometry=gdf.representative_point(), crs=CRS)
    in_landuse = rep.sjoin(landuse[["geometry"]], predicate="within").index.unique()
    generic = (gdf["building"] == "yes") & gdf.index.isin(in_landuse)
    gdf = gdf[tagged | generic].copy()
    gdf["geometry"] = polygonal(gdf.geometry)
    gdf = _clip(gdf, borough)
    gdf["footprint_m2"] = gdf.area.round(1)
    gdf = gdf[gdf.footprint_m2 > 0]
    cols = ["osm_type", "osm_ref", "addr_street", *BUILDING_COLUMNS]
    return gdf.sort_values(["osm_type", "osm_ref"])[cols].reset_index(drop=True)


def nonresidential_kind(gdf: pd.DataFrame) -> pd.Series:
    """The kind of land an estate must not take, per OSM multipolygon (None for others).

    Water (``natural=water``, any ``water=*`` or ``waterway=*``) wins over park, park over
    campus (``amenity`` university or college), campus over ``landuse`` railway, commercial
    and retail.
    """
    tags = gdf["other_tags"].fillna("")
    kind = pd.Series(None, index=gdf.index, dtype=object)
    landuse = gdf["landuse"].where(gdf["landuse"].isin(["railway", "commercial", "retail"]))
    kind = kind.fillna(landuse)
    kind[gdf["amenity"].isin(CAMPUS_AMENITIES)] = "campus"
    kind[gdf["leisure"] == "park"] = "park"
    water = (gdf["natural"] == "water") | tags.str.contains('"water"=>|"waterway"=>')
    kind[water] = "water"
    return kind


def read_nonresidential(source: Path, borough: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Railway, commercial, retail, campus, park and water land from the raw OSM extract,
    dissolved per ``kind`` and clipped to the borough (``area_m2`` per kind)."""
    gdf = _read(source, "osm_pbf", ["landuse", "amenity", "leisure", "natural", "other_tags"],
                layer="multipolygons")
    gdf["kind"] = nonresidential_kind(gdf)
    gdf = gdf[gdf["kind"].notna()].copy()
    gdf["geometry"] = polygonal(gdf.geometry.simplify(SIMPLIFY_CONTEXT_M))
    gdf = gdf[["kind", "geometry"]].dissolve("kind").reset_index()
    gdf = _clip(gdf, borough)
    gdf["area_m2"] = gdf.area.round(1)
    return gdf.sort_values("kind", ignore_index=True)[["kind", "area_m2", "geometry"]]


def polygonal(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Repair geometries and keep only their polygonal parts (``make_valid`` can add lines)."""
    geoms = geoms.make_valid()
    mixed = geoms.geom_type == "GeometryCollection"
    if mixed.any():
        parts = geoms[mixed].explode(index_parts=False)
        parts = parts[parts.geom_type.isin(["Polygon", "MultiPolygon"])]
        geoms = geoms.copy()
        geoms[mixed] = parts.groupby(level=0).agg(lambda p: shapely.union_all(p.to_numpy()))
    return geoms


def _round(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Snap coordinates to 0.1 m (keeps files small; valid output guaranteed by GEOS)."""
    gdf = gdf.copy()
    geoms = _build_estates.snap(gdf.geometry.to_numpy())
    gdf["geometry"] = geoms
    keep = ~shapely.is_empty(np.asarray(geoms))
    return gdf[keep].reset_index(drop=True)


def format_summary(summary: BuildSummary) -> str:
    """A few lines for the terminal: layers, census totals, estates, timing."""
    lines = [f"Built boundaries in {summary.seconds:.1f} s (atoms {summary.atom_seconds:.1f} s):"]
    lines += [f"  {name:<14} {n:>6,} features  {summary.sizes_kb[name]:>7,.0f} KB"
              for name, n in summary.counts.items()]
    lines.append(f"  total size {sum(summary.sizes_kb.values()) / 1024:.1f} MB")
    totals = ", ".join(f"{k} {v:,.0f}" for k, v in summary.totals.items())
    lines.append("  census totals: " + totals)
    est = summary.estates
    if est is not None:
        by = est["source"].value_counts().to_dict()
        lines.append(f"  estates: {len(est)} ({by.get('osm', 0)} OSM, "
                     f"{by.get('derived_from_blocks', 0)} derived from blocks)")
        top = est.sort_values("council_households_est", ascending=False).head(8)
        lines += [f"    {r.name:<58} {r.council_households_est:>7,.0f} council households"
                  for r in top.itertuples()]
        hil = est[est["aliases"].str.contains("Hilgrove")]
        lines.append("  Hilgrove: " + ("; ".join(hil["name"]) if len(hil) else "NOT FOUND"))
    return "\n".join(lines)
