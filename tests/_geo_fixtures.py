"""Tiny hand-checkable boundary layers (all in EPSG:27700, metres).

::

    y=100 +---------+----+----+---------+
          | E1      |    |    :         |
          | [b1]    |  [b2]   :         |      A = box(0,0,100,100), B = box(100,0,200,100)
          |         |    |    :         |      W1 = box(0,0,150,100), W2 = box(150,0,200,100)
    y=0   +---------+----+----+---------+      E1 = box(0,0,50,100) (west half of A)
          0        50   100  150       200

Residential buildings: b1 = box(10,10,30,25) (300 m², inside E1) and b2 = box(60,10,90,40)
(900 m², in A off the estate). B has none, so its counts split by area (50/50 across wards).
With A's 40 households: E1 gets 40 * 300/1200 = 10, the rest of A 30; B's 10 → 5 and 5.
"""

from __future__ import annotations

import geopandas as gpd
from shapely import LineString, Point, box

from placespend.boundaries import Boundaries

CRS = "EPSG:27700"

COUNTS_A = {"households": 40, "council_households": 20, "residents": 100, "children_0_4": 8,
            "residents_65_plus": 12, "dwellings": 44}
COUNTS_B = {"households": 10, "council_households": 2, "residents": 30, "children_0_4": 2,
            "residents_65_plus": 4, "dwellings": 11}


def gdf(rows: list[dict], crs: str | None = CRS) -> gpd.GeoDataFrame:
    """A GeoDataFrame from dicts with a ``geometry`` key."""
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def wards() -> gpd.GeoDataFrame:
    return gdf([{"ward_code": "W1", "ward_name": "West", "geometry": box(0, 0, 150, 100)},
                {"ward_code": "W2", "ward_name": "East", "geometry": box(150, 0, 200, 100)}])


def small_areas() -> gpd.GeoDataFrame:
    return gdf([{"area_code": "A", **COUNTS_A, "geometry": box(0, 0, 100, 100)},
                {"area_code": "B", **COUNTS_B, "geometry": box(100, 0, 200, 100)}])


def estates() -> gpd.GeoDataFrame:
    return gdf([{"estate_id": "E1", "name": "Box Estate", "source": "osm",
                 "geometry": box(0, 0, 50, 100)}])


def buildings() -> gpd.GeoDataFrame:
    return gdf([{"building": "apartments", "geometry": box(10, 10, 30, 25)},
                {"building": "house", "geometry": box(60, 10, 90, 40)}])


def context() -> dict[str, gpd.GeoDataFrame]:
    """Context layers: a park with a playground inside it, trees, a road, bins."""
    return {
        "green_spaces": gdf([{"name": "Park", "kind": "park", "geometry": box(40, 60, 60, 80)},
                             {"name": "Play", "kind": "playground",
                              "geometry": box(45, 65, 55, 75)}]),
        "trees": gdf([{"species": "Oak", "geometry": Point(20, 50)},
                      {"species": None, "geometry": Point(120, 50)},
                      {"species": None, "geometry": Point(170, 50)}]),
        "roads": gdf([{"name": "Long Road", "highway": "residential",
                       "geometry": LineString([(0, 95), (200, 95)])},
                      {"name": "Path", "highway": "footway",
                       "geometry": LineString([(0, 5), (200, 5)])}]),
        "waste_points": gdf([{"amenity": "waste_basket", "geometry": Point(25, 50)},
                             {"amenity": "bench", "geometry": Point(75, 50)},
                             {"amenity": "recycling", "geometry": Point(175, 50)}]),
        "buildings": buildings(),
    }


def boundaries(**overrides: gpd.GeoDataFrame) -> Boundaries:
    """The fixture as an in-memory :class:`Boundaries`."""
    layers = {"wards": wards(), "small_areas": small_areas(), "estates": estates(), **context()}
    layers.update(overrides)
    return Boundaries(**layers)


def write_dir(directory, **overrides: gpd.GeoDataFrame):
    """Write the fixture layers as GeoParquet into ``directory`` (returns it)."""
    layers = {"wards": wards(), "small_areas": small_areas(), "estates": estates(), **context()}
    layers.update(overrides)
    for name, frame in layers.items():
        frame.to_parquet(directory / f"{name}.parquet")
    return directory
