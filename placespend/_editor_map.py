"""The estate editor's map: the estates around the one being edited, its output-area pieces
and the blocks near it, both pickable (plumbing of :mod:`placespend.estate_editor`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pydeck as pdk

from placespend import maps
from placespend.layers import CRS

if TYPE_CHECKING:
    from placespend.estate_editor import Draft

NEAR_M = 150.0  # blocks and pieces offered for an estate lie this close to it (and are shown)

BLOCK_LAYER_ID = "editor_blocks"
PIECE_LAYER_ID = "editor_pieces"
SHOWN_M = 400.0  # estates this close to the edited one are drawn around it
IN_RGBA = (213, 94, 0, 220)  # Okabe-Ito vermillion: in the estate being edited
FREE_RGBA = (0, 114, 178, 200)  # Okabe-Ito blue: in no estate, can be added
HELD_RGBA = (120, 120, 120, 160)  # in another estate
TOOLTIP = {"html": "{label}", "style": {"backgroundColor": "#222", "color": "white",
                                        "fontSize": "0.8rem"}}


def _records(frame: gpd.GeoDataFrame, columns: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=[*columns, "polygon"])
    return maps.polygon_records(maps.to_wgs84(frame), columns)


def _fill(frame: pd.DataFrame) -> list[list[int]]:
    out = []
    for r in frame.itertuples():
        if getattr(r, "in_estate", False):
            out.append(list(IN_RGBA))
        elif getattr(r, "holder", None) is not None and isinstance(r.holder, str):
            out.append(list(HELD_RGBA))
        else:
            out.append(list(FREE_RGBA))
    return out


def deck(draft: Draft, estate_id: str, blocks: pd.DataFrame, pieces: pd.DataFrame,
         context: maps.Context) -> pdk.Deck:
    """The editor's map around one estate: the estates near it (the edited one outlined),
    its output-area pieces and the blocks near it, both pickable (a click toggles one).

    Blocks are vermillion in the estate, blue in none (a click adds them) and grey in another
    estate; pieces are outlined in the same colours.
    """
    geom = draft.estate(estate_id).geometry
    est = draft.estates[draft.estates.dwithin(geom, SHOWN_M)].assign(label=lambda f: f["name"])
    estates = _records(est, ["estate_id", "label"])
    estates["fill"] = [list(IN_RGBA[:3]) + [70] if e == estate_id else [170, 170, 170, 90]
                       for e in estates["estate_id"]]
    block_rows = _records(gpd.GeoDataFrame(blocks, geometry="geometry", crs=CRS).assign(
        holder=blocks["holder"].astype(object)), ["block_id", "in_estate", "holder", "label"])
    block_rows["fill"] = _fill(block_rows)
    block_rows = block_rows.drop(columns="holder")
    piece_rows = _records(gpd.GeoDataFrame(pieces, geometry="geometry", crs=CRS),
                          ["piece_id", "in_estate", "label"])
    piece_rows["fill"] = _fill(piece_rows)
    minx, miny, maxx, maxy = gpd.GeoSeries([geom.buffer(NEAR_M)], crs=CRS).to_crs(
        maps.WGS84).total_bounds
    polygon = {"get_polygon": "polygon", "stroked": True}
    layers = [
        pdk.Layer("PolygonLayer", context.borough, id="borough", get_fill_color=[250, 250, 247],
                  get_line_color=[60, 60, 60], line_width_min_pixels=2, filled=True, **polygon),
        pdk.Layer("PathLayer", context.roads, id="roads", get_path="path",
                  get_color=[195, 195, 195], width_min_pixels=1, get_width=3),
        pdk.Layer("PolygonLayer", estates, id="editor_estates", get_fill_color="fill",
                  get_line_color=[40, 40, 40], line_width_min_pixels=1, filled=True, **polygon),
        pdk.Layer("PolygonLayer", piece_rows, id=PIECE_LAYER_ID, filled=True,
                  get_fill_color=[0, 0, 0, 0], get_line_color="fill", line_width_min_pixels=2,
                  pickable=True, auto_highlight=True, highlight_color=[255, 255, 255, 60],
                  **polygon),
        pdk.Layer("PolygonLayer", block_rows, id=BLOCK_LAYER_ID, filled=True,
                  get_fill_color="fill", get_line_color=[30, 30, 30], line_width_min_pixels=1,
                  pickable=True, auto_highlight=True, highlight_color=[255, 255, 255, 120],
                  **polygon),
    ]
    view = maps.view_state((float(minx), float(miny), float(maxx), float(maxy)), 700, 520)
    return maps.CompactDeck(layers=layers, initial_view_state=view, tooltip=TOOLTIP,
                            map_provider=None)


def picked(selection: object) -> list[tuple[str, str, bool]]:
    """What a click on the editor's map picked: ``(kind, id, in_estate)`` with kind
    ``"block"`` or ``"piece"``, from ``st.pydeck_chart(..., on_select=...)`` state."""
    try:
        objects = selection["selection"]["objects"]  # type: ignore[index]
    except (KeyError, TypeError):
        return []
    out = []
    for layer_id, kind, key in ((BLOCK_LAYER_ID, "block", "block_id"),
                                (PIECE_LAYER_ID, "piece", "piece_id")):
        for obj in objects.get(layer_id) or []:
            if isinstance(obj, dict) and obj.get(key):
                out.append((kind, str(obj[key]), bool(obj.get("in_estate"))))
    return out
