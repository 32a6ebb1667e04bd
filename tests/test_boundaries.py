"""Loading and validating boundary files, and the shipped Camden layers."""

from __future__ import annotations

import pytest
import shapely
from _geo_fixtures import estates, gdf, small_areas, wards, write_dir
from shapely import GeometryCollection, Point, Polygon, box

from placespend import paths
from placespend.atoms import build_atoms, estate_totals
from placespend.boundaries import (
    LAYERS,
    NONRESIDENTIAL_KINDS,
    load_boundaries,
    nonresidential_share,
)
from placespend.errors import BoundaryError
from placespend.estate_names import EstateIndex

SHIPPED = paths.BOUNDARIES_DIR / "estates.parquet"
needs_shipped = pytest.mark.skipif(not SHIPPED.exists(), reason="shipped boundaries not built")


def _error(tmp_path, **kw) -> str:
    with pytest.raises(BoundaryError) as info:
        load_boundaries(write_dir(tmp_path), **kw)
    return str(info.value)


# --- user files -------------------------------------------------------------------------


def test_fixture_directory_loads_in_british_national_grid(tmp_path):
    b = load_boundaries(write_dir(tmp_path))
    assert b.wards.crs.to_epsg() == 27700
    assert list(b.estates["ward_codes"]) == ["W1"]
    assert b.estates["area_m2"].tolist() == [5_000.0]
    assert b.missing_counts == ()
    assert b.sources["estates"].endswith("estates.parquet")


def test_user_estates_in_lon_lat_geojson_are_reprojected_and_marked_user(tmp_path):
    path = tmp_path / "my_estates.geojson"
    square = box(530000, 180000, 530100, 180100)
    est = gdf([{"estate_id": "U1", "name": "Mine", "geometry": square}])
    est.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    (tmp_path / "shipped").mkdir()
    b = load_boundaries(write_dir(tmp_path / "shipped"), estates=path, wards=_far_wards(tmp_path))
    assert b.estates.crs.to_epsg() == 27700
    assert b.estates["source"].tolist() == ["user"]
    assert b.estates["area_m2"].iloc[0] == pytest.approx(10_000, rel=1e-3)
    assert b.estates["boundary_note"].iloc[0].startswith("Supplied by the user")


def _far_wards(tmp_path):
    path = tmp_path / "wards.gpkg"
    gdf([{"ward_code": "W9", "ward_name": "Far",
          "geometry": box(529000, 179000, 531000, 181000)}]).to_file(path, driver="GPKG")
    return path


def test_user_small_areas_without_counts_record_missing_counts(tmp_path):
    path = tmp_path / "oas.gpkg"
    small_areas()[["area_code", "households", "geometry"]].to_file(path, driver="GPKG")
    b = load_boundaries(write_dir(tmp_path), small_areas=path)
    assert "households" not in b.missing_counts
    assert set(b.missing_counts) == {"council_households", "residents", "children_0_4",
                                     "residents_65_plus", "dwellings"}


def test_missing_crs_says_set_the_crs(tmp_path):
    path = tmp_path / "nocrs.parquet"
    gdf([{"ward_code": "W1", "ward_name": "West", "geometry": box(0, 0, 150, 100)}],
        crs=None).to_parquet(path)
    msg = _error(tmp_path, wards=path)
    assert "nocrs.parquet" in msg
    assert "set the CRS, e.g." in msg and "EPSG:27700" in msg


def test_lon_lat_coordinates_declared_as_british_grid_are_caught(tmp_path):
    path = tmp_path / "est.parquet"
    gdf([{"estate_id": "E1", "name": "X", "geometry": box(-0.15, 51.53, -0.14, 51.54)}]).to_parquet(
        path)
    msg = _error(tmp_path, estates=path)
    assert "look like longitude/latitude" in msg
    assert "EPSG:4326" in msg and "est.parquet" in msg


def test_self_intersecting_polygon_names_file_feature_and_fix(tmp_path):
    bowtie = Polygon([(0, 0), (50, 100), (50, 0), (0, 100)])
    path = tmp_path / "est.gpkg"
    gdf([{"estate_id": "OK", "name": "Fine", "geometry": box(60, 0, 90, 50)},
         {"estate_id": "BAD", "name": "Bowtie", "geometry": bowtie}]).to_file(path, driver="GPKG")
    msg = _error(tmp_path, estates=path)
    assert "est.gpkg, feature 2 (estate_id 'BAD'): invalid geometry (Self-intersection" in msg
    assert "make_valid" in msg


