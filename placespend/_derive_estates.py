"""Estates derived from homes: groups of residential blocks where council renting dominates.

Private plumbing behind :func:`placespend._build_estates.build_estates` (maintainers' build
only). The steps, each a function below:

1. **Blocks**: residential building footprints (OSM) outside every OSM estate and outside
   railway, campus, park and water land (homes over shops in retail or commercial land count),
   each carrying its 2011 output area's council-renting share
   (``council_households / households``).
2. **Groups**: blocks in output areas with at least ``GROW_SHARE`` council renting, linked when
   they stand within ``ADJACENT_M`` of each other, or within ``SAME_STREET_M`` on the same
   addressed street, never across a through road (``SPLITTING_ROADS``). A group is kept when
   it holds a block in an output area where council renting is well above the borough's 23%
   (``SEED_SHARE``), or when its blocks' footprint-weighted share is at least ``GROUP_SHARE``.
3. **Outlines**: the land within ``PAD_M`` of the group's blocks, plus the residential land use
   closing the gaps between them (courtyards, paths, estate greens), minus non-residential land
   (but for the group's own footprints), OSM estates, main-road carriageways and every home
   outside the group. An estate that would still hold more than ``MAX_NONRESIDENTIAL_SHARE``
   of non-residential land gives up all of it. The output area's edge
   is never used.

The result is a placespend derivation, not an official boundary; each estate says so in its
``boundary_note``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from placespend.boundaries import nonresidential_share
from placespend.layers import CRS

PRECISION_M = 0.1  # outlines are snapped to this grid before the exact cuts, so that no slivers
# of overlap appear (snap-rounding a difference would shift shared edges)
SEED_SHARE = 0.25  # a group needs a block where this share of households rent from the council
GROW_SHARE = 0.08  # blocks in output areas with less council renting than this never join a group
GROUP_SHARE = 0.15  # ... or, on average over its footprint, at least this share
ADJACENT_M = 30.0  # blocks this close belong together (across a courtyard or an estate path)
SAME_STREET_M = 60.0  # blocks addressed on the same street join across this gap
PAD_M = 10.0  # land this close to a block is the block's own (paths, bins, gardens)
CLOSE_M = 25.0  # gaps narrower than twice this between blocks are closed inside residential land
MAIN_ROAD_HALF_WIDTH_M = 6.0  # a main road's carriageway, either side of its centre line
MAIN_ROADS = ("motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link",
              "primary_link", "secondary_link")
SPLITTING_ROADS = (*MAIN_ROADS, "tertiary", "tertiary_link")  # groups never link across these
HOMES_OVER_SHOPS = ("retail", "commercial")  # land where homes stand over shops and offices
MAX_NONRESIDENTIAL_SHARE = 0.10
MIN_PART_M2 = 200.0  # outline parts smaller than this are slivers
MIN_WIDTH_M = 4.0  # outline parts narrower than this everywhere are slivers
NOTE = (
    "Derived by placespend from {blocks} residential building footprints (OpenStreetMap, ODbL) "
    "in 2011 output areas where {low:.0%} to {high:.0%} of households rent from the council, "
    "outlined by the residential land around them; not an official estate boundary. Output "
    "areas {codes}; named after {named_after}"
)


def snap(geoms: np.ndarray) -> np.ndarray:
    """Round coordinates to ``PRECISION_M`` and drop the precision model again.

    Shapely keeps a grid on the geometry after ``set_precision`` and snap-rounds every later
    overlay to it, which shifts shared edges; resetting to floating precision keeps later
    differences exact.
    """
    return shapely.set_precision(shapely.set_precision(geoms, PRECISION_M), 0.0)


def residential_blocks(
    buildings: gpd.GeoDataFrame,
    small_areas: gpd.GeoDataFrame,
    excluded: shapely.Geometry,
) -> gpd.GeoDataFrame:
    """Residential footprints with their output area and its council share.

    Blocks whose representative point lies in ``excluded`` (OSM estates, non-residential land)
    or in no output area are left out. Adds ``block_id``, ``area_code``, ``council_share``.
    """
    b = buildings.reset_index(drop=True).copy()
    rep = gpd.GeoDataFrame(geometry=b.representative_point(), crs=CRS)
    sa = small_areas[["area_code", "council_households", "households", "geometry"]]
    hit = rep.sjoin(sa, predicate="within").sort_values("area_code")
    hit = hit[~hit.index.duplicated(keep="first")]
    b["area_code"] = hit["area_code"].reindex(b.index)
    share = hit["council_households"] / hit["households"].where(hit["households"] > 0)
    b["council_share"] = share.reindex(b.index).fillna(0.0)
    inside = shapely.intersects(rep.geometry.to_numpy(), excluded) if excluded else False
    b = b[b["area_code"].notna() & ~np.asarray(inside, dtype=bool)]
    b["block_id"] = b["osm_type"].astype(str) + "-" + b["osm_ref"].astype(str)
    return b.sort_values("block_id", ignore_index=True)


def group_blocks(blocks: gpd.GeoDataFrame, splitting_roads: shapely.Geometry) -> pd.Series:
    """A group number for every candidate block (index aligned; NaN for blocks in no group).

    Candidates are blocks with ``council_share >= GROW_SHARE``; linked blocks form connected
    components; a component is kept if one of its blocks has ``council_share >= SEED_SHARE``
    or its footprint-weighted mean share is at least ``GROUP_SHARE``.
    Groups are numbered from 0 in the order of their first ``block_id``.
    """
    cand = blocks[blocks["council_share"] >= GROW_SHARE]
    geoms = cand.geometry.to_numpy()
    left, right = cand.sindex.query(geoms, predicate="dwithin", distance=SAME_STREET_M)
    pair = left < right
    left, right = left[pair], right[pair]
    gap = shapely.distance(geoms[left], geoms[right])
    street = cand["addr_street"].to_numpy()
    same_street = (street[left] == street[right]) & pd.notna(street[left])
    linked = (gap <= ADJACENT_M) | same_street
    left, right = left[linked], right[linked]
    if splitting_roads is not None and not shapely.is_empty(splitting_roads):
        link = shapely.shortest_line(geoms[left], geoms[right])
        shapely.prepare(splitting_roads)
        apart = shapely.intersects(splitting_roads, link)
        left, right = left[~apart], right[~apart]
    n = len(cand)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    share = cand["council_share"].to_numpy()
    seeded = pd.Series(share >= SEED_SHARE).groupby(label).any()
    fp = cand["footprint_m2"].to_numpy()
    mean = pd.Series(share * fp).groupby(label).sum() / pd.Series(fp).groupby(label).sum()
    keep = seeded[seeded | (mean >= GROUP_SHARE)].index
    renumber = {old: new for new, old in enumerate(sorted(keep, key=lambda k: np.flatnonzero(
        label == k)[0]))}
    groups = pd.Series([renumber.get(k, np.nan) for k in label], index=cand.index, dtype=float)
    return groups.reindex(blocks.index)


def outline_groups(
    blocks: gpd.GeoDataFrame,
    groups: pd.Series,
    residential_land: shapely.Geometry,
    excluded: shapely.Geometry,
    over_shops: shapely.Geometry,
) -> gpd.GeoDataFrame:
    """One polygon per group: its blocks, padded, gaps closed inside residential land.

    ``excluded`` (railway, campus, park and water land, OSM estates, main-road carriageways)
    is cut out, and so is ``over_shops`` (retail and commercial land) but for the group's own
    footprints, and every residential footprint outside the group, so no group takes
    another's homes.
    Overlaps between neighbouring groups' padding go to the group with more footprint.
    """
    member = blocks[groups.notna()].assign(group=groups.dropna().astype(int))
    by = member.groupby("group")
    fp = by["footprint_m2"].sum()
    pads = by.geometry.agg(lambda s: shapely.union_all(shapely.buffer(s.to_numpy(), PAD_M,
                                                                      quad_segs=2)))
    closed = shapely.buffer(shapely.buffer(pads.to_numpy(), CLOSE_M, quad_segs=2), -CLOSE_M,
                            quad_segs=2)
    land = snap(shapely.union(pads.to_numpy(), shapely.intersection(closed, residential_land)))
    out = gpd.GeoDataFrame({"group": pads.index, "footprint_m2": fp.to_numpy()},
                           geometry=land, crs=CRS)
    others = blocks.geometry.to_numpy()
    for i, g in enumerate(out["group"]):
        idx = blocks.sindex.query(out.geometry.iloc[i], predicate="intersects")
        mine = (groups.iloc[idx] == g).to_numpy()
        # homes over shops: the group keeps its own footprints, never the land around them
        cut = shapely.union_all([
            excluded, shapely.difference(over_shops, shapely.union_all(others[idx[mine]])),
            *others[idx[~mine]]])
        out.loc[i, "geometry"] = shapely.difference(out.geometry.iloc[i], cut)
    out = _disjoint(out)
    out["geometry"] = drop_slivers(out.geometry)
    return out[~out.geometry.is_empty].reset_index(drop=True)


def _disjoint(out: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each group loses what groups with more footprint already hold."""
    out = out.sort_values(["footprint_m2", "group"], ascending=[False, True], ignore_index=True)
    taken = shapely.Polygon()
    geoms = []
    for geom in out.geometry:
        geoms.append(shapely.difference(geom, taken))
        taken = shapely.union(taken, geom)
    out["geometry"] = geoms
    return out.sort_values("group", ignore_index=True)


