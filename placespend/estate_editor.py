"""The estate editor: change a data set's estates block by block and save them as a layer.

An edit starts from a store's estates (:func:`draft_from_store`) and works on a
:class:`Draft`, which every operation returns anew (nothing is changed in place):

- :func:`add` and :func:`remove` move **blocks** (residential building footprints from the
  boundaries' ``buildings`` layer) or **output-area pieces** (for an addition, the part of an
  output area inside no estate; for a removal, the estate's part of it) into or out of one
  estate;
- :func:`new_estate` makes an estate of picked blocks and pieces, :func:`rename` sets its name
  and aliases;
- :func:`measure` gives area and households as the build will count them;
- :func:`to_geojson` writes the layer, which ``placespend build --estates FILE`` reads, and
  :func:`save_dataset` builds it into a data set of its own (the source store is never
  changed).

Ground belongs to at most one estate: an addition that would take another estate's land is
refused with a message naming both (:func:`overlap_problems` checks the whole layer again
before saving).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import wkb

from placespend import atoms, build, estate_names, paths, uploads, views
from placespend._editor_map import BLOCK_LAYER_ID as BLOCK_LAYER_ID  # the map, re-exported
from placespend._editor_map import NEAR_M
from placespend._editor_map import PIECE_LAYER_ID as PIECE_LAYER_ID
from placespend._editor_map import deck as deck
from placespend._editor_map import picked as picked
from placespend._sql import query
from placespend._validate import OVERLAP_TOLERANCE_M2
from placespend.boundaries import SUFFIXES
from placespend.errors import BoundaryError, PlacespendError, collected, quoted
from placespend.layers import CRS

EDITED_SOURCE = "user"
NOTE_EDITED = "edited in placespend's estate editor from data set {origin}: {changes}"
NOTE_NEW = "made in placespend's estate editor (data set {origin}) from {changes}"
ESTATE_FIELDS = ("estate_id", "name", "aliases", "source", "boundary_note")


# ---- what the editor picks from ------------------------------------------------------------


@dataclass(frozen=True)
class Layers:
    """The pieces an estate is made of, for one data set (EPSG:27700).

    ``blocks``: ``block_id``, ``building``, ``footprint_m2``, ``geometry``; ``small_areas``:
    ``area_code``, ``households``, ``council_households``, ``geometry``; ``oa_footprint`` and
    ``oa_area``: residential footprint and area per output area (m², index ``area_code``), the
    denominators of the households split.
    """

    blocks: gpd.GeoDataFrame
    small_areas: gpd.GeoDataFrame
    oa_footprint: pd.Series
    oa_area: pd.Series


def block_ids(buildings: gpd.GeoSeries) -> pd.Series:
    """A readable id per footprint from where it stands: ``b<easting>-<northing>`` of its
    representative point in whole metres, ``-2``, ``-3`` … after a repeat."""
    point = buildings.representative_point()
    base = pd.Series([f"b{x:.0f}-{y:.0f}" for x, y in zip(point.x, point.y, strict=True)],
                     index=buildings.index)
    n = base.groupby(base).cumcount()
    return base.where(n == 0, base + "-" + (n + 1).astype(str))


def make_layers(small_areas: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> Layers:
    """:class:`Layers` from a small-areas layer (with ``households`` and
    ``council_households`` where known) and the residential footprints."""
    sa = small_areas.to_crs(CRS).reset_index(drop=True)
    for col in ("households", "council_households"):
        sa[col] = pd.to_numeric(sa[col], errors="coerce") if col in sa.columns else np.nan
    sa = sa[["area_code", "households", "council_households", "geometry"]]
    blocks = buildings.to_crs(CRS).reset_index(drop=True)
    blocks = blocks[~blocks.geometry.is_empty & blocks.geometry.notna()].reset_index(drop=True)
    blocks["block_id"] = block_ids(blocks.geometry)
    blocks["footprint_m2"] = blocks.area.round(1)
    if "building" not in blocks.columns:
        blocks["building"] = ""
    blocks = blocks[["block_id", "building", "footprint_m2", "geometry"]]
    footprint = atoms.overlap_amount(blocks.geometry, sa, shapely.area)
    return Layers(blocks, sa, pd.Series(footprint.to_numpy(), index=sa["area_code"]),
                  pd.Series(sa.area.to_numpy(), index=sa["area_code"]))


def load_layers(con: duckdb.DuckDBPyConnection) -> Layers:
    """The layers a store was built from: its own boundaries folder or small-areas file
    when its build named one, else the shipped ``boundaries/`` (no ``buildings`` layer means
    no blocks, as in the build)."""
    given = build.read_build_info(con).get("inputs") or {}
    folder = Path(given.get("boundaries") or paths.BOUNDARIES_DIR)
    small = Path(given["small_areas"]) if "small_areas" in given else _find(folder, "small_areas")
    if small is None or not small.exists():
        msg = (f"{small or folder}: the small areas this data set was built from are not there, "
               "and the estate editor needs them; rebuild the data set with its boundary files "
               "where they were.")
        raise BoundaryError(msg)
    found = _find(folder, "buildings")
    buildings = _read(found) if found else gpd.GeoDataFrame(geometry=[], crs=CRS)
    return make_layers(_read(small), buildings)


def _find(folder: Path, name: str) -> Path | None:
    return next((folder / f"{name}{s}" for s in SUFFIXES if (folder / f"{name}{s}").exists()),
                None)


def _read(path: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)


# ---- the draft -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """An edited copy of a data set's estates.

    ``estates``: ``estate_id``, ``name``, ``aliases``, ``source``, ``boundary_note``,
    ``geometry`` (EPSG:27700); ``origin``: the data set it started from; ``changes``: per
    estate id, what was done to it, in order (these go into its ``boundary_note``).
    """

    estates: gpd.GeoDataFrame
    origin: str
    changes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def estate(self, estate_id: str) -> pd.Series:
        """One estate's row; an unknown id is a :class:`PlacespendError`."""
        hit = self.estates[self.estates["estate_id"] == estate_id]
        if hit.empty:
            msg = f"No estate {quoted(estate_id)} in this draft; pick one from the list."
            raise PlacespendError(msg)
        return hit.iloc[0]

    def label(self, estate_id: str) -> str:
        """``'Name' (id)``, as messages name an estate."""
        return f"{quoted(str(self.estate(estate_id)['name']))} ({estate_id})"