def test_overlapping_estates_name_both_ids_and_the_overlap_area(tmp_path):
    path = tmp_path / "est.parquet"
    gdf([{"estate_id": "N", "name": "North", "geometry": box(0, 0, 50, 100)},
         {"estate_id": "S", "name": "South", "geometry": box(0, 50, 50, 150)}]).to_parquet(path)
    msg = _error(tmp_path, estates=path)
    assert "estates 'N' (feature 1) and 'S' (feature 2) overlap by 2,500.0 m²" in msg


def test_sliver_overlaps_under_one_square_metre_are_tolerated(tmp_path):
    path = tmp_path / "est.parquet"
    gdf([{"estate_id": "N", "name": "North", "geometry": box(0, 0, 50, 50.01)},
         {"estate_id": "S", "name": "South", "geometry": box(0, 50, 50, 100)}]).to_parquet(path)
    b = load_boundaries(write_dir(tmp_path), estates=path)
    assert b.estates["estate_id"].tolist() == ["N", "S"]


def test_duplicated_ids_are_listed_with_their_features(tmp_path):
    path = tmp_path / "est.parquet"
    gdf([{"estate_id": "E1", "name": "A", "geometry": box(0, 0, 10, 10)},
         {"estate_id": "E2", "name": "B", "geometry": box(20, 0, 30, 10)},
         {"estate_id": "E1", "name": "C", "geometry": box(40, 0, 50, 10)}]).to_parquet(path)
    msg = _error(tmp_path, estates=path)
    assert "estate_id 'E1' is duplicated (features 1, 3)" in msg


def test_points_where_polygons_are_required(tmp_path):
    path = tmp_path / "est.parquet"
    gdf([{"estate_id": "P", "name": "Pin", "geometry": Point(10, 10)}]).to_parquet(path)
    msg = _error(tmp_path, estates=path)
    assert "feature 1 (estate_id 'P'): is a Point but estates needs polygons" in msg


def test_empty_geometry_and_geometry_collections_are_reported_together(tmp_path):
    path = tmp_path / "est.parquet"
    mixed = GeometryCollection([box(0, 0, 10, 10), Point(50, 50)])
    gdf([{"estate_id": "E", "name": "Empty", "geometry": Polygon()},
         {"estate_id": "G", "name": "Mixed", "geometry": mixed}]).to_parquet(path)
    msg = _error(tmp_path, estates=path)
    assert "(2 problems)" in msg
    assert "feature 1 (estate_id 'E'): empty geometry" in msg
    assert "feature 2 (estate_id 'G'): is a GeometryCollection" in msg


def test_missing_required_columns_are_named(tmp_path):
    path = tmp_path / "wards.geojson"
    wards().drop(columns="ward_name").to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    msg = _error(tmp_path, wards=path)
    assert "missing column(s) 'ward_name' needed for wards" in msg


def test_estate_outside_every_ward(tmp_path):
    path = tmp_path / "est.parquet"
    gdf([{"estate_id": "FAR", "name": "Far", "geometry": box(900, 900, 950, 950)}]).to_parquet(path)
    msg = _error(tmp_path, estates=path)
    assert "(estate_id 'FAR'): lies outside every ward" in msg


def test_missing_required_layer_and_unreadable_file(tmp_path):
    (tmp_path / "est.geojson").write_text("not json", encoding="utf-8")
    estates().to_parquet(tmp_path / "estates.parquet")
    with pytest.raises(BoundaryError) as info:  # nothing shipped to fall back on either
        load_boundaries(tmp_path, estates=tmp_path / "est.geojson", shipped=tmp_path / "none")
    msg = str(info.value)
    assert "no 'wards' layer" in msg and "no 'small_areas' layer" in msg
    assert "pass --wards" in msg and "pass --small-areas" in msg
    assert "est.geojson: cannot be read" in msg


def test_a_folder_with_some_layers_takes_the_rest_of_the_geography_from_the_shipped_one(
        tmp_path):
    (tmp_path / "shipped").mkdir()
    write_dir(tmp_path / "shipped")
    mine = tmp_path / "mine"
    mine.mkdir()
    estates().assign(name="Mine").to_parquet(mine / "estates.parquet")
    b = load_boundaries(mine, shipped=tmp_path / "shipped")
    assert b.estates["name"].tolist() == ["Mine"] and not b.user_geography
    assert len(b.trees) == 3  # the geography is the shipped one, so its context layers too
    assert set(b.shipped_layers) == {"wards", "small_areas", "green_spaces", "trees", "roads",
                                     "waste_points", "buildings"}


