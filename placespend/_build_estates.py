"""Estate polygons for the shipped ``estates`` layer.

Two sources, never overlapping in the output:

1. OpenStreetMap residential areas named "… Estate" inside Camden (ODbL).
2. Census clusters: contiguous 2011 output areas where at least half of households rent from
   the council, minus what the OSM estates already cover, slivers dropped. These are a
   placespend derivation, not official estate boundaries, and say so in ``boundary_note``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placespend.boundaries import ward_codes

CRS = "EPSG:27700"
ESTATE_COLUMNS = [
    "estate_id", "name", "source", "ward_codes", "area_m2", "households_est",
    "council_households_est", "boundary_note", "osm_ref", "geometry",
]
PRECISION_M = 0.1  # OSM estates are snapped to this grid first; later differences are exact so
# that no slivers of overlap appear (snap-rounding a difference would shift shared edges)
MIN_COUNCIL_SHARE = 0.5
MIN_PART_M2 = 1_500.0  # parts of a cluster smaller than this are slivers
MIN_WIDTH_M = 8.0  # parts narrower than this everywhere are slivers
MAJOR_HIGHWAYS = ("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link")
NAMING_SKIP = r"towpath|underpass|tunnel"  # named ways that are not streets people live on
MIN_STREET_M = 20.0  # a street names a cluster only if this much of it lies inside
NEAR_STREET_M = 30.0  # a cluster whose own streets are taken looks this far out
MIN_ADJOIN_SHARE = 0.4  # share of a cluster's edge along one OSM estate to be named "by" it
OSM_NOTE = (
    "OpenStreetMap residential area named '{name}' ({osm_ref}; © OpenStreetMap contributors, "
    "ODbL), clipped to the borough"
)
CLUSTER_NOTE = (
    "Derived by placespend from 2011 Census output areas where at least half of households "
    "rent from the council; not an official estate boundary. Output areas {codes}; named after "
    "{named_after}. OSM-mapped estates and slivers removed"
)


def build_estates(
    landuse: gpd.GeoDataFrame,
    small_areas: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    borough: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """All estates (OSM and census clusters), key estimates left empty for the atoms step."""
    osm = osm_estates(landuse, borough)
    clusters = census_clusters(small_areas, osm)
    clusters = name_clusters(clusters, osm, roads, wards)
    est = pd.concat([osm, clusters], ignore_index=True)
    est = gpd.GeoDataFrame(est, geometry="geometry", crs=CRS)
    est["ward_codes"] = ward_codes(est, wards)
    est["area_m2"] = est.area.round(1)
    est["households_est"] = np.nan
    est["council_households_est"] = np.nan
    return est[ESTATE_COLUMNS]


def osm_estates(landuse: gpd.GeoDataFrame, borough: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """OSM residential polygons named "… Estate" in Camden, clipped, overlaps resolved."""
    named = landuse["name"].fillna("").str.strip().str.endswith("Estate")
    gdf = landuse[named & landuse["in_camden"].fillna(False).astype(bool)].copy()
    gdf["geometry"] = gdf.geometry.make_valid()  # estates are polygons; clip keeps polygons
    gdf = gpd.clip(gdf, borough.geometry.union_all(), keep_geom_type=True)
    gdf["geometry"] = snap(gdf.geometry.to_numpy())
    gdf["estate_id"] = "osm-" + gdf["osm_type"] + "-" + gdf["osm_ref"].astype(str)
    gdf["osm_ref"] = gdf["osm_type"] + "/" + gdf["osm_ref"].astype(str)
    gdf["source"] = "osm"
    gdf["boundary_note"] = [
        OSM_NOTE.format(name=n, osm_ref=r) for n, r in zip(gdf["name"], gdf["osm_ref"], strict=True)
    ]
    gdf = resolve_overlaps(gdf.reset_index(drop=True))
    return gdf[["estate_id", "name", "source", "boundary_note", "osm_ref", "geometry"]]


def snap(geoms: np.ndarray) -> np.ndarray:
    """Round coordinates to ``PRECISION_M`` and drop the precision model again.

    Shapely keeps a grid on the geometry after ``set_precision`` and snap-rounds every later
    overlay to it, which shifts shared edges; resetting to floating precision keeps later
    differences exact.
    """
    return shapely.set_precision(shapely.set_precision(geoms, PRECISION_M), 0.0)


def resolve_overlaps(gdf: gpd.GeoDataFrame, id_col: str = "estate_id") -> gpd.GeoDataFrame:
    """Make polygons disjoint: where two overlap, the smaller (more specific) one keeps the overlap.

    Each polygon loses the union of every smaller polygon it overlaps, so the result is a set
    of disjoint polygons whatever the nesting.
    """
    gdf = gdf.copy()
    rank = pd.Series(range(len(gdf)), index=gdf.assign(a=gdf.area).sort_values(["a", id_col]).index)
    gdf["_rank"] = rank.sort_index().to_numpy()
    pairs = gdf[["_rank", "geometry"]].sjoin(gdf[["_rank", "geometry"]], predicate="intersects")
    pairs = pairs[pairs["_rank_right"] < pairs["_rank_left"]]
    other = gdf.geometry.iloc[pairs["index_right"].to_numpy()].to_numpy()
    pairs = pairs[shapely.area(shapely.intersection(pairs.geometry.to_numpy(), other)) > 0]
    if len(pairs):
        cut = gdf.geometry.iloc[pairs["index_right"].to_numpy()].groupby(pairs.index.to_numpy())
        cut = cut.agg(lambda s: shapely.union_all(s.to_numpy()))
        idx = cut.index.to_numpy()
        gdf.loc[idx, "geometry"] = shapely.difference(gdf.geometry.loc[idx].to_numpy(),
                                                      cut.to_numpy())
        gdf.loc[idx, "boundary_note"] += "; overlap with a smaller estate removed"
    return gdf.drop(columns="_rank")


def census_clusters(small_areas: gpd.GeoDataFrame, osm: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Contiguous council-majority OAs, minus OSM estates, slivers dropped.

    Returns one row per cluster with ``estate_id`` (``cc-`` + lowest OA code), ``oa_codes``,
    ``full_geometry`` (before OSM estates were removed) and ``geometry``.
    """
    sa = small_areas
    share = sa["council_households"] / sa["households"].where(sa["households"] > 0)
    council = sa[share >= MIN_COUNCIL_SHARE][["area_code", "geometry"]]
    parts = gpd.GeoDataFrame(geometry=[council.geometry.union_all()], crs=CRS).explode(
        ignore_index=True)
    reps = gpd.GeoDataFrame(council[["area_code"]], geometry=council.representative_point(),
                            crs=CRS)
    member = reps.sjoin(parts, predicate="within")[["area_code", "index_right"]]
    codes = member.groupby("index_right")["area_code"].agg(lambda s: sorted(s))
    out = gpd.GeoDataFrame({"oa_codes": codes}, geometry=parts.geometry.loc[codes.index].to_numpy(),
                           crs=CRS)
    out["estate_id"] = "cc-" + out["oa_codes"].str[0]
    out["full_geometry"] = out.geometry
    out["geometry"] = shapely.difference(out.geometry.to_numpy(), osm.geometry.union_all())
    out["geometry"] = drop_slivers(out.geometry)
    return out[~out.geometry.is_empty].reset_index(drop=True)