def draft_from_store(con: duckdb.DuckDBPyConnection, origin: str) -> Draft:
    """The store's estates as a draft to edit (the store is only read)."""
    rows = query(con, "editor_estates")
    geometry = [wkb.loads(bytes(b)) for b in rows.pop("geometry_wkb")]
    est = gpd.GeoDataFrame(rows, geometry=geometry, crs=CRS)
    est["aliases"] = est["aliases"].fillna("").astype(str)
    est["boundary_note"] = est["boundary_note"].fillna("").astype(str)
    return Draft(est[[*ESTATE_FIELDS, "geometry"]].reset_index(drop=True), origin)


def _polygonal(geom) -> shapely.Geometry:
    """The polygon parts of ``geom``, valid, as one (multi)polygon (empty if none)."""
    if geom is None or shapely.is_empty(geom):
        return shapely.MultiPolygon()
    parts = shapely.get_parts(shapely.make_valid(geom))
    polys = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
    return shapely.union_all(polys) if polys else shapely.MultiPolygon()


def _with_geometry(draft: Draft, estate_id: str, geom, change: str) -> Draft:
    est = draft.estates.copy()
    est.loc[est["estate_id"] == estate_id, "geometry"] = _polygonal(geom)
    changes = {**draft.changes, estate_id: (*draft.changes.get(estate_id, ()), change)}
    return replace(draft, estates=est, changes=MappingProxyType(changes))


def _pieces(draft: Draft, layers: Layers, estate_id: str | None, block_ids_: Iterable[str],
            piece_ids: Iterable[str], adding: bool) -> tuple[list[shapely.Geometry], list[str]]:
    """Geometry of the named blocks and output-area pieces, and any unknown ids."""
    wanted, unknown = [], []
    blocks = layers.blocks.set_index("block_id").geometry
    for bid in block_ids_:
        (wanted.append(blocks[bid]) if bid in blocks.index else unknown.append(f"block {bid}"))
    areas = layers.small_areas.set_index("area_code").geometry
    held = draft.estates.geometry.union_all()
    own = draft.estate(estate_id).geometry if estate_id is not None else None
    for code in piece_ids:
        if code not in areas.index:
            unknown.append(f"output area {code}")
        elif adding:
            wanted.append(shapely.difference(areas[code], held))
        else:
            wanted.append(shapely.intersection(areas[code], own))
    return wanted, unknown


