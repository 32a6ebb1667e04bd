"""The app's map: a pydeck choropleth of estates on the shipped context layers, with a classed
colour scale and its legend.

Everything here is pure: frames in, a :class:`pydeck.Deck` (or plain records) out, so it can be
tested without a browser. Geometry is reprojected to WGS84 once (:func:`to_wgs84`) and turned
into plain coordinate lists; the app caches those and rebuilds only the colours when a filter
changes. There is no web basemap unless asked for: the borough outline, wards, green spaces and
roads come from ``boundaries/`` so the map reads well offline.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize
from shapely import wkb
from shapely.geometry import MultiPolygon, Polygon

from placespend import map_labels, paths
from placespend.estate_names import DERIVED_SUFFIX
from placespend.layers import CRS

WGS84 = "EPSG:4326"
BNG = CRS
PALETTES = ("cividis", "viridis")
NO_DATA_RGB = (200, 200, 200)
SELECTED_RGB = (213, 94, 0)  # Okabe–Ito vermillion: stands out from cividis and viridis
ESTATE_LAYER_ID = "estates"  # the layer a click picks (simplified, invisible)
ESTATE_FILL_LAYER_ID = "estate_fill"  # the estates as drawn
# Road classes worth drawing at borough scale (footways and service roads would swamp it).
MAP_ROAD_CLASSES = frozenset(
    {
        "motorway",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "residential",
        "unclassified",
        "living_street",
    }
)
SOURCE_LABELS = {
    "osm": "OpenStreetMap estate boundary",
    "derived_from_blocks": "derived by placespend from homes (OSM building footprints) and "
    "2011 census tenure: not an official estate boundary",
    "user": "your own estates file",
}


SOURCE_SHORT = {
    "osm": "OpenStreetMap",
    "derived_from_blocks": "derived from homes (not official)",
    "user": "your estates file",
}


def source_label(source: str, *, short: bool = False) -> str:
    """How an estate's boundary was made, in words (derived from homes, OSM or the user's
    file); a derived one always says it is not an official boundary."""
    return (SOURCE_SHORT if short else SOURCE_LABELS).get(source, source)


# ---- colour scale ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassScale:
    """A classed colour scale: ``breaks`` (n+1 ascending values) bound n classes.

    Class *i* holds values in ``[breaks[i], breaks[i+1])``; the last class is closed at the top,
    so every value from ``breaks[0]`` to ``breaks[-1]`` falls in exactly one class.
    """

    breaks: tuple[float, ...]
    colours: tuple[tuple[int, int, int], ...]
    labels: tuple[str, ...]
    counts: tuple[int, ...]

    @property
    def n_classes(self) -> int:
        return len(self.colours)

    def classify(self, values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
        """Class index of each value (-1 for missing values)."""
        arr = np.asarray(values, dtype=float)
        inner = np.asarray(self.breaks[1:-1], dtype=float)
        idx = np.searchsorted(inner, arr, side="right")
        return np.where(np.isnan(arr), -1, idx)

    def colour(self, values: Sequence[float] | np.ndarray | pd.Series) -> list[list[int]]:
        """RGB of each value's class (grey for missing values)."""
        return [
            list(NO_DATA_RGB) if i < 0 else list(self.colours[i]) for i in self.classify(values)
        ]


def palette(name: str, n: int) -> list[tuple[int, int, int]]:
    """``n`` evenly spaced colours of a perceptually uniform, colour-blind-safe colormap."""
    if name not in PALETTES:
        msg = f"Unknown palette '{name}': choose one of {', '.join(PALETTES)}."
        raise ValueError(msg)
    cmap = matplotlib.colormaps[name]
    points = [0.5] if n == 1 else np.linspace(0.0, 1.0, n)
    rgb = [cmap(p)[:3] for p in points]
    return [(int(round(r * 255)), int(round(g * 255)), int(round(b * 255))) for r, g, b in rgb]


