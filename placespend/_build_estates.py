"""Estate polygons for the shipped ``estates`` layer.

Two sources, never overlapping in the output:

1. OpenStreetMap residential areas named "… Estate" inside Camden (ODbL), kept as mapped
   (only land an estate must not take, such as a park or railway, is cut out of one that would
   otherwise hold more than ``MAX_NONRESIDENTIAL_SHARE`` of it).
2. Estates derived from homes (:mod:`placespend._derive_estates`): groups of residential blocks
   where census counts say council renting dominates, outlined by the residential land around
   them. These are a placespend derivation, not official estate boundaries, and say so in
   ``boundary_note``.

Every estate carries ``aliases`` (the names people search for, see
:mod:`placespend.estate_names`) and ``nonresidential_share`` (the share of its area in
railway, commercial, retail, campus, park or water land).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placespend import _derive_estates, estate_names
from placespend._derive_estates import snap
from placespend.boundaries import nonresidential_share, ward_codes
from placespend.layers import CRS

ESTATE_COLUMNS = [
    "estate_id", "name", "source", "aliases", "ward_codes", "area_m2", "households_est",
    "council_households_est", "nonresidential_share", "boundary_note", "osm_ref", "geometry",
]
PRECISION_M = _derive_estates.PRECISION_M
MAX_NONRESIDENTIAL_SHARE = 0.10
MAJOR_HIGHWAYS = ("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link")
NAMING_SKIP = r"towpath|underpass|tunnel"  # named ways that are not streets people live on
MIN_STREET_M = 20.0  # a street names an estate only if this much of it lies inside
NEAR_STREET_M = 30.0  # an estate whose own streets are taken looks this far out
MIN_ADJOIN_SHARE = 0.4  # share of an estate's edge along one OSM estate to be named "by" it
MAX_STREETS = 6  # streets kept as aliases
OSM_NOTE = (
    "OpenStreetMap residential area named '{name}' ({osm_ref}; © OpenStreetMap contributors, "
    "ODbL), clipped to the borough"
)
OSM_TRIMMED = "; its {kinds} land cut out (it held {share:.0%} of the area)"


def build_estates(
    landuse: gpd.GeoDataFrame,
    small_areas: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    borough: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    nonresidential: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """All estates (OSM and derived from blocks), key estimates left empty for the atoms step.

    ``buildings`` are the residential footprints with their OSM ids and ``addr_street``;
    ``nonresidential`` the land an estate must not take, with ``kind``.
    """
    osm = osm_estates(landuse, borough, nonresidential, roads)
    derived = _derive_estates.derive_estates(buildings, small_areas, landuse, nonresidential,
                                             roads, osm)
    derived = name_derived(derived, osm, roads, wards)
    est = pd.concat([osm, derived], ignore_index=True)
    est = gpd.GeoDataFrame(est, geometry="geometry", crs=CRS)
    est["ward_codes"] = ward_codes(est, wards)
    est["area_m2"] = est.area.round(1)
    est["households_est"] = np.nan
    est["council_households_est"] = np.nan
    est["nonresidential_share"] = nonresidential_share(est, nonresidential).round(4)
    return est[ESTATE_COLUMNS]


def osm_estates(
    landuse: gpd.GeoDataFrame,
    borough: gpd.GeoDataFrame,
    nonresidential: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """OSM residential polygons named "… Estate" in Camden, clipped, overlaps resolved.

    One holding more than ``MAX_NONRESIDENTIAL_SHARE`` of non-residential land loses that land
    (its note says which kinds).
    """
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
    gdf = resolve_overlaps(gdf.sort_values("estate_id").reset_index(drop=True))
    gdf = trim_nonresidential(gdf, nonresidential)
    streets = street_lists(street_candidates(gdf, roads), gdf.index)
    gdf["aliases"] = [estate_names.join([*estate_names.name_aliases(n), *s])
                      for n, s in zip(gdf["name"], streets, strict=True)]
    return gdf[["estate_id", "name", "source", "aliases", "boundary_note", "osm_ref", "geometry"]]


def trim_nonresidential(gdf: gpd.GeoDataFrame, land: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cut non-residential land out of the estates holding more than the limit of it."""
    gdf = gdf.copy()
    share = nonresidential_share(gdf, land)
    for i in gdf.index[share > MAX_NONRESIDENTIAL_SHARE]:
        geom = gdf.geometry.loc[i]
        hit = land[land.intersects(geom)]
        kinds = ", ".join(sorted(set(hit["kind"])))
        gdf.loc[i, "geometry"] = geom.difference(hit.geometry.union_all())
        gdf.loc[i, "boundary_note"] += OSM_TRIMMED.format(kinds=kinds, share=share.loc[i])
    return gdf


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