def _refuse_unknown(unknown: list[str]) -> None:
    if unknown:
        msg = (f"Not in this data set's boundaries: {', '.join(quoted(u) for u in unknown)}; "
               "pick blocks and output areas from the lists.")
        raise PlacespendError(msg)


def _what(block_ids_: list[str], piece_ids: list[str], verb: str) -> str:
    parts = []
    if block_ids_:
        parts.append(f"{len(block_ids_)} block{'s' if len(block_ids_) != 1 else ''} {verb} "
                     f"({', '.join(block_ids_)})")
    if piece_ids:
        parts.append(f"output-area piece{'s' if len(piece_ids) != 1 else ''} {verb} "
                     f"({', '.join(piece_ids)})")
    return "; ".join(parts)


def _taken_from_others(draft: Draft, estate_id: str | None, geom, what: str) -> list[str]:
    """Messages for each other estate ``geom`` would overlap by the tolerance or more."""
    problems = []
    for row in draft.estates.itertuples():
        if row.estate_id == estate_id:
            continue
        shared = shapely.area(shapely.intersection(row.geometry, geom))
        if shared >= OVERLAP_TOLERANCE_M2:
            target = draft.label(estate_id) if estate_id else "the new estate"
            problems.append(
                f"{what} overlaps estate {draft.label(row.estate_id)} by {shared:,.1f} m², so "
                f"it cannot also join {target}: a piece of ground belongs to at most one "
                f"estate. Remove it from {quoted(str(row.name))} first, then add it here.")
    return problems


def add(draft: Draft, estate_id: str, layers: Layers, block_ids: Iterable[str] = (),
        piece_ids: Iterable[str] = ()) -> Draft:
    """``estate_id`` with the named blocks and output-area pieces added (their union).

    Raises
    ------
    BoundaryError
        When any of them overlaps another estate by 1 m² or more, naming both estates
        (nothing is added). Slivers below that are left with the estate that holds them.
    """
    blocks_, pieces_ = list(dict.fromkeys(block_ids)), list(dict.fromkeys(piece_ids))
    geoms, unknown = _pieces(draft, layers, estate_id, blocks_, pieces_, adding=True)
    _refuse_unknown(unknown)
    names = [f"Block {b}" for b in blocks_] + [f"Output-area piece {p}" for p in pieces_]
    problems = [m for g, n in zip(geoms, names, strict=True)
                for m in _taken_from_others(draft, estate_id, g, n)]
    if problems:
        raise collected(BoundaryError, f"Cannot add to {draft.label(estate_id)}", problems)
    others = draft.estates[draft.estates["estate_id"] != estate_id].geometry.union_all()
    grown = shapely.union_all([draft.estate(estate_id).geometry, *geoms])
    return _with_geometry(draft, estate_id, shapely.difference(grown, others),
                          _what(blocks_, pieces_, "added"))


def remove(draft: Draft, estate_id: str, layers: Layers, block_ids: Iterable[str] = (),
           piece_ids: Iterable[str] = ()) -> Draft:
    """``estate_id`` without the named blocks (their footprints) and output-area pieces (its
    land in those output areas).

    Raises
    ------
    PlacespendError
        When nothing of the estate would be left.
    """
    blocks_, pieces_ = list(dict.fromkeys(block_ids)), list(dict.fromkeys(piece_ids))
    geoms, unknown = _pieces(draft, layers, estate_id, blocks_, pieces_, adding=False)
    _refuse_unknown(unknown)
    left = _polygonal(shapely.difference(draft.estate(estate_id).geometry,
                                         shapely.union_all(geoms)))
    if left.area < OVERLAP_TOLERANCE_M2:
        msg = (f"Removing these would leave {draft.label(estate_id)} with no land; keep at "
               "least one block or piece of it.")
        raise PlacespendError(msg)
    return _with_geometry(draft, estate_id, left, _what(blocks_, pieces_, "removed"))