def quantile_scale(
    values: Sequence[float] | np.ndarray | pd.Series,
    n_classes: int = 5,
    palette_name: str = "cividis",
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> ClassScale:
    """Quantile classes over the non-missing values: about as many places in each class.

    Breaks are the 0, 1/n, …, 1 quantiles, with repeated breaks merged (so fewer classes when
    many values tie); the first break is the minimum and the last the maximum.
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return ClassScale((0.0, 0.0), (palette(palette_name, 1)[0],), ("no data",), (0,))
    qs = np.quantile(arr, np.linspace(0.0, 1.0, n_classes + 1))
    breaks = tuple(float(b) for b in np.unique(qs))
    if len(breaks) == 1:
        breaks = (breaks[0], breaks[0])
    n = len(breaks) - 1
    colours = tuple(palette(palette_name, n))
    labels = tuple(f"{fmt(breaks[i])} – {fmt(breaks[i + 1])}" for i in range(n))
    provisional = ClassScale(breaks, colours, labels, (0,) * n)
    counts = np.bincount(provisional.classify(arr), minlength=n)
    return ClassScale(breaks, colours, labels, tuple(int(c) for c in counts))


def legend_html(scale: ClassScale, title: str, *, no_data: int = 0) -> str:
    """The legend as a small HTML list: a swatch, the class range and how many estates."""
    items = [
        _legend_item(rgb, f"{label} ({count} estate{'s' if count != 1 else ''})")
        for rgb, label, count in zip(scale.colours, scale.labels, scale.counts, strict=True)
    ]
    if no_data:
        items.append(_legend_item(NO_DATA_RGB, f"no data ({no_data})"))
    body = "".join(items)
    return (
        f'<div role="group" aria-label="{html.escape(title)}" style="font-size:0.85rem">'
        f"<strong>{html.escape(title)}</strong>"
        f'<ul style="list-style:none;padding-left:0;margin:0.25rem 0">{body}</ul></div>'
    )


def _legend_item(rgb: Sequence[int], text: str) -> str:
    swatch = (
        '<span aria-hidden="true" style="display:inline-block;width:1.1em;height:1.1em;'
        f"vertical-align:middle;margin-right:0.4em;border:1px solid #555;"
        f'background:rgb({rgb[0]},{rgb[1]},{rgb[2]})"></span>'
    )
    return f"<li>{swatch}{html.escape(text)}</li>"


# ---- geometry to records -------------------------------------------------------------------


def frame_from_wkb(frame: pd.DataFrame, column: str = "geometry_wkb") -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:27700 from a store table with a WKB column."""
    out = pd.DataFrame(frame.drop(columns=column))
    geometry = [wkb.loads(bytes(b)) for b in frame[column]]
    return gpd.GeoDataFrame(out, geometry=geometry, crs=BNG)


def to_wgs84(frame: gpd.GeoDataFrame, simplify_m: float = 0.0) -> gpd.GeoDataFrame:
    """Simplify (in metres, in the source CRS) and reproject to WGS84 for deck.gl."""
    out = frame
    if simplify_m > 0:
        out = out.copy()
        out["geometry"] = out.geometry.simplify(simplify_m, preserve_topology=True)
    return out.to_crs(WGS84)


# Estates are simplified to this many metres before they are sent: at the closest view the map
# opens on (zoom 14, about 6 m a pixel at Camden's latitude) that is half a pixel, so the drawing
# does not change, while the estate layer is 40% smaller than at 1 m.
ESTATE_TOLERANCE_M = 3.0

# Five decimals of a degree are about a metre here: finer than any outline's accuracy, and
# each coordinate sent to the browser is two characters shorter than at six.
COORD_DIGITS = 5


def _ring(coords, digits: int = COORD_DIGITS) -> list[list[float]]:
    return [[round(x, digits), round(y, digits)] for x, y, *_ in coords]


def _polygons(geom) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]


