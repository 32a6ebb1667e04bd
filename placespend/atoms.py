"""Atoms: the planar partition small area × ward × estate, and every key measured on it.

The geometry work happens once here (like tobler's overlap table); the SQL pipeline then moves
money over the atoms with whichever key a service uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placespend.boundaries import Boundaries, missing_key_layers
from placespend.keys import CENSUS_KEYS, FALLBACK_KEY, KEYS
from placespend.layers import CRS

MIN_ATOM_M2 = 0.01  # overlay pieces smaller than this are numerical dust
EDGE_TOLERANCE_M = 0.001  # lines this close on an atom edge are one stretch
VEHICULAR_HIGHWAYS = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link",
)
WASTE_AMENITIES = ("waste_basket", "recycling", "waste_disposal")


@dataclass
class AtomTable:
    """The atoms and their keys.

    Attributes
    ----------
    atoms : GeoDataFrame
        ``atom_id`` (int, from 1), ``area_code``, ``ward_code``, ``estate_id`` (None off
        estates), ``geometry``.
    keys : DataFrame
        ``atom_id`` and one float column per key in :data:`placespend.keys.KEYS`.
    notes : list of str
        What fell back or was left out, for people.
    fallbacks : dict
        Key name -> the key whose values it carries instead (census counts a file lacks).
    """

    atoms: gpd.GeoDataFrame
    keys: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    fallbacks: dict[str, str] = field(default_factory=dict)

    def long_keys(self) -> pd.DataFrame:
        """The keys as the ``atom_keys`` table: ``atom_id``, ``key``, ``weight``."""
        long = self.keys.melt(id_vars="atom_id", var_name="key", value_name="weight")
        return long.sort_values(["atom_id", "key"], ignore_index=True)


def build_atoms(b: Boundaries) -> AtomTable:
    """Cut the small areas by wards and estates and measure every key on the pieces.

    Parameters
    ----------
    b : Boundaries
        Validated layers (see :func:`placespend.boundaries.load_boundaries`).

    Returns
    -------
    AtomTable

    Notes
    -----
    Atoms are the non-empty pieces of :math:`S_i \\cap W_j \\cap E_k` for small area
    :math:`i`, ward :math:`j` and estate :math:`k` (or the part of :math:`S_i \\cap W_j`
    outside every estate). Measured keys (area, residential footprint, green space, road
    length, trees, waste points) are the amount of each layer inside the atom. A census count
    :math:`C_i` of small area :math:`i` is split over its atoms :math:`a` as

    .. math::

        C_a = C_i \\frac{F_a}{\\sum_{b \\in i} F_b} \\quad \\text{if } \\sum_{b \\in i} F_b > 0,
        \\qquad C_a = C_i \\frac{A_a}{\\sum_{b \\in i} A_b} \\text{ otherwise},

    with :math:`F` the residential building footprint and :math:`A` the area, so every small
    area's count is conserved over its atoms inside wards. A count column the small areas lack
    takes the values of the ``area`` key (recorded in ``fallbacks`` and ``notes``).
    """
    atoms = partition(b.small_areas, b.wards, b.estates)
    keys = measure_keys(atoms, b)
    census, notes, fallbacks = split_counts(atoms, b.small_areas, keys)
    keys = pd.concat([keys, census], axis=1)[list(KEYS)]
    keys.insert(0, "atom_id", atoms["atom_id"].to_numpy())
    notes += _coverage_notes(atoms, b.small_areas, keys, missing_key_layers(b))
    return AtomTable(atoms=atoms, keys=keys.reset_index(drop=True), notes=b.notes + notes,
                     fallbacks=fallbacks)


def partition(small_areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame,
              estates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Planar partition small area ∩ ward ∩ (estate or none), dust dropped, ids from 1."""
    pieces = gpd.overlay(small_areas[["area_code", "geometry"]], wards[["ward_code", "geometry"]],
                         how="intersection", keep_geom_type=True)
    if len(estates):
        pieces = gpd.overlay(pieces, estates[["estate_id", "geometry"]], how="identity",
                             keep_geom_type=True)
    else:
        pieces["estate_id"] = None
    pieces = pieces[pieces.area > MIN_ATOM_M2]
    pieces["estate_id"] = pieces["estate_id"].astype(object).where(pieces["estate_id"].notna(),
                                                                    None)
    pieces = pieces.sort_values(["area_code", "ward_code", "estate_id"], na_position="first",
                                ignore_index=True)
    pieces.insert(0, "atom_id", np.arange(1, len(pieces) + 1, dtype="int64"))
    return pieces[["atom_id", "area_code", "ward_code", "estate_id", "geometry"]]