def new_estate(draft: Draft, name: str, layers: Layers, block_ids: Iterable[str] = (),
               piece_ids: Iterable[str] = ()) -> tuple[Draft, str]:
    """A new estate ``name`` made of the named blocks and output-area pieces; its id is
    ``user-<name>`` (made unique).

    Raises
    ------
    BoundaryError
        When a block or piece overlaps an existing estate (naming it), or nothing is picked.
    """
    name = _clean_name(name)
    blocks_, pieces_ = list(dict.fromkeys(block_ids)), list(dict.fromkeys(piece_ids))
    if not blocks_ and not pieces_:
        msg = f"Pick at least one block or output-area piece for the new estate {quoted(name)}."
        raise PlacespendError(msg)
    geoms, unknown = _pieces(draft, layers, None, blocks_, pieces_, adding=True)
    _refuse_unknown(unknown)
    names = [f"Block {b}" for b in blocks_] + [f"Output-area piece {p}" for p in pieces_]
    problems = [m for g, n in zip(geoms, names, strict=True)
                for m in _taken_from_others(draft, None, g, n)]
    if problems:
        raise collected(BoundaryError, f"Cannot make the new estate {quoted(name)}", problems)
    estate_id = _new_id(name, set(draft.estates["estate_id"]))
    held = draft.estates.geometry.union_all()
    row = gpd.GeoDataFrame(
        [{"estate_id": estate_id, "name": name,
          "aliases": estate_names.join(estate_names.name_aliases(name)),
          "source": EDITED_SOURCE, "boundary_note": "",
          "geometry": _polygonal(shapely.difference(shapely.union_all(geoms), held))}],
        geometry="geometry", crs=CRS)
    est = pd.concat([draft.estates, row], ignore_index=True)
    changes = {**draft.changes, estate_id: ("new: " + _what(blocks_, pieces_, "picked"),)}
    return replace(draft, estates=gpd.GeoDataFrame(est, geometry="geometry", crs=CRS),
                   changes=MappingProxyType(changes)), estate_id


