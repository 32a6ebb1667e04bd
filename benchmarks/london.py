"""The geometric scale case: all of London as one "borough" of 33 boroughs.

Real geometry from ``../shared/data/london_census_geographies_2021/`` (or
``$PLACESPEND_SHARED_DATA``; read at bench time only, and the case is skipped, with a note,
when the folder is absent): the 4,994 LSOAs (2021, 20 m
generalised) are the small areas and the 33 local authorities play the wards. Everything else
is generated, seeded, at Camden's density per LSOA, so that atoms *and keys* are measured on a
realistic load:

* **estates**: one in 55% of LSOAs (Camden: 71 estates over 130 LSOAs), each a randomly
  rotated rectangle of 10-50% of its LSOA's area around a point inside it, clipped to the LSOA
  shrunk by 2 m, so estates never overlap;
* **context layers** with Camden's count per LSOA (Poisson): residential footprints (boxes of
  6-20 m), green spaces (discs of 10-80 m radius, overlapping as parks and playgrounds do),
  trees and waste points (points), roads (straight segments of 30-200 m);
* **counts**: ``residents`` and ``residents_65_plus`` from ONS mid-2020 estimates where the
  LSOA's code is unchanged since 2011 (93%), else the borough's median density times area;
  the other census counts are absent, so their keys fall back to area (the build says so).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.data import CACHE_DIR
from benchmarks.measure import Body, stage
from placespend import settings
from placespend.layers import CRS

SHARED_DIR = Path(settings.SHARED_DATA.value()
                  or Path(__file__).resolve().parents[2] / "shared" / "data")
LONDON_DIR = SHARED_DIR / "london_census_geographies_2021"
CAMDEN_CODE = "E09000007"
ESTATE_SHARE = 71 / 130  # Camden's estates per LSOA
LAYER_VERSION = 1


def available(source: Path = LONDON_DIR) -> bool:
    """Whether the shared London geographies are there to read."""
    return (source / "london-2021-lsoa-gen20.shp").exists()


def write_layers(out: Path | None = None, *, source: Path = LONDON_DIR, seed: int = 2030,
                 boroughs: Sequence[str] | None = None) -> Path:
    """Write (or reuse) the London boundary folder: wards, small areas, estates, context layers.

    ``boroughs`` (GSS codes, e.g. ``E09000001``) keeps only those boroughs (smoke runs); the
    context layers keep Camden's density per LSOA either way.

    Returns the folder, readable by :func:`placespend.boundaries.load_boundaries`.
    """
    out = Path(out or CACHE_DIR / f"london_seed{seed}")
    stamp = out / "stamp.json"
    wanted = sorted(boroughs) if boroughs else None
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("version") == LAYER_VERSION and info.get("boroughs") == wanted:
            return out
    out.mkdir(parents=True, exist_ok=True)
    lsoa = gpd.read_file(source / "london-2021-lsoa-gen20.shp").to_crs(CRS)
    lad = gpd.read_file(source / "london-2021-lad22-gen20.shp").to_crs(CRS)
    per_lsoa = _camden_per_lsoa(lsoa)
    if wanted:
        lsoa = lsoa[lsoa["LAD22CD"].isin(wanted)].reset_index(drop=True)
        lad = lad[lad["LAD22CD"].isin(wanted)].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    wards = gpd.GeoDataFrame({"ward_code": lad["LAD22CD"], "ward_name": lad["LAD22NM"]},
                             geometry=lad.geometry.to_numpy(), crs=CRS)
    small = _small_areas(lsoa, source)
    estates = _estates(rng, lsoa)
    layers = {
        "wards": wards,
        "small_areas": small,
        "estates": estates,
        **_context(rng, lsoa, per_lsoa),
    }
    for name, frame in layers.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    counts = {name: len(frame) for name, frame in layers.items()}
    stamp.write_text(json.dumps({"version": LAYER_VERSION, "seed": seed, "boroughs": wanted,
                                 "counts": counts}))
    return out


def layer_counts(folder: Path) -> dict[str, int]:
    """Features per layer of a folder written by :func:`write_layers`."""
    return json.loads((folder / "stamp.json").read_text())["counts"]


def _small_areas(lsoa: gpd.GeoDataFrame, source: Path) -> gpd.GeoDataFrame:
    pop = pd.read_csv(source / "london-mid2020-pop.csv").set_index("LSOA11CD")
    small = gpd.GeoDataFrame({"area_code": lsoa["LSOA21CD"], "borough": lsoa["LAD22CD"]},
                             geometry=lsoa.geometry.to_numpy(), crs=CRS)
    area = small.area
    for key, column in (("residents", "Persons_All-Ages"), ("residents_65_plus", "Persons_65+")):
        known = small["area_code"].map(pop[column]).astype(float)
        density = (known / area).groupby(small["borough"]).transform("median")
        small[key] = known.fillna(density * area).round()
    return small.drop(columns="borough")


def _estates(rng: np.random.Generator, lsoa: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    n = round(len(lsoa) * ESTATE_SHARE)
    chosen = np.sort(rng.choice(len(lsoa), size=n, replace=False))
    inner = shapely.buffer(lsoa.geometry.to_numpy()[chosen], -2.0)
    centre = shapely.point_on_surface(inner)
    area = shapely.area(inner) * rng.uniform(0.1, 0.5, size=n)
    aspect = rng.uniform(0.5, 2.0, size=n)
    w, h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    rect = _rectangles(shapely.get_x(centre), shapely.get_y(centre), w, h,
                       rng.uniform(0, np.pi, size=n))
    shapes = [_largest(g) for g in shapely.intersection(inner, rect)]
    codes = lsoa["LSOA21CD"].to_numpy()[chosen]
    frame = gpd.GeoDataFrame(
        {"estate_id": [f"gen-{c}" for c in codes],
         "name": [f"Generated estate {i + 1} ({c})" for i, c in enumerate(codes)],
         "source": "user"},
        geometry=shapes, crs=CRS)
    keep = ~frame.geometry.is_empty & (frame.area > 200)
    return frame[keep].reset_index(drop=True)


def _rectangles(x, y, w, h, angle) -> np.ndarray:
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    xs = x[:, None] + dx * cos - dy * sin
    ys = y[:, None] + dx * sin + dy * cos
    return shapely.polygons(np.stack([xs, ys], axis=-1))


def _largest(geom: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geom)
    if len(parts) == 0:
        return shapely.Polygon()
    return parts[np.argmax(shapely.area(parts))]


def _camden_per_lsoa(lsoa: gpd.GeoDataFrame) -> dict[str, float]:
    """Features per LSOA in the shipped Camden layers (Camden has 130 LSOAs of 2021)."""
    from placespend import boundaries

    b = boundaries.load_boundaries()
    n = int((lsoa["LAD22CD"] == CAMDEN_CODE).sum())
    return {name: len(getattr(b, name)) / n
            for name in ("buildings", "green_spaces", "trees", "roads", "waste_points")}


def _points_in(rng: np.random.Generator, polys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``counts[i]`` uniform random points inside each polygon ``polys[i]`` (rejection)."""
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    out = []
    for i in np.flatnonzero(counts):
        x0, y0, x1, y1 = bounds[i]
        got = np.empty((0, 2))
        while len(got) < counts[i]:
            cand = rng.uniform((x0, y0), (x1, y1), size=(counts[i] * 3 + 8, 2))
            inside = shapely.contains_xy(polys[i], cand[:, 0], cand[:, 1])
            got = np.vstack([got, cand[inside]])
        out.append(got[: counts[i]])
    xy = np.vstack(out) if out else np.empty((0, 2))
    return xy