def polygon_records(frame: gpd.GeoDataFrame, columns: Sequence[str] = ()) -> pd.DataFrame:
    """One row per polygon part: ``polygon`` (outer ring then holes, lon/lat) plus ``columns``.

    A multipolygon becomes several rows that repeat its attributes, so a deck.gl
    ``PolygonLayer`` can draw it and a click on any part picks the same feature.
    """
    rows = []
    for record, geom in zip(
        frame[list(columns)].to_dict("records"), frame.geometry, strict=True
    ):
        for part in _polygons(geom):
            rings = [_ring(part.exterior.coords)] + [_ring(r.coords) for r in part.interiors]
            rows.append({**record, "polygon": rings})
    return pd.DataFrame(rows, columns=[*columns, "polygon"])


def path_records(frame: gpd.GeoDataFrame, columns: Sequence[str] = ()) -> pd.DataFrame:
    """One row per line part (``path``, lon/lat), for a deck.gl ``PathLayer``."""
    rows: list[dict] = []
    for record, geom in zip(
        frame[list(columns)].to_dict("records"), frame.geometry, strict=True
    ):
        parts = getattr(geom, "geoms", [geom])
        rows.extend({**record, "path": _ring(p.coords)} for p in parts if not p.is_empty)
    return pd.DataFrame(rows, columns=[*columns, "path"])


# A click is picked on a copy of the estates simplified to about this many metres (no
# stroke, no holes smaller than it): deck.gl renders every vertex of a pickable layer on each
# pick, and with the drawn outlines (3 m) a pick under software rendering (no GPU) took
# ~670 ms, longer than the 250 ms deck.gl waits for a tap to end, so a click selected nothing.
# At the opening zoom (about 12 m a pixel) 15 m is a pixel or so.
HIT_TOLERANCE_M = 15.0
_M_PER_DEGREE_LAT = 111_320.0


def hit_polygons(records: pd.DataFrame, tolerance_m: float = HIT_TOLERANCE_M) -> list:
    """Each :func:`polygon_records` row's rings strongly simplified, for picking only: the
    outline without keeping its topology (a part that would vanish keeps its convex hull).
    The tolerance is in degrees of latitude (so 0.6 of it east-west, at London's latitude)."""
    tolerance = tolerance_m / _M_PER_DEGREE_LAT
    out = []
    for rings in records["polygon"]:
        shape = Polygon(rings[0], rings[1:]) if len(rings[0]) >= 4 else None
        if shape is None:
            out.append(rings)
            continue
        simple = shape.simplify(tolerance, preserve_topology=False)
        if not isinstance(simple, Polygon) or simple.is_empty:
            simple = shape.convex_hull
        if not isinstance(simple, Polygon):
            out.append(rings)
            continue
        out.append([_ring(simple.exterior.coords)] + [_ring(r.coords) for r in simple.interiors])
    return out


def with_hit_polygons(records: pd.DataFrame) -> pd.DataFrame:
    """``records`` with a ``hit_polygon`` column (:func:`hit_polygons`)."""
    return records.assign(hit_polygon=hit_polygons(records) if len(records) else [])


# ---- context layers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Background layers as deck.gl records (WGS84): what makes the map readable offline."""

    borough: pd.DataFrame
    wards: pd.DataFrame
    ward_labels: pd.DataFrame  # ward_name, position: the ward names that fit (map_labels)
    green_spaces: pd.DataFrame
    roads: pd.DataFrame
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    # estate_id, text, position: the estate names that fit beside the ward names at the
    # borough's opening zoom, and (more of them) at zooms 13 and 14, where a map found on one
    # estate opens; label_zooms says at which zoom each set was placed
    estate_labels: pd.DataFrame = field(default_factory=lambda: _no_labels())
    estate_labels_13: pd.DataFrame = field(default_factory=lambda: _no_labels())
    estate_labels_14: pd.DataFrame = field(default_factory=lambda: _no_labels())
    label_zooms: dict[str, float] = field(default_factory=dict)


def _no_labels() -> pd.DataFrame:
    return pd.DataFrame(columns=["estate_id", "text", "position"])