def _new_id(name: str, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "estate"
    estate_id, n = f"user-{slug}", 1
    while estate_id in taken:
        n += 1
        estate_id = f"user-{slug}-{n}"
    return estate_id


def _clean_name(name: str) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        msg = "Give the estate a name (the one residents use)."
        raise PlacespendError(msg)
    if len(text) > 120:
        msg = f"An estate name is at most 120 characters; {quoted(text)} is longer."
        raise PlacespendError(msg)
    return text


def rename(draft: Draft, estate_id: str, name: str, aliases: Iterable[str] | str = ()) -> Draft:
    """``estate_id`` called ``name``, searchable by ``aliases`` (a list, or text with one
    alias a line or ``;`` between them) and the aliases its name implies."""
    name = _clean_name(name)
    if isinstance(aliases, str):
        aliases = re.split(r"[;\n]", aliases)
    joined = estate_names.join([*estate_names.name_aliases(name), *aliases])
    old = draft.estate(estate_id)
    est = draft.estates.copy()
    est.loc[est["estate_id"] == estate_id, ["name", "aliases"]] = [name, joined]
    said = []
    if name != old["name"]:
        said.append(f"renamed from {old['name']!r}")
    if joined != old["aliases"]:
        said.append("aliases edited")
    if not said:
        return draft
    changes = {**draft.changes, estate_id: (*draft.changes.get(estate_id, ()), *said)}
    return replace(draft, estates=est, changes=MappingProxyType(changes))


# ---- figures -------------------------------------------------------------------------------


def measure(geoms: gpd.GeoSeries | Iterable, layers: Layers) -> pd.DataFrame:
    """Area and households of each geometry, as a build counts them.

    Returns ``area_m2``, ``households_est``, ``council_households_est`` (index aligned with
    ``geoms``).

    Notes
    -----
    A count :math:`C_i` of output area :math:`i` goes to a polygon :math:`E` in proportion to
    the residential footprint :math:`F` inside it, or to the area :math:`A` where the output
    area has no footprint (:func:`placespend.atoms.build_atoms` splits it so):

    .. math:: H_E = \\sum_i C_i \\frac{F(E \\cap S_i)}{F(S_i)}
    """
    series = gpd.GeoSeries(list(geoms), crs=CRS)
    out = pd.DataFrame({"area_m2": series.area.round(1), "households_est": 0.0,
                        "council_households_est": 0.0}, index=series.index)
    frame = gpd.GeoDataFrame({"i": series.index}, geometry=series, crs=CRS)
    frame = frame[~frame.geometry.is_empty & (frame.area > 0)]
    if frame.empty:
        return out
    pieces = gpd.overlay(frame, layers.small_areas[["area_code", "geometry"]],
                         how="intersection", keep_geom_type=True)
    pieces = pieces[pieces.area > atoms.MIN_ATOM_M2].reset_index(drop=True)
    footprint = atoms.overlap_amount(layers.blocks.geometry, pieces, shapely.area)
    total_fp = pieces["area_code"].map(layers.oa_footprint).to_numpy()
    total_area = pieces["area_code"].map(layers.oa_area).to_numpy()
    share = np.where(total_fp > 0, footprint / np.where(total_fp > 0, total_fp, 1.0),
                     pieces.area / total_area)
    counts = layers.small_areas.set_index("area_code")
    for key in ("households", "council_households"):
        values = share * pieces["area_code"].map(counts[key]).fillna(0.0).to_numpy()
        out[f"{key}_est"] = pd.Series(values).groupby(pieces["i"]).sum().reindex(
            out.index).fillna(0.0).round(1)
    return out


def near_blocks(draft: Draft, estate_id: str, layers: Layers,
                within_m: float = NEAR_M) -> pd.DataFrame:
    """Blocks within ``within_m`` of the estate: ``block_id``, ``footprint_m2``, ``building``,
    ``distance_m``, ``holder`` (the estate id holding it, or None), ``in_estate``, ``label``
    and ``geometry``, those in it first, then nearest first."""
    geom = draft.estate(estate_id).geometry
    idx = layers.blocks.sindex.query(geom, predicate="dwithin", distance=within_m)
    near = layers.blocks.iloc[np.sort(idx)].copy()
    near["distance_m"] = shapely.distance(near.geometry.to_numpy(), geom).round(0)
    near["holder"] = pd.Series(_holders(draft, near.geometry), index=near.index, dtype=object)
    near["in_estate"] = near["holder"] == estate_id
    names = dict(zip(draft.estates["estate_id"], draft.estates["name"], strict=True))
    near["label"] = [_block_label(r, names) for r in near.itertuples()]
    near = near.sort_values(["in_estate", "distance_m", "block_id"],
                            ascending=[False, True, True])
    return near.reset_index(drop=True)


def _holders(draft: Draft, geoms: gpd.GeoSeries) -> list[str | None]:
    """The estate holding most of each geometry (at least the overlap tolerance), or None."""
    est = draft.estates
    src, dst = est.sindex.query(geoms.to_numpy(), predicate="intersects")
    shared = shapely.area(shapely.intersection(geoms.to_numpy()[src], est.geometry.to_numpy()[dst]))
    best: dict[int, tuple[float, str]] = {}
    for s, d, a in zip(src, dst, shared, strict=True):
        if a >= OVERLAP_TOLERANCE_M2 and a > best.get(s, (0.0, ""))[0]:
            best[s] = (a, est["estate_id"].iloc[d])
    return [best[i][1] if i in best else None for i in range(len(geoms))]


def _block_label(row, names: dict[str, str]) -> str:
    if row.in_estate:
        where = "in this estate"
    elif isinstance(row.holder, str):
        where = f"in {names[row.holder]}"
    else:
        where = f"{row.distance_m:,.0f} m away"
    return f"{row.block_id} · {row.footprint_m2:,.0f} m² · {where}"


def near_pieces(draft: Draft, estate_id: str, layers: Layers,
                within_m: float = NEAR_M) -> pd.DataFrame:
    """Output-area pieces an estate can take or give up: ``piece_id`` (the output area's
    code), ``in_estate`` (its land in the estate, to remove) or not (its land in no estate
    within ``within_m``, to add), ``area_m2``, ``label`` and ``geometry``."""
    geom = draft.estate(estate_id).geometry
    sa = layers.small_areas
    idx = np.sort(sa.sindex.query(geom, predicate="dwithin", distance=within_m))
    held = draft.estates.geometry.union_all()
    rows = []
    for code, area in zip(sa["area_code"].iloc[idx], sa.geometry.iloc[idx], strict=True):
        inside = _polygonal(shapely.intersection(area, geom))
        free = _polygonal(shapely.difference(area, held))
        if inside.area >= OVERLAP_TOLERANCE_M2:
            rows.append((code, True, inside))
        if free.area >= OVERLAP_TOLERANCE_M2 and shapely.dwithin(free, geom, within_m):
            rows.append((code, False, free))
    out = gpd.GeoDataFrame(rows, columns=["piece_id", "in_estate", "geometry"],
                           geometry="geometry", crs=CRS)
    out["area_m2"] = out.area.round(0)
    out["label"] = [f"{r.piece_id} · {r.area_m2:,.0f} m² "
                    + ("of this estate" if r.in_estate else "in no estate")
                    for r in out.itertuples()]
    return out.sort_values(["in_estate", "piece_id"], ascending=[False, True],
                           ignore_index=True)


# ---- checking and saving -------------------------------------------------------------------


def overlap_problems(draft: Draft) -> list[str]:
    """One message per pair of estates overlapping by the tolerance (1 m²) or more, naming
    both."""
    est = draft.estates
    geoms = est.geometry.to_numpy()
    left, right = est.sindex.query(geoms, predicate="intersects")
    keep = left < right
    problems = []
    for i, j in zip(left[keep], right[keep], strict=True):
        shared = shapely.area(shapely.intersection(geoms[i], geoms[j]))
        if shared >= OVERLAP_TOLERANCE_M2:
            problems.append(
                f"estates {draft.label(est['estate_id'].iloc[i])} and "
                f"{draft.label(est['estate_id'].iloc[j])} overlap by {shared:,.1f} m²; remove "
                "the shared blocks or pieces from one of them")
    return problems


def check(draft: Draft) -> None:
    """Refuse a layer with overlapping or empty estates (every problem at once)."""
    problems = overlap_problems(draft)
    problems += [f"estate {draft.label(r.estate_id)} has no land; add a block to it"
                 for r in draft.estates.itertuples() if _polygonal(r.geometry).area <= 0]
    if problems:
        raise collected(BoundaryError, "The estates cannot be saved", problems)


def layer(draft: Draft) -> gpd.GeoDataFrame:
    """The layer as it is saved: each edited estate marked ``source='user'`` with what was
    done to it added to its ``boundary_note``; the others as they were."""
    est = draft.estates.copy()
    for eid, done in draft.changes.items():
        at = est["estate_id"] == eid
        text = "; ".join(done)
        note = str(est.loc[at, "boundary_note"].iloc[0])
        if text.startswith("new: "):
            note = NOTE_NEW.format(origin=draft.origin, changes=text.removeprefix("new: "))
        else:
            edit = NOTE_EDITED.format(origin=draft.origin, changes=text)
            note = f"{note}; {edit}" if note else edit[0].upper() + edit[1:]
        est.loc[at, ["source", "boundary_note"]] = [EDITED_SOURCE, note]
    est["geometry"] = [_polygonal(g) for g in est.geometry]
    return est


def to_geojson(draft: Draft) -> bytes:
    """The layer as GeoJSON: ``estate_id``, ``name``, ``aliases``, ``source``,
    ``boundary_note`` per feature; ``placespend build --estates FILE`` reads it.

    Coordinates stay in British National Grid (EPSG:27700, declared in the file's ``crs``
    member, which GDAL, QGIS and placespend read), so the outlines rebuild exactly: a trip
    through longitude/latitude can move them by a transformation's error and open slivers
    between neighbours.

    Raises
    ------
    BoundaryError
        When estates overlap or one has no land (see :func:`check`).
    """
    check(draft)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estates.geojson"
        layer(draft).to_file(path, driver="GeoJSON", engine="pyogrio")
        return path.read_bytes()


def changed_ids(draft: Draft) -> list[str]:
    """The estates the draft changed or added."""
    return list(draft.changes)


def save_dataset(
    draft: Draft,
    name: str,
    con: duckdb.DuckDBPyConnection,
    *,
    home: Path | str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> views.Dataset:
    """Build the draft into a data set of its own under ``<home>/uploads/<name>/``, with the
    rest of the source store's inputs (its spend, contracts, catalogue, mapping, wards and
    small areas; the synthetic demo spend is drawn again, from the same seed).

    The saved GeoJSON is kept in the new data set's ``inputs/estates/`` folder.
    """
    stem = uploads.upload_name(name)
    if stem in (draft.origin, views.default_dataset().key):
        msg = (f"A data set called {quoted(stem)} is the one these estates came from (or the "
               "default); save under another name, so that it stays as it was.")
        raise PlacespendError(msg)
    data = to_geojson(draft)
    base = _source_inputs(con)
    files = [uploads.UploadedFile("estates", f"{stem}.geojson", data)]
    return uploads.build_upload(name, files, home=home, on_step=on_step, base=base)


def _source_inputs(con: duckdb.DuckDBPyConnection) -> build.BuildInputs:
    """The inputs the source store was built from (the demo's spend left to be drawn again)."""
    info = build.read_build_info(con)
    given = info.get("inputs") or {}
    spend = () if info.get("is_demo") else tuple(Path(p) for p in info.get("spend_files", []))
    missing = [str(p) for p in spend if not p.exists()]
    if missing:
        msg = (f"cannot build the edited estates with this data set's spend: its files are gone "
               f"({', '.join(missing)}); download the estates layer and build it with "
               "`placespend build --estates FILE --spend ...`.")
        raise PlacespendError(msg)
    names = ("contracts", "contracts_mapping", "boundaries", "catalogue", "wards", "small_areas",
             "mapping")
    kept: dict[str, Any] = {k: Path(given[k]) for k in names if k in given}
    return build.BuildInputs(spend=spend, **kept)


def summary(draft: Draft) -> str:
    """What the draft changed, in one line."""
    if not draft.changes:
        return f"No changes yet to the {len(draft.estates)} estates of {draft.origin}."
    parts = [f"{draft.estate(e)['name']}: {'; '.join(d).replace('new: ', 'new, from ')}"
             for e, d in draft.changes.items()]
    return f"Changed from {draft.origin}: " + " | ".join(parts)



def toggle(draft: Draft, estate_id: str, layers: Layers, kind: str, item: str,
           in_estate: bool) -> Draft:
    """A map click: the block or piece leaves the estate if in it, else joins it."""
    ids = {"block_ids": [item]} if kind == "block" else {"piece_ids": [item]}
    return (remove if in_estate else add)(draft, estate_id, layers, **ids)


def before_and_now(start: Draft, draft: Draft, estate_id: str,
                   layers: Layers) -> tuple[dict[str, float], dict[str, float]]:
    """An estate's :func:`measure` figures in the data set (zeros for a new estate) and in
    the draft."""
    was = start.estates.set_index("estate_id").geometry.get(estate_id, shapely.MultiPolygon())
    before, now = measure([was, draft.estate(estate_id).geometry], layers).to_dict("records")
    return before, now


# ---- what the page offers ------------------------------------------------------------------

PICK_LISTS = {"add_blocks": "Add blocks", "remove_blocks": "Remove blocks",
              "add_pieces": "Add output-area pieces",
              "remove_pieces": "Remove output-area pieces"}
FIGURES = {"area_m2": "Area (m²)", "households_est": "Households (est.)",
           "council_households_est": "Council households (est.)"}


def pick_lists(blocks: pd.DataFrame, pieces: pd.DataFrame) -> dict[str, dict[str, str]]:
    """For each of :data:`PICK_LISTS`, the ids it offers with their labels (from
    :func:`near_blocks` and :func:`near_pieces`)."""
    def labels(frame: pd.DataFrame, id_col: str, inside: bool) -> dict[str, str]:
        chosen = frame[frame["in_estate"] == inside]
        return dict(zip(chosen[id_col], chosen["label"], strict=True))

    return {"add_blocks": labels(blocks, "block_id", False),
            "remove_blocks": labels(blocks, "block_id", True),
            "add_pieces": labels(pieces, "piece_id", False),
            "remove_pieces": labels(pieces, "piece_id", True)}


def apply(draft: Draft, estate_id: str, layers: Layers, picks: Mapping[str, Iterable[str]]
          ) -> Draft:
    """The picks of :data:`PICK_LISTS` applied to the estate: removals, then additions."""
    gone = {k: list(picks.get(f"remove_{k}", ())) for k in ("blocks", "pieces")}
    if gone["blocks"] or gone["pieces"]:
        draft = remove(draft, estate_id, layers, gone["blocks"], gone["pieces"])
    new = {k: list(picks.get(f"add_{k}", ())) for k in ("blocks", "pieces")}
    if new["blocks"] or new["pieces"]:
        draft = add(draft, estate_id, layers, new["blocks"], new["pieces"])
    return draft