def drop_slivers(geoms: gpd.GeoSeries, min_m2: float = MIN_PART_M2,
                 min_width_m: float = MIN_WIDTH_M) -> gpd.GeoSeries:
    """Remove polygon parts that are small or everywhere narrower than ``min_width_m``."""
    parts = geoms.explode(index_parts=False)
    parts = parts[parts.geom_type == "Polygon"]
    thick = ~parts.buffer(-min_width_m / 2).is_empty
    keep = parts[(parts.area >= min_m2) & thick]
    merged = keep.groupby(level=0).agg(lambda s: shapely.union_all(s.to_numpy()))
    return gpd.GeoSeries(merged.reindex(geoms.index), crs=CRS).fillna(shapely.Polygon())


def derive_estates(
    buildings: gpd.GeoDataFrame,
    small_areas: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    nonresidential: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    osm: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Derived estates: ``estate_id`` (``db-`` + the group's first block), ``blocks``,
    ``oa_codes``, ``share_low``, ``share_high``, ``geometry`` (names come later).

    Parameters
    ----------
    buildings : GeoDataFrame
        Residential footprints with ``osm_type``, ``osm_ref``, ``addr_street``,
        ``footprint_m2``.
    small_areas : GeoDataFrame
        Output areas with ``area_code``, ``households``, ``council_households``.
    landuse : GeoDataFrame
        OSM ``landuse=residential`` polygons (the land that closes gaps between blocks).
    nonresidential : GeoDataFrame
        Land an estate must not take (railway, commercial, retail, campus, park, water).
    roads : GeoDataFrame
        Highway centre lines with ``highway`` (main roads split groups and are cut out).
    osm : GeoDataFrame
        OSM estates, kept as they are: derived estates never overlap them.
    """
    main = roads[roads["highway"].isin(MAIN_ROADS)].geometry.union_all()
    splitting = roads[roads["highway"].isin(SPLITTING_ROADS)].geometry.union_all()
    carriageway = shapely.buffer(main, MAIN_ROAD_HALF_WIDTH_M, cap_style="flat")
    nonres = nonresidential.geometry.union_all()
    hard = nonresidential[~nonresidential["kind"].isin(HOMES_OVER_SHOPS)].geometry.union_all()
    osm_land = osm.geometry.union_all()
    blocks = residential_blocks(buildings, small_areas, shapely.union(hard, osm_land))
    groups = group_blocks(blocks, splitting)
    excluded = shapely.union_all([hard, osm_land, carriageway])
    over_shops = shapely.difference(nonres, excluded)
    residential_land = shapely.difference(landuse.geometry.union_all(),
                                          shapely.union(excluded, nonres))
    shapes = outline_groups(blocks, groups, residential_land, excluded, over_shops)
    # an estate mostly over shops would break the limit: it keeps none of that land
    over = nonresidential_share(shapes, nonresidential) > MAX_NONRESIDENTIAL_SHARE
    shapes.loc[over, "geometry"] = shapely.difference(shapes.geometry[over].to_numpy(), nonres)
    shapes["geometry"] = drop_slivers(shapes.geometry)
    shapes = shapes[~shapes.geometry.is_empty].reset_index(drop=True)
    member = blocks[groups.notna()].assign(group=groups.dropna().astype(int))
    by = member.groupby("group")
    first = by["block_id"].min()
    shapes["estate_id"] = "db-" + shapes["group"].map(first)
    shapes["blocks"] = shapes["group"].map(by.size())
    shapes["oa_codes"] = shapes["group"].map(by["area_code"].agg(lambda s: sorted(set(s))))
    shapes["share_low"] = shapes["group"].map(by["council_share"].min())
    shapes["share_high"] = shapes["group"].map(by["council_share"].max())
    return shapes.drop(columns=["group", "footprint_m2"])


def derived_note(row, named_after: str) -> str:
    """The one-line ``boundary_note`` of a derived estate."""
    return NOTE.format(blocks=row.blocks, low=row.share_low, high=row.share_high,
                       codes=", ".join(row.oa_codes), named_after=named_after)