def measure_keys(atoms: gpd.GeoDataFrame, b: Boundaries) -> pd.DataFrame:
    """The geometric keys of every atom (index aligned with ``atoms``)."""
    roads = b.roads
    if "highway" in roads.columns:
        roads = roads[roads["highway"].isin(VEHICULAR_HIGHWAYS)]
    waste = b.waste_points
    if "amenity" in waste.columns:
        waste = waste[waste["amenity"].isin(WASTE_AMENITIES)]
    green = b.green_spaces.geometry.union_all()  # parks contain playgrounds: count ground once
    return pd.DataFrame({
        "area": atoms.area,
        "residential_footprint": overlap_amount(b.buildings.geometry, atoms, shapely.area),
        "green_space": overlap_amount(_parts(green), atoms, shapely.area),
        "trees": count_points(b.trees.geometry, atoms),
        "road_length": line_length(roads.geometry, atoms),
        "waste_points": count_points(waste.geometry, atoms),
    }, index=atoms.index)


def _parts(geom: shapely.Geometry) -> gpd.GeoSeries:
    parts = shapely.get_parts(geom)
    return gpd.GeoSeries(parts[~shapely.is_empty(parts)], crs=CRS)


def overlap_amount(geoms: gpd.GeoSeries, atoms: gpd.GeoDataFrame, measure) -> pd.Series:
    """Sum of ``measure(geometry ∩ atom)`` over ``geoms`` for each atom (0 where none)."""
    if geoms.empty:
        return pd.Series(0.0, index=atoms.index)
    src, dst = atoms.sindex.query(geoms.to_numpy(), predicate="intersects")
    amount = measure(shapely.intersection(geoms.to_numpy()[src], atoms.geometry.to_numpy()[dst]))
    summed = np.bincount(dst, weights=amount, minlength=len(atoms))
    return pd.Series(summed, index=atoms.index)


def line_length(lines: gpd.GeoSeries, atoms: gpd.GeoDataFrame,
                tolerance: float = EDGE_TOLERANCE_M) -> pd.Series:
    """Length of ``lines`` inside each atom, a stretch along a shared atom edge counted once.

    A line running along the edge between two atoms (a road the estate outline follows)
    intersects both closed polygons, so a plain overlay would count it in each. Such a
    stretch goes to the first of the atoms it lies on (lowest index, so the result does not
    depend on the order the lines come in); everything else is measured as
    :func:`overlap_amount` does.

    Notes
    -----
    For line :math:`r` and atom :math:`a`, the length counted is
    :math:`|r \\cap a| - |e_{ra} \\cap \\bigcup_{b < a} e_{rb}|`, with
    :math:`e_{ra} = r \\cap a \\cap \\partial a` the part of the line on the atom's edge and the
    union taken within ``tolerance`` metres (coordinates on a shared edge can differ in the last
    digits). Summed over atoms, every metre of line inside the atoms counts once.
    """
    if lines.empty:
        return pd.Series(0.0, index=atoms.index)
    geoms, polys = lines.to_numpy(), atoms.geometry.to_numpy()
    src, dst = atoms.sindex.query(geoms, predicate="intersects")
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    pieces = shapely.intersection(geoms[src], polys[dst])
    amount = shapely.length(pieces)
    edges = shapely.intersection(pieces, shapely.boundary(polys[dst]))
    on_edge = shapely.length(edges) > 0
    shared = on_edge & (pd.Series(src).where(on_edge).duplicated(keep=False).to_numpy())
    for line in np.unique(src[shared]):
        claimed = None
        for i in np.flatnonzero(shared & (src == line)):
            if claimed is not None:
                amount[i] -= shapely.length(shapely.intersection(edges[i], claimed))
                claimed = shapely.union(claimed, shapely.buffer(edges[i], tolerance))
            else:
                claimed = shapely.buffer(edges[i], tolerance)
    summed = np.bincount(dst, weights=amount, minlength=len(atoms))
    return pd.Series(summed, index=atoms.index)