def drop_slivers(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Remove polygon parts that are small or everywhere narrower than ``MIN_WIDTH_M``."""
    parts = geoms.explode(index_parts=False)
    parts = parts[parts.geom_type == "Polygon"]
    thick = ~parts.buffer(-MIN_WIDTH_M / 2).is_empty
    keep = parts[(parts.area >= MIN_PART_M2) & thick]
    merged = keep.groupby(level=0).agg(lambda s: shapely.union_all(s.to_numpy()))
    return gpd.GeoSeries(merged.reindex(geoms.index), crs=CRS).fillna(shapely.Polygon())


def name_clusters(
    clusters: gpd.GeoDataFrame,
    osm: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Name each cluster after its main street and the OSM estate it mainly adjoins; unique.

    ``"<street> (census cluster)"``, or ``"<street>, by <OSM estate> (census cluster)"`` when
    the cluster held exactly one OSM estate before it was cut out, or shares at least
    ``MIN_ADJOIN_SHARE`` of its edge with one. The main street is the named street with the
    longest length inside the cluster (major through roads only when there is nothing else);
    when two clusters would share a name, the one with less of that street takes its next
    street; remaining clashes get the ward name.
    """
    clusters = clusters.copy()
    inside = street_candidates(clusters, roads).assign(near=False)
    # OA edges often run down the middle of a street: streets just outside come next
    near = street_candidates(clusters.set_geometry(clusters.buffer(NEAR_STREET_M)), roads)
    candidates = pd.concat([inside, near.assign(near=True)], ignore_index=True)
    candidates = candidates.sort_values(["idx", "near", "major", "len", "name"],
                                        ascending=[True, True, True, False, True])
    street = pick_unique(candidates, clusters.index)
    estate = adjoining_estate(clusters, osm)
    by = estate.map(lambda n: f", by {n}" if isinstance(n, str) else "")
    base = street.fillna(estate).fillna("Unnamed area")
    clusters["main_ward"] = main_ward(clusters, wards)
    names = base + by.where(street.notna(), "") + " (census cluster)"
    clusters["name"] = unique_names(names, clusters["main_ward"])
    clusters["source"] = "census_cluster"
    clusters["osm_ref"] = None
    named_after = np.where(street.notna(), "its main street, " + street.fillna(""),
                           "the OSM estate it adjoins")
    clusters["boundary_note"] = [
        CLUSTER_NOTE.format(codes=", ".join(c), named_after=a)
        for c, a in zip(clusters["oa_codes"], named_after, strict=True)
    ]
    return clusters[["estate_id", "name", "source", "boundary_note", "osm_ref", "geometry"]]


def street_candidates(clusters: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Named streets inside each cluster: ``idx``, ``name``, ``len``, best first."""
    named = roads[roads["name"].notna() & ~roads["name"].str.contains(NAMING_SKIP, case=False)]
    pairs = named[["name", "highway", "geometry"]].sjoin(clusters[["geometry"]],
                                                          predicate="intersects")
    geoms = clusters.geometry.loc[pairs["index_right"]].to_numpy()
    pairs["len"] = shapely.length(shapely.intersection(pairs.geometry.to_numpy(), geoms))
    pairs["major"] = pairs["highway"].isin(MAJOR_HIGHWAYS)
    by = pairs.groupby(["index_right", "name"]).agg(len=("len", "sum"), major=("major", "all"))
    by = by[by["len"] >= MIN_STREET_M].reset_index().rename(columns={"index_right": "idx"})
    return by.sort_values(["idx", "major", "len", "name"], ascending=[True, True, False, True])


def pick_unique(candidates: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Each cluster's best street, the longer holder keeping a contested name."""
    chosen = pd.Series(np.nan, index=index, dtype=object)
    pool = candidates
    while len(pool):
        best = pool.drop_duplicates("idx")
        winners = best.sort_values("len", ascending=False).drop_duplicates("name")
        chosen.loc[winners["idx"]] = winners["name"].to_numpy()
        taken = set(chosen.dropna())
        pool = pool[~pool["idx"].isin(winners["idx"]) & ~pool["name"].isin(taken)]
    return chosen


def adjoining_estate(clusters: gpd.GeoDataFrame, osm: gpd.GeoDataFrame) -> pd.Series:
    """The OSM estate a cluster mainly adjoins or held (NaN if none does so clearly)."""
    edges = gpd.GeoDataFrame(geometry=clusters.boundary, crs=CRS)
    grown = osm[["name", "geometry"]].set_geometry(osm.buffer(1.0))
    pairs = edges.sjoin(grown, predicate="intersects")
    pairs["len"] = shapely.length(shapely.intersection(
        pairs.geometry.to_numpy(), grown.geometry.loc[pairs["index_right"]].to_numpy()))
    pairs["share"] = pairs["len"] / edges.length.loc[pairs.index]
    best = pairs.sort_values("len").reset_index().drop_duplicates("index", keep="last")
    adjoins = best[best["share"] >= MIN_ADJOIN_SHARE].set_index("index")["name"]
    held = _held_estate(clusters, osm)
    return held.fillna(adjoins.reindex(clusters.index))


def _held_estate(clusters: gpd.GeoDataFrame, osm: gpd.GeoDataFrame) -> pd.Series:
    """The OSM estate inside a cluster's full footprint, where there is exactly one."""
    reps = gpd.GeoDataFrame(osm[["name"]], geometry=osm.representative_point(), crs=CRS)
    full = clusters.set_geometry("full_geometry")[["full_geometry"]]
    inside = reps.sjoin(full, predicate="within")
    single = inside.groupby("index_right")["name"].agg(lambda s: s.iloc[0] if len(s) == 1 else None)
    return single.reindex(clusters.index)


def main_ward(gdf: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """Name of the ward holding most of each polygon."""
    share = _ward_overlaps(gdf, wards)
    best = share.sort_values("a").drop_duplicates("idx", keep="last").set_index("idx")
    return best["ward_name"].reindex(gdf.index)


def _ward_overlaps(gdf: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    left = gpd.GeoDataFrame({"idx": gdf.index}, geometry=gdf.geometry.to_numpy(), crs=CRS)
    pieces = gpd.overlay(left, wards[["ward_code", "ward_name", "geometry"]],
                         how="intersection", keep_geom_type=True)
    pieces["a"] = pieces.area
    return pd.DataFrame(pieces.drop(columns="geometry"))


def unique_names(names: pd.Series, wards: pd.Series) -> pd.Series:
    """Disambiguate repeated names with the ward name, then a number."""
    dup = names.duplicated(keep=False)
    out = names.where(~dup, names.str.replace(r"\)$", "", regex=True) + ", " + wards + ")")
    again = out.duplicated(keep=False)
    counter = out.groupby(out).cumcount() + 1
    return out.where(~again, out + " " + counter.astype(str))