def test_own_wards_never_take_the_shipped_context_layers(tmp_path):
    (tmp_path / "shipped").mkdir()
    write_dir(tmp_path / "shipped")
    path = tmp_path / "my_wards.gpkg"
    wards().to_file(path, driver="GPKG")
    b = load_boundaries(wards=path, shipped=tmp_path / "shipped")
    assert b.user_geography
    assert [len(getattr(b, n)) for n in ("trees", "roads", "buildings", "green_spaces")] == \
        [0, 0, 0, 0]
    assert set(b.shipped_layers) == {"small_areas", "estates"}
    assert "shipped Camden context layers are not used" in b.notes[0]


def test_an_unknown_layer_name_is_refused(tmp_path):
    with pytest.raises(BoundaryError, match="no boundary layer is called 'parks'"):
        load_boundaries(write_dir(tmp_path), layers={"parks": tmp_path / "x.gpkg"})


# --- shipped Camden layers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_boundaries()


@needs_shipped
def test_shipped_layers_are_all_present_in_british_grid(shipped):
    for name in LAYERS:
        layer = getattr(shipped, name)
        assert len(layer) > 0, name
        assert layer.crs.to_epsg() == 27700, name


@needs_shipped
def test_shipped_wards_and_small_areas(shipped):
    assert len(shipped.wards) == 20
    assert shipped.wards["ward_code"].tolist() == [f"E050136{n}" for n in range(52, 72)]
    assert len(shipped.small_areas) == 749
    assert set(shipped.small_areas["ward_code"]) == set(shipped.wards["ward_code"])
    totals = shipped.small_areas[["residents", "households", "council_households"]].sum()
    assert totals.to_dict() == {"residents": 220_338, "households": 97_534,
                                "council_households": 22_473}
    assert shipped.wards.area.sum() == pytest.approx(21.80e6, rel=0.005)


@needs_shipped
def test_shipped_estates_are_many_findable_and_disjoint(shipped):
    est = shipped.estates
    assert len(est) >= 60
    assert est["estate_id"].is_unique and est["name"].is_unique
    assert set(est["source"]) == {"osm", "derived_from_blocks"}
    names = est["name"]
    assert names.eq("Chalcots Estate").any() and names.eq("Maitland Park Estate").any()
    index = EstateIndex.from_frame(est)
    hilgrove = est.set_index("estate_id").loc[index.resolve("Hilgrove")]
    assert hilgrove["source"] == "derived_from_blocks"
    assert "Hilgrove Road" in hilgrove["aliases"].split("; ")
    assert hilgrove["council_households_est"] > 50
    geoms = est.geometry.to_numpy()
    left, right = est.sindex.query(geoms, predicate="intersects")
    pair = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pair]], geoms[right[pair]]))
    assert overlap.max(initial=0.0) < 1e-3
    assert (est["ward_codes"] != "").all()


@needs_shipped
def test_shipped_estates_carry_their_provenance(shipped):
    est = shipped.estates
    osm = est[est["source"] == "osm"]
    cc = est[est["source"] == "derived_from_blocks"]
    assert osm["boundary_note"].str.startswith("OpenStreetMap residential area named").all()
    assert osm["boundary_note"].str.contains("ODbL").all()
    assert osm["estate_id"].str.match(r"osm-(way|relation)-\d+$").all()
    assert cc["boundary_note"].str.contains("not an official estate boundary").all()
    assert cc["estate_id"].str.match(r"db-(way|relation)-\d+$").all()
    assert cc["boundary_note"].str.contains("building footprints").all()
    assert not est["boundary_note"].str.contains("\n").any()
    readme = (paths.BOUNDARIES_DIR / "README.md").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in readme
    assert "Open Government Licence v3.0" in readme
    assert all(f"`{name}.parquet`" in readme for name in LAYERS)


@needs_shipped
def test_shipped_estates_hold_85_percent_of_council_households_and_little_other_land(shipped):
    est, land = shipped.estates, shipped.nonresidential_land
    total = shipped.small_areas["council_households"].sum()
    table = build_atoms(shipped)
    inside = estate_totals(table, ["council_households"])["council_households"].sum()
    assert inside / total >= 0.85
    assert est["council_households_est"].sum() == pytest.approx(inside, abs=1.0)
    assert set(land["kind"]) == set(NONRESIDENTIAL_KINDS)
    share = nonresidential_share(est, land)
    assert share.max() <= 0.10
    assert share.to_numpy() == pytest.approx(est["nonresidential_share"].to_numpy(), abs=1e-4)
    readme = (paths.BOUNDARIES_DIR / "README.md").read_text(encoding="utf-8")
    assert f"({inside / total:.1%})" in readme
    assert f"at most {share.max():.1%} in any estate" in readme
    assert all(f"| {name} |" in readme for name in est["name"])