def count_points(points: gpd.GeoSeries, atoms: gpd.GeoDataFrame) -> pd.Series:
    """Number of points in each atom (a point on a shared edge counts once)."""
    if points.empty:
        return pd.Series(0.0, index=atoms.index)
    src, dst = atoms.sindex.query(points.to_numpy(), predicate="intersects")
    _, first = np.unique(src, return_index=True)
    counts = np.bincount(dst[first], minlength=len(atoms)).astype(float)
    return pd.Series(counts, index=atoms.index)


def split_counts(atoms: gpd.GeoDataFrame, small_areas: gpd.GeoDataFrame,
                 keys: pd.DataFrame) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Census counts per atom, split by residential footprint (area where an OA has none)."""
    code = atoms["area_code"]
    fp_total = keys["residential_footprint"].groupby(code).transform("sum")
    area_total = keys["area"].groupby(code).transform("sum")
    share = np.where(fp_total > 0, keys["residential_footprint"] / fp_total.where(fp_total > 0),
                     keys["area"] / area_total)
    counts = small_areas.drop_duplicates("area_code").set_index("area_code")
    out, notes, fallbacks = {}, [], {}
    for key in CENSUS_KEYS:
        if key in counts.columns:
            out[key] = share * code.map(pd.to_numeric(counts[key])).to_numpy(dtype=float)
        else:
            out[key] = keys[FALLBACK_KEY].to_numpy(dtype=float)
            fallbacks[key] = FALLBACK_KEY
            notes.append(count_fallback_note(key))
    no_fp = code[fp_total.to_numpy() == 0].nunique()
    if no_fp:
        notes.append(f"{no_fp} small area(s) have no residential building footprint: their "
                     "census counts are split by area")
    return pd.DataFrame(out, index=atoms.index), notes, fallbacks


def count_fallback_note(key: str) -> str:
    """The note for a census count the small areas lack."""
    return f"small areas file has no '{key}' counts: key {key} falls back to {FALLBACK_KEY}"


def _coverage_notes(atoms: gpd.GeoDataFrame, small_areas: gpd.GeoDataFrame,
                    keys: pd.DataFrame, missing: Iterable[str] = ()) -> list[str]:
    missing = set(missing)  # keys whose layer was not given: the build notes them by service
    notes = []
    lost = sorted(set(small_areas["area_code"]) - set(atoms["area_code"]))
    if lost:
        notes.append(f"{len(lost)} small area(s) lie outside every ward and are left out, "
                     f"e.g. {', '.join(map(str, lost[:5]))}")
    zero = [k for k in KEYS if not keys[k].to_numpy().any() and k not in missing]
    if zero:
        notes.append(f"key(s) {', '.join(zero)} are zero on every atom (no data inside the "
                     f"wards): spend keyed on them is shared by {FALLBACK_KEY} instead")
    return notes


def estate_totals(table: AtomTable, keys: Iterable[str] | None = None) -> pd.DataFrame:
    """Key totals per estate (index ``estate_id``), summing its atoms."""
    cols = list(keys) if keys is not None else list(KEYS)
    merged = table.keys[["atom_id", *cols]].merge(table.atoms[["atom_id", "estate_id"]],
                                                  on="atom_id")
    merged = merged[merged["estate_id"].notna()]
    return merged.groupby("estate_id")[cols].sum()


def estate_estimates(b: Boundaries, table: AtomTable) -> gpd.GeoDataFrame:
    """The estates with ``households_est`` and ``council_households_est`` from the atoms."""
    totals = estate_totals(table, ["households", "council_households"])
    est = b.estates.copy()
    for key in ("households", "council_households"):
        est[f"{key}_est"] = est["estate_id"].map(totals[key]).fillna(0.0).round(1)
    return est