# Closer zooms for which estate names are placed again (a name placed at one zoom fits at
# every closer one, so each set is used from its zoom in).
CLOSER_LABEL_ZOOMS = {"estate_labels_13": 13.0, "estate_labels_14": 14.0}


def load_context(
    wards: gpd.GeoDataFrame,
    boundaries_dir: Path | None = None,
    estates: gpd.GeoDataFrame | None = None,
) -> Context:
    """Borough outline, green spaces and main roads from ``boundaries/``, ``wards`` (the
    store's wards, EPSG:27700) and the names of wards and ``estates`` (``estate_id``,
    ``estate_name``, ``area_m2``, EPSG:27700) that fit at the zoom the map opens on;
    reprojected to WGS84 once."""
    folder = boundaries_dir or paths.BOUNDARIES_DIR
    borough = _read_layer(folder, "borough")
    green = _read_layer(folder, "green_spaces")
    roads = _read_layer(folder, "roads")
    if len(roads) and "highway" in roads.columns:
        roads = roads[roads["highway"].isin(MAP_ROAD_CLASSES)]
    wards_wgs = to_wgs84(wards, simplify_m=5)
    extent = borough if len(borough) else wards
    minx, miny, maxx, maxy = extent.to_crs(WGS84).total_bounds
    bounds = (float(minx), float(miny), float(maxx), float(maxy))
    zoom = view_state(bounds).zoom
    ward_labels, placed = map_labels_at(zoom, wards, estates)
    zooms = {"estate_labels": zoom} | {k: max(z, zoom) for k, z in CLOSER_LABEL_ZOOMS.items()}
    sets = {"estate_labels": _estate_labels(placed)}
    for name in CLOSER_LABEL_ZOOMS:  # each closer set keeps the names of the farther one
        if zooms[name] > zoom:
            placed = map_labels_at(zooms[name], wards, estates, placed)[1]
        sets[name] = _estate_labels(placed)
    return Context(
        borough=polygon_records(to_wgs84(borough, simplify_m=5)),
        wards=polygon_records(wards_wgs, ["ward_name"]),
        ward_labels=ward_labels,
        green_spaces=polygon_records(to_wgs84(green, simplify_m=3)),
        roads=path_records(to_wgs84(roads, simplify_m=3), ["highway"]),
        bounds=bounds,
        **sets,
        label_zooms=zooms,
    )


def map_labels_at(
    zoom: float,
    wards: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame | None = None,
    placed: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ward names (``ward_name``, ``position``) and all the labels kept
    (:func:`placespend.map_labels.place`) whose boxes overlap no other at ``zoom``: every ward
    before any estate, larger ones first. With ``placed`` (labels kept at a farther zoom),
    those stay where they are and only the estates not among them are placed around them.
    An estate's name goes without " (derived)": its tooltip says how its boundary was made."""
    found = []
    if placed is None:
        wards = wards.assign(label_priority=wards.geometry.area)
        found = map_labels.candidates("ward", wards, "ward_name", "ward_name",
                                      map_labels.WARD_SIZE_PX, "label_priority", base=1.0)
    if estates is not None and len(estates):
        short = estates["estate_name"].astype(str).str.removesuffix(DERIVED_SUFFIX)
        found += map_labels.candidates("estate", estates.assign(label_text=short), "estate_id",
                                       "label_text", map_labels.ESTATE_SIZE_PX, "area_m2")
    if placed is not None:
        done = set(placed.loc[placed["kind"] == "estate", "key"])
        found = [c for c in found if c.key not in done]
    kept = map_labels.place(found, zoom, placed)
    if placed is not None:
        kept = pd.concat([placed, kept], ignore_index=True)
    ward = kept[kept["kind"] == "ward"]
    ward_labels = pd.DataFrame({"ward_name": ward["text"].to_numpy(),
                                "position": ward["position"].to_numpy()})
    return ward_labels, kept


def _estate_labels(kept: pd.DataFrame) -> pd.DataFrame:
    estate = kept[kept["kind"] == "estate"]
    return pd.DataFrame({"estate_id": estate["key"].to_numpy(),
                         "text": estate["text"].to_numpy(),
                         "position": estate["position"].to_numpy()})


def _read_layer(folder: Path, name: str) -> gpd.GeoDataFrame:
    path = folder / f"{name}.parquet"
    if not path.exists():
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=BNG), crs=BNG)
    return gpd.read_parquet(path)


