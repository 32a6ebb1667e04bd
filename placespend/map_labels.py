"""Map labels that do not collide: ward and estate names placed in Python, before the map is
sent, at the zoom the map opens on.

Each label is a box of text in screen pixels (its size is fixed in pixels, so a box is the same
at every zoom while the points it is anchored to move apart as the map is zoomed in: labels
that do not overlap at the opening zoom never overlap closer in). Labels are taken in order of
priority (wards before estates, larger first) and each is tried at a few points inside its
polygon, best first; the first point where its box overlaps no label already placed is kept,
and a label with no such point is left off.

Text widths are estimated, not measured: the map draws labels in a monospace font, whose
glyphs are all :data:`GLYPH_EM` of an em wide, and every box is padded by its halo.
The text is data from users' files: deck.gl's TextLayer draws it as glyphs, never as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

FONT_FAMILY = "DejaVu Sans Mono, Menlo, Consolas, monospace"
GLYPH_EM = 0.62  # advance width of a monospace glyph, in ems (DejaVu Sans Mono: 0.602)
LINE_EM = 1.2  # a line's height, in ems
HALO_PX = 2  # the white outline drawn around each glyph
GAP_PX = 3  # clear space kept between two labels
WARD_SIZE_PX = 13
ESTATE_SIZE_PX = 11
# Heights (as fractions of a polygon's bounding box) at which other anchor points are tried.
TRY_HEIGHTS = (0.5, 0.35, 0.65, 0.2, 0.8)


@dataclass(frozen=True)
class Candidate:
    """A label that may be drawn: what it names (``kind``, ``key``), its ``text``,
    ``size_px``, ``priority`` (higher first) and anchor ``points`` (lon, lat), best first."""

    kind: str
    key: str
    text: str
    size_px: float
    priority: float
    points: tuple[tuple[float, float], ...]


def text_box_px(text: str, size_px: float) -> tuple[float, float]:
    """Width and height in pixels of ``text`` at ``size_px``, halo and gap included."""
    pad = 2 * (HALO_PX + GAP_PX)
    return len(text) * GLYPH_EM * size_px + pad, LINE_EM * size_px + pad


def mercator_px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """World pixel coordinates of a point in Web Mercator at ``zoom`` (512 px tiles, as
    deck.gl counts them): x grows east, y grows south."""
    scale = 512 * 2**zoom
    x = (lon + 180) / 360 * scale
    phi = math.radians(lat)
    y = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * scale
    return x, y


def box_px(candidate: Candidate, point: tuple[float, float], zoom: float
           ) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the label centred on ``point`` at ``zoom``."""
    x, y = mercator_px(point[0], point[1], zoom)
    w, h = text_box_px(candidate.text, candidate.size_px)
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two (left, top, right, bottom) boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place(candidates: Sequence[Candidate], zoom: float, placed: pd.DataFrame | None = None
          ) -> pd.DataFrame:
    """The labels kept, greedily by priority: one row each with ``kind``, ``key``, ``text``,
    ``size_px``, ``position`` ([lon, lat]) and ``box`` (pixels at ``zoom``).

    Each label goes at its first anchor point whose box overlaps none already kept, nor any
    of ``placed`` (labels kept by an earlier call, left where they are); a label that has no
    such point is left off. Ties in priority keep the input order.
    """
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i].priority)
    kept: list[dict] = []
    fixed = [] if placed is None else [
        box_px(Candidate(k, "", t, size, 0.0, ()), (pos[0], pos[1]), zoom)
        for k, t, size, pos in zip(placed["kind"], placed["text"], placed["size_px"],
                                   placed["position"], strict=True)]
    for i in order:
        candidate = candidates[i]
        for point in candidate.points:
            box = box_px(candidate, point, zoom)
            if not any(overlaps(box, other["box"]) for other in kept) and not any(
                    overlaps(box, other) for other in fixed):
                kept.append({"kind": candidate.kind, "key": candidate.key, "text": candidate.text,
                             "size_px": candidate.size_px, "priority": candidate.priority,
                             "position": [round(point[0], 5), round(point[1], 5)],
                             "box": box})
                break
    columns = ["kind", "key", "text", "size_px", "priority", "position", "box"]
    return pd.DataFrame(kept, columns=columns)


def anchor_points(geometry, wgs84_crs: str = "EPSG:4326") -> list[list[tuple[float, float]]]:
    """For each polygon of ``geometry`` (a GeoSeries in a projected CRS), points inside it
    where a label may sit, best first: the representative point, then the middle of the
    widest stretch across the polygon at a few heights (where a long name has most room)."""
    out = []
    for geom in geometry:
        points = [geom.representative_point()]
        minx, miny, maxx, maxy = geom.bounds
        for f in TRY_HEIGHTS:
            y = miny + f * (maxy - miny)
            cut = geom.intersection(LineString([(minx - 1, y), (maxx + 1, y)]))
            parts = [g for g in getattr(cut, "geoms", [cut]) if isinstance(g, LineString)]
            if parts:
                widest = max(parts, key=lambda g: g.length)
                points.append(widest.interpolate(0.5, normalized=True))
        out.append(points)
    flat = gpd.GeoSeries([p for pts in out for p in pts], crs=geometry.crs).to_crs(wgs84_crs)
    xy = iter(zip(flat.x, flat.y, strict=True))
    return [[next(xy) for _ in pts] for pts in out]


def candidates(kind: str, frame: gpd.GeoDataFrame, key: str, text: str, size_px: float,
               priority: str, *, base: float = 0.0) -> list[Candidate]:
    """One :class:`Candidate` of ``kind`` per row of ``frame`` (projected CRS) that has a
    shape and a text. ``key``, ``text`` and ``priority`` are column names; the priority is the
    row's rank (0-1, larger values first) plus ``base``, so that one kind of label (wards)
    can come before another (estates)."""
    frame = frame[~frame.geometry.is_empty & frame.geometry.notna()]
    rank = pd.Series(frame[priority].to_numpy(dtype=float)).fillna(0.0).rank(pct=True).to_numpy()
    points = anchor_points(frame.geometry)
    return [Candidate(kind, str(k), str(t), size_px, base + float(r), tuple(p))
            for k, t, r, p in zip(frame[key], frame[text], rank, points, strict=True)
            if str(t).strip()]