def name_derived(
    derived: gpd.GeoDataFrame,
    osm: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Name each derived estate after its main street and the OSM estate it adjoins; unique.

    ``"<street> (derived)"``, or ``"<street>, by <OSM estate> (derived)"`` when it shares at
    least ``MIN_ADJOIN_SHARE`` of its edge with one OSM estate. The main street is the named
    street with the longest length inside (major through roads only when there is nothing
    else); when two estates would share a name, the one with less of that street takes its next
    street; remaining clashes get the ward name. Also sets ``aliases`` (the name's own, then
    the streets it sits on) and ``boundary_note``.
    """
    derived = derived.copy()
    inside = street_candidates(derived, roads).assign(near=False)
    # outlines stop short of main roads: streets just outside come next
    near = street_candidates(derived.set_geometry(derived.buffer(NEAR_STREET_M)), roads)
    candidates = pd.concat([inside, near.assign(near=True)], ignore_index=True)
    candidates = candidates.sort_values(["idx", "near", "major", "len", "name"],
                                        ascending=[True, True, True, False, True])
    street = pick_unique(candidates, derived.index)
    estate = adjoining_estate(derived, osm)
    by = estate.map(lambda n: f", by {n}" if isinstance(n, str) else "")
    base = street.fillna(estate).fillna("Unnamed area")
    names = base + by.where(street.notna(), "") + estate_names.DERIVED_SUFFIX
    derived["name"] = unique_names(names, main_ward(derived, wards))
    derived["source"] = "derived_from_blocks"
    derived["osm_ref"] = None
    streets = street_lists(candidates, derived.index)
    # a derived estate has no name but its streets': each street also gives "<stem> Estate"
    derived["aliases"] = [
        estate_names.join([*estate_names.name_aliases(n),
                           *(a for street in s for a in estate_names.name_aliases(street))])
        for n, s in zip(derived["name"], streets, strict=True)
    ]
    named_after = np.where(street.notna(), "its main street, " + street.fillna(""),
                           "the OSM estate it adjoins")
    derived["boundary_note"] = [
        _derive_estates.derived_note(r, a)
        for r, a in zip(derived.itertuples(), named_after, strict=True)
    ]
    return derived[["estate_id", "name", "source", "aliases", "boundary_note", "osm_ref",
                    "geometry"]]


def street_lists(candidates: pd.DataFrame, index: pd.Index) -> list[list[str]]:
    """Each estate's streets, inside first then near, longest first (at most ``MAX_STREETS``)."""
    by = candidates.groupby("idx")["name"].agg(lambda s: list(dict.fromkeys(s))[:MAX_STREETS])
    return [by.get(i, []) for i in index]


def street_candidates(estates: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Named streets inside each estate: ``idx``, ``name``, ``len``, best first."""
    named = roads[roads["name"].notna() & ~roads["name"].str.contains(NAMING_SKIP, case=False)]
    pairs = named[["name", "highway", "geometry"]].sjoin(estates[["geometry"]],
                                                          predicate="intersects")
    geoms = estates.geometry.loc[pairs["index_right"]].to_numpy()
    pairs["len"] = shapely.length(shapely.intersection(pairs.geometry.to_numpy(), geoms))
    pairs["major"] = pairs["highway"].isin(MAJOR_HIGHWAYS)
    by = pairs.groupby(["index_right", "name"]).agg(len=("len", "sum"), major=("major", "all"))
    by = by[by["len"] >= MIN_STREET_M].reset_index().rename(columns={"index_right": "idx"})
    return by.sort_values(["idx", "major", "len", "name"], ascending=[True, True, False, True])


def pick_unique(candidates: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Each estate's best street, the longer holder keeping a contested name."""
    chosen = pd.Series(np.nan, index=index, dtype=object)
    pool = candidates
    while len(pool):
        best = pool.drop_duplicates("idx")
        winners = best.sort_values("len", ascending=False).drop_duplicates("name")
        chosen.loc[winners["idx"]] = winners["name"].to_numpy()
        taken = set(chosen.dropna())
        pool = pool[~pool["idx"].isin(winners["idx"]) & ~pool["name"].isin(taken)]
    return chosen


def adjoining_estate(estates: gpd.GeoDataFrame, osm: gpd.GeoDataFrame) -> pd.Series:
    """The OSM estate an estate mainly adjoins (NaN if none does so clearly)."""
    edges = gpd.GeoDataFrame(geometry=estates.boundary, crs=CRS)
    grown = osm[["name", "geometry"]].set_geometry(osm.buffer(1.0))
    pairs = edges.sjoin(grown, predicate="intersects")
    pairs["len"] = shapely.length(shapely.intersection(
        pairs.geometry.to_numpy(), grown.geometry.loc[pairs["index_right"]].to_numpy()))
    pairs["share"] = pairs["len"] / edges.length.loc[pairs.index]
    best = pairs.sort_values("len").reset_index().drop_duplicates("index", keep="last")
    adjoins = best[best["share"] >= MIN_ADJOIN_SHARE].set_index("index")["name"]
    return adjoins.reindex(estates.index)


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