CONTEXT_LAYERS = ("borough", "wards", "green_spaces", "roads", "ward_labels", "estate_labels",
                  *CLOSER_LABEL_ZOOMS)


def write_layer_files(context: Context, folder: Path) -> dict[str, str]:
    """Write each context layer's records once, as compact JSON named by its content, into
    ``folder``; return the file name of each layer.

    The browser fetches these by URL (and keeps them), so a rerun that changes the estates'
    colours sends the estate layer only, never the roads, green spaces and wards again. Files
    are written to a temporary name and renamed, so a session never reads half a file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for layer in CONTEXT_LAYERS:
        records = getattr(context, layer).to_dict(orient="records")
        body = json.dumps(records, separators=(",", ":"), default=default_serialize).encode()
        name = f"{layer}-{hashlib.sha256(body).hexdigest()[:16]}.json"
        target = folder / name
        if not target.exists():
            tmp = folder / f".{name}.{os.getpid()}.tmp"
            tmp.write_bytes(body)
            tmp.replace(target)
        names[layer] = name
    return names


# ---- the deck ------------------------------------------------------------------------------


def estate_layer_data(
    shapes: pd.DataFrame,
    values: pd.DataFrame,
    scale: ClassScale,
    value_column: str,
    fmt: Callable[[float], str],
) -> pd.DataFrame:
    """Estate polygon records joined to their figures, with fill colour and tooltip text.

    ``shapes`` comes from :func:`polygon_records` (with ``estate_id``); ``values`` has one row per
    estate with ``estate_id``, ``value_column``, and the tooltip fields ``estate_name``,
    ``boundary``, ``total_text`` and ``per_household_text``.
    """
    merged = shapes.merge(values, on="estate_id", how="left", suffixes=("_shape", ""))
    merged["fill"] = scale.colour(merged[value_column])
    merged["value_text"] = [
        "no data" if pd.isna(v) else fmt(v) for v in merged[value_column]
    ]
    return merged[[c for c in ESTATE_FIELDS if c in merged.columns]]


def view_state(
    bounds: tuple[float, float, float, float], width_px: int = 820, height_px: int = 620
) -> pdk.ViewState:
    """A view centred on ``bounds`` at the zoom that fits them into ``width_px`` × ``height_px``.

    Web Mercator at zoom *z* spans 512·2^z pixels per 360° of longitude; latitude spans are
    stretched by 1/cos(latitude).
    """
    minx, miny, maxx, maxy = bounds
    lat = (miny + maxy) / 2
    dlon = max(maxx - minx, 1e-6)
    dlat = max((maxy - miny) / np.cos(np.radians(lat)), 1e-6)
    zoom = min(np.log2(width_px * 360 / (512 * dlon)), np.log2(height_px * 360 / (512 * dlat)))
    zoom = float(np.clip(zoom - 0.1, 1, 18))
    return pdk.ViewState(longitude=(minx + maxx) / 2, latitude=lat, zoom=round(zoom, 2))


def polygon_bounds(records: pd.DataFrame) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of :func:`polygon_records` rows."""
    points = np.array([pt for rings in records["polygon"] for pt in rings[0]], dtype=float)
    return (float(points[:, 0].min()), float(points[:, 1].min()),
            float(points[:, 0].max()), float(points[:, 1].max()))


