"""Estates derived from homes, on a tiny synthetic map you can check by hand.

::

    y=200 +-------------------------+-------------------------+
          |                  [b3]   |                         |
          |                         |                         |
    y=140 | PARK (0..100 x 100..140)|                         |
    y=100 +.........................|                         |   landuse residential: y < 100
    y=70  |=== Test Road ===========|=========================|
          | [b1]  [b2]              |  [b4]                   |
    y=0   +-------------------------+-------------------------+
          0                        200                       400
            OA A: 80 of 100 households rent from the council; OA B: 2 of 100

b1 = box(20,20,60,60) and b2 = box(80,20,120,60) stand 20 m apart: one estate. b3 =
box(150,150,180,180) is 90 m from b2: its own estate. b4 (in B, 2% council) joins none. The park
is never inside an estate, and no outline follows OA A's edge.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from _geo_fixtures import gdf
from shapely import LineString, box

from placespend import _build_estates

CRS = "EPSG:27700"
OA_A = box(0, 0, 200, 200)


def _layers():
    small_areas = gdf([
        {"area_code": "A", "households": 100, "council_households": 80, "geometry": OA_A},
        {"area_code": "B", "households": 100, "council_households": 2,
         "geometry": box(200, 0, 400, 200)},
    ])
    wards = gdf([{"ward_code": "W1", "ward_name": "West", "geometry": box(0, 0, 400, 200)}])
    borough = gdf([{"borough_code": "X", "geometry": box(0, 0, 400, 200)}])
    blocks = [("1", box(20, 20, 60, 60), "Test Road"), ("2", box(80, 20, 120, 60), "Test Road"),
              ("3", box(150, 150, 180, 180), "Far Lane"), ("4", box(220, 20, 260, 60), None)]
    buildings = gdf([{"osm_type": "way", "osm_ref": ref, "building": "apartments",
                      "addr_street": street, "footprint_m2": g.area, "geometry": g}
                     for ref, g, street in blocks])
    landuse = gdf([{"osm_type": "way", "osm_ref": "9", "name": None, "in_camden": True,
                    "geometry": box(0, 0, 400, 100)}])
    nonres = gdf([{"kind": "park", "area_m2": 4000.0, "geometry": box(0, 100, 100, 140)}])
    roads = gdf([{"name": "Test Road", "highway": "residential",
                  "geometry": LineString([(0, 70), (400, 70)])},
                 {"name": "Far Lane", "highway": "residential",
                  "geometry": LineString([(140, 100), (140, 200)])}])
    return dict(landuse=landuse, small_areas=small_areas, wards=wards, roads=roads,
                borough=borough, buildings=buildings, nonresidential=nonres)


def _estates() -> gpd.GeoDataFrame:
    return _build_estates.build_estates(**_layers())


@pytest.fixture(scope="module")
def estates():
    return _estates()


def _holding(estates, geom) -> list[str]:
    return estates.loc[estates.intersects(geom.centroid), "estate_id"].tolist()


def test_adjacent_council_blocks_make_one_estate_and_far_ones_another(estates):
    assert len(estates) == 2
    assert set(estates["source"]) == {"derived_from_blocks"}
    assert _holding(estates, box(20, 20, 60, 60)) == _holding(estates, box(80, 20, 120, 60))
    assert _holding(estates, box(20, 20, 60, 60)) == ["db-way-1"]
    assert _holding(estates, box(150, 150, 180, 180)) == ["db-way-3"]


def test_blocks_where_few_rent_from_the_council_join_no_estate(estates):
    assert _holding(estates, box(220, 20, 260, 60)) == []
    assert estates.geometry.union_all().intersection(box(200, 0, 400, 200)).area == 0


def test_outlines_follow_homes_not_the_output_area_and_skip_the_park(estates):
    union = estates.geometry.union_all()
    assert union.intersection(box(0, 100, 100, 140)).area == 0
    assert (estates["nonresidential_share"] == 0).all()
    assert union.area < 0.5 * OA_A.area
    # 10 m around each block; the 20 m gap between b1 and b2 is closed inside residential land
    pads = shapely.buffer(shapely.union_all([box(20, 20, 60, 60), box(80, 20, 120, 60)]), 10.1)
    assert union.within(shapely.union(pads, box(150, 150, 180, 180).buffer(10.1)) | box(0, 0,
                                                                                         400, 100))
    west = estates.set_index("estate_id").geometry.loc["db-way-1"]
    assert west.contains(box(60, 20, 80, 60))  # the path between the blocks
    far = estates.set_index("estate_id").geometry.loc["db-way-3"]
    assert far.within(box(150, 150, 180, 180).buffer(10.1))  # no residential land use: pad only


def test_each_estate_says_how_it_was_made_and_what_people_call_it(estates):
    east = estates.set_index("estate_id").loc["db-way-1"]
    assert east["name"] == "Test Road (derived)"
    assert "not an official estate boundary" in east["boundary_note"]
    assert "2 residential building footprints" in east["boundary_note"]
    assert {"Test Road", "Test", "Test Estate"} <= set(east["aliases"].split("; "))
    assert "\n" not in east["boundary_note"]


def test_rebuilding_twice_gives_identical_files(tmp_path):
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    _estates().to_parquet(first, index=False)
    _estates().to_parquet(second, index=False)
    assert first.read_bytes() == second.read_bytes()
    pd.testing.assert_frame_equal(gpd.read_parquet(first), gpd.read_parquet(second))