def _context(rng: np.random.Generator, lsoa: gpd.GeoDataFrame,
             per_lsoa: dict[str, float]) -> dict[str, gpd.GeoDataFrame]:
    from placespend.atoms import VEHICULAR_HIGHWAYS, WASTE_AMENITIES

    polys = lsoa.geometry.to_numpy()

    def points(name: str) -> np.ndarray:
        return _points_in(rng, polys, rng.poisson(per_lsoa[name], size=len(polys)))

    xy = points("buildings")
    half = rng.uniform(3, 10, size=(len(xy), 2))
    boxes = shapely.box(xy[:, 0] - half[:, 0], xy[:, 1] - half[:, 1],
                        xy[:, 0] + half[:, 0], xy[:, 1] + half[:, 1])
    buildings = gpd.GeoDataFrame({"building": "residential", "footprint_m2": shapely.area(boxes)},
                                 geometry=boxes, crs=CRS)
    xy = points("green_spaces")
    discs = shapely.buffer(shapely.points(xy), rng.uniform(10, 80, size=len(xy)), quad_segs=4)
    green = gpd.GeoDataFrame({"name": None, "kind": "park", "area_m2": shapely.area(discs)},
                             geometry=discs, crs=CRS)
    xy = points("trees")
    trees = gpd.GeoDataFrame({"species": ["synthetic"] * len(xy)}, geometry=shapely.points(xy),
                             crs=CRS)
    xy = points("waste_points")
    waste = gpd.GeoDataFrame(
        {"amenity": rng.choice(list(WASTE_AMENITIES), size=len(xy))},
        geometry=shapely.points(xy), crs=CRS)
    xy = points("roads")
    length = rng.uniform(30, 200, size=len(xy))
    angle = rng.uniform(0, 2 * np.pi, size=len(xy))
    ends = np.stack([xy, xy + np.stack([np.cos(angle), np.sin(angle)], 1) * length[:, None]], 1)
    lines = shapely.linestrings(ends)
    highway = rng.choice(["residential", "service", "tertiary", "primary", "footway"],
                         p=[0.45, 0.2, 0.15, 0.1, 0.1], size=len(xy))
    assert set(highway) - {"footway"} <= set(VEHICULAR_HIGHWAYS)
    roads = gpd.GeoDataFrame({"name": None, "highway": highway, "length_m": length},
                             geometry=lines, crs=CRS)
    return {"buildings": buildings, "green_spaces": green, "trees": trees,
            "waste_points": waste, "roads": roads}


@stage("london_boundaries")
def london_boundaries(spec: dict[str, Any]) -> Body:
    from placespend import boundaries

    folder = Path(spec["london"])

    def body() -> dict[str, Any]:
        b = boundaries.load_boundaries(folder)
        return {"estates": len(b.estates)}

    return body


@stage("london_atoms")
def london_atoms(spec: dict[str, Any]) -> Body:
    from placespend import atoms, boundaries

    b = boundaries.load_boundaries(Path(spec["london"]))

    def body() -> dict[str, Any]:
        table = atoms.build_atoms(b)
        atoms.estate_estimates(b, table)
        long = table.long_keys()
        return {"atoms": len(table.atoms), "key_rows": len(long),
                "small_areas": len(b.small_areas), "wards": len(b.wards),
                "estates": len(b.estates), "notes": table.notes}

    return body