def focus_view(records: pd.DataFrame, estate_id: str, max_zoom: float = 14.0) -> pdk.ViewState:
    """A view on one estate and its surroundings (its extent fits a quarter of the map)."""
    rows = records[records["estate_id"] == estate_id]
    view = view_state(polygon_bounds(rows), 820 // 4, 620 // 4)
    view.zoom = round(min(view.zoom, max_zoom), 2)
    return view


# What the estate layers send to the browser: the outline and its colour (drawn), and the
# simplified outline, the id a click returns and the tooltip's fields (picked); nothing else,
# since every field of every estate is sent each time.
ESTATE_FIELDS = ("estate_id", "polygon", "hit_polygon", "fill", "estate_name",
                 "boundary_short", "total_text", "per_household_text", "value_text")

# Streamlit's deck.gl chart HTML-escapes each {field} it substitutes into the tooltip (checked
# in the browser by tests/e2e/test_hostile_browser.py), so names go in as they are.
TOOLTIP = {
    "html": (
        "<b>{estate_name}</b><br/>Boundary: {boundary_short}<br/>Total: {total_text}"
        "<br/>Per household: {per_household_text}<br/>Map colour: {value_text}"
    ),
    "style": {"backgroundColor": "#222", "color": "white", "fontSize": "0.8rem"},
}


def deck(
    estates: pd.DataFrame,
    context: Context,
    selected_id: str | None = None,
    *,
    basemap: str | None = None,
    focus_id: str | None = None,
    layer_urls: dict[str, str] | None = None,
) -> pdk.Deck:
    """The map: context layers under the estate choropleth, the selected estate outlined.

    Parameters
    ----------
    estates
        From :func:`estate_layer_data` (``polygon``, ``fill``, ``estate_id`` and tooltip fields).
    context
        From :func:`load_context`.
    selected_id
        Estate drawn with a thick outline.
    basemap
        ``None`` (default) draws no web basemap at all, so nothing is fetched from the internet;
        ``"light"`` adds Carto's light basemap (needs internet).
    focus_id
        Open the map on this estate rather than on the whole borough.
    layer_urls
        Where the browser can fetch each context layer (from :func:`write_layer_files`); a
        layer named here is sent as its URL instead of its records, so it is sent once.
    """
    urls = layer_urls or {}
    focus = focus_id is not None and bool((estates["estate_id"] == focus_id).any())
    view = (focus_view(estates, focus_id) if focus_id is not None and focus
            else view_state(context.bounds))
    labels = estate_labels_for(context, view.zoom)

    def data(name: str):
        return urls.get(name, getattr(context, name))

    layers = [
        pdk.Layer(
            "PolygonLayer",
            data("borough"),
            id="borough",
            get_polygon="polygon",
            get_fill_color=[250, 250, 247] if basemap is None else [0, 0, 0, 0],
            get_line_color=[60, 60, 60],
            line_width_min_pixels=2,
            stroked=True,
            filled=True,
        ),
        pdk.Layer(
            "PolygonLayer",
            data("green_spaces"),
            id="green_spaces",
            get_polygon="polygon",
            get_fill_color=[183, 221, 176, 200],
            stroked=False,
            filled=True,
        ),
        pdk.Layer(
            "PathLayer",
            data("roads"),
            id="roads",
            get_path="path",
            get_color=[195, 195, 195],
            width_min_pixels=1,
            width_max_pixels=2,
            get_width=3,
        ),
        pdk.Layer(
            "PolygonLayer",
            data("wards"),
            id="wards",
            get_polygon="polygon",
            filled=False,
            stroked=True,
            get_line_color=[90, 90, 120],
            line_width_min_pixels=1,
        ),
        pdk.Layer(
            "PolygonLayer",
            estates[["polygon", "fill"]],
            id=ESTATE_FILL_LAYER_ID,
            get_polygon="polygon",
            get_fill_color="fill",
            get_line_color=[40, 40, 40],
            line_width_min_pixels=1,
            stroked=True,
            filled=True,
        ),
        # What a click or a hover picks: the same estates, simplified, invisible (see
        # HIT_TOLERANCE_M), carrying the id a click returns and the tooltip's fields.
        pdk.Layer(
            "SolidPolygonLayer",
            _hit_data(estates),
            id=ESTATE_LAYER_ID,
            get_polygon="hit_polygon",
            get_fill_color=[0, 0, 0, 0],
            filled=True,
            pickable=True,
            auto_highlight=True,
            highlight_color=[255, 255, 255, 90],
        ),
        _label_layer(data(labels), "estate_names", "text", map_labels.ESTATE_SIZE_PX,
                     [25, 25, 25], 600, getattr(context, labels)["text"]),
        _label_layer(data("ward_labels"), "ward_names", "ward_name", map_labels.WARD_SIZE_PX,
                     [40, 40, 70], 600, context.ward_labels["ward_name"]),
    ]
    if selected_id is not None:
        chosen = estates[estates["estate_id"] == selected_id]
        layers.append(
            pdk.Layer(
                "PolygonLayer",
                chosen[["estate_id", "polygon"]],
                id="selected",
                get_polygon="polygon",
                filled=False,
                stroked=True,
                get_line_color=list(SELECTED_RGB),
                line_width_min_pixels=4,
            )
        )
    kwargs = {"map_provider": None} if basemap is None else {"map_style": basemap}
    return CompactDeck(
        layers=layers,
        initial_view_state=view,
        tooltip=TOOLTIP,
        **kwargs,
    )


def estate_labels_for(context: Context, zoom: float) -> str:
    """Which of the context's estate-name sets a map opening at ``zoom`` draws: the one placed
    at the closest zoom not closer than it (its names overlap neither there nor closer in)."""
    fits = [(z, name) for name, z in context.label_zooms.items() if z <= zoom + 1e-9]
    return max(fits)[1] if fits else "estate_labels"


def _label_layer(records, layer_id: str, text: str, size_px: int, rgb: list[int],
                 weight: int, texts: pd.Series) -> pdk.Layer:
    # Text in the monospace font map_labels measures with, at a size fixed in pixels, so the
    # labels it placed apart at the opening zoom stay apart closer in. The font atlas holds
    # printable ASCII and every other character the names use (they come from users' files).
    chars = set(map(chr, range(32, 127))) | set("".join(map(str, texts)))
    layer = pdk.Layer(
        "TextLayer",
        records,
        id=layer_id,
        get_position="position",
        get_text=text,
        get_size=size_px,
        get_color=rgb,
        font_weight=weight,
        outline_width=map_labels.HALO_PX,
        outline_color=[255, 255, 255],
        font_settings={"sdf": True},
        billboard=True,
    )
    # Set after the layer is made: pydeck turns every string argument into a JavaScript
    # expression, which a font name or a quote in a name would break.
    layer.font_family = map_labels.FONT_FAMILY
    layer.character_set = "".join(sorted(c for c in chars if c.isprintable()))
    return layer


def _hit_data(estates: pd.DataFrame) -> pd.DataFrame:
    hits = estates if "hit_polygon" in estates.columns else with_hit_polygons(estates)
    return hits.drop(columns=["polygon", "fill"], errors="ignore")


class CompactDeck(pdk.Deck):
    """A deck whose JSON has no indentation: pydeck indents by two spaces per level, which
    made two thirds of what the map sent to the browser (2.1 MB for 0.7 MB of data)."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


BASEMAP_STYLE_URL = pdk.map_styles.CARTO_LIGHT  # what basemap="light" draws


def basemap_reachable(url: str = BASEMAP_STYLE_URL, timeout_s: float = 2.0) -> bool:
    """Whether the web basemap's style can be fetched from here (the only network call the
    map makes, and only when the basemap is asked for)."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:  # noqa: S310 - fixed https URL
            return answer.status == 200
    except (OSError, ValueError):
        return False


def selected_estate(selection: object) -> str | None:
    """The estate id picked on the map, from ``st.pydeck_chart(..., on_select=...)`` state."""
    try:
        objects = selection["selection"]["objects"]  # type: ignore[index]
        picked = objects.get(ESTATE_LAYER_ID) or []
    except (KeyError, TypeError, AttributeError):
        return None
    for obj in picked:
        if isinstance(obj, dict) and obj.get("estate_id"):
            return str(obj["estate_id"])
    return None
