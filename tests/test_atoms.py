"""Atoms: the planar partition and the keys measured on it."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from _geo_fixtures import COUNTS_A, COUNTS_B, boundaries, gdf, small_areas
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, box

from placespend import paths
from placespend.atoms import VEHICULAR_HIGHWAYS, build_atoms, estate_estimates, estate_totals
from placespend.boundaries import empty_layer as empty
from placespend.boundaries import load_boundaries
from placespend.keys import CENSUS_KEYS, KEYS


def _by_piece(table):
    """Keys indexed by (area_code, ward_code, estate_id or '-')."""
    atoms = table.atoms.assign(estate=table.atoms["estate_id"].fillna("-"))
    merged = atoms.merge(table.keys, on="atom_id")
    return merged.set_index(["area_code", "ward_code", "estate"])


def test_partition_cuts_small_areas_by_ward_and_estate():
    table = build_atoms(boundaries())
    pieces = _by_piece(table)
    assert sorted(pieces.index) == [("A", "W1", "-"), ("A", "W1", "E1"), ("B", "W1", "-"),
                                    ("B", "W2", "-")]
    assert pieces["area"].to_dict() == pytest.approx({
        ("A", "W1", "-"): 5_000, ("A", "W1", "E1"): 5_000, ("B", "W1", "-"): 5_000,
        ("B", "W2", "-"): 5_000})
    assert table.atoms["atom_id"].tolist() == [1, 2, 3, 4]
    assert table.atoms.loc[table.atoms["estate_id"].isna(), "estate_id"].map(type).eq(
        type(None)).all()


def test_census_counts_split_by_residential_footprint_by_hand():
    pieces = _by_piece(build_atoms(boundaries()))
    # A: 300 m² of footprint on the estate, 900 m² off it -> 1/4 and 3/4 of A's 40 households
    assert pieces.loc[("A", "W1", "E1"), "households"] == pytest.approx(10.0)
    assert pieces.loc[("A", "W1", "-"), "households"] == pytest.approx(30.0)
    assert pieces.loc[("A", "W1", "E1"), "residential_footprint"] == pytest.approx(300.0)


def test_small_area_without_footprint_splits_by_area_and_says_so():
    table = build_atoms(boundaries())
    pieces = _by_piece(table)
    assert pieces.loc[("B", "W1", "-"), "households"] == pytest.approx(5.0)
    assert pieces.loc[("B", "W2", "-"), "residents"] == pytest.approx(15.0)
    assert any("1 small area(s) have no residential building footprint" in n
               for n in table.notes)


@pytest.mark.parametrize("key", CENSUS_KEYS)
def test_census_keys_conserve_input_totals(key):
    table = build_atoms(boundaries())
    assert table.keys[key].sum() == pytest.approx(COUNTS_A[key] + COUNTS_B[key])


def test_measured_keys_count_each_thing_once():
    pieces = _by_piece(build_atoms(boundaries()))
    # the playground lies inside the park: green ground is the park's 400 m², split 10/10 m
    assert pieces["green_space"].sum() == pytest.approx(400.0)
    assert pieces.loc[("A", "W1", "E1"), "green_space"] == pytest.approx(200.0)
    assert pieces["trees"].to_dict() == {("A", "W1", "-"): 0, ("A", "W1", "E1"): 1,
                                         ("B", "W1", "-"): 1, ("B", "W2", "-"): 1}
    # the footway is not a vehicular road; the residential road crosses all 200 m
    assert pieces["road_length"].sum() == pytest.approx(200.0)
    assert pieces.loc[("B", "W2", "-"), "road_length"] == pytest.approx(50.0)
    # the bench is not a waste point
    assert pieces["waste_points"].sum() == 2
    assert pieces.loc[("A", "W1", "E1"), "waste_points"] == 1


def test_keys_table_has_one_column_per_key_in_order():
    table = build_atoms(boundaries())
    assert list(table.keys.columns) == ["atom_id", *KEYS]
    long = table.long_keys()
    assert list(long.columns) == ["atom_id", "key", "weight"]
    assert len(long) == len(table.atoms) * len(KEYS)


def test_missing_counts_fall_back_to_area_with_a_note():
    sa = small_areas().drop(columns=["children_0_4", "dwellings"])
    b = boundaries(small_areas=sa)
    table = build_atoms(b)
    assert b.missing_counts == ("children_0_4", "dwellings")
    assert table.fallbacks == {"children_0_4": "area", "dwellings": "area"}
    assert "small areas file has no 'children_0_4' counts: key children_0_4 falls back to area" \
        in table.notes
    assert np.allclose(table.keys["children_0_4"], table.keys["area"])
    assert table.keys["households"].sum() == pytest.approx(50.0)


def test_small_area_outside_wards_is_left_out_with_a_note():
    sa = small_areas()
    sa.loc[len(sa)] = {"area_code": "Z", **COUNTS_B, "geometry": box(500, 500, 600, 600)}
    table = build_atoms(boundaries(small_areas=sa))
    assert "Z" not in set(table.atoms["area_code"])
    assert any("outside every ward" in n and "Z" in n for n in table.notes)


def test_estate_totals_and_estimates_sum_estate_atoms():
    b = boundaries()
    table = build_atoms(b)
    totals = estate_totals(table, ["households", "trees"])
    assert totals.loc["E1"].to_dict() == pytest.approx({"households": 10.0, "trees": 1.0})
    est = estate_estimates(b, table)
    assert est.loc[0, "households_est"] == pytest.approx(10.0)
    assert est.loc[0, "council_households_est"] == pytest.approx(5.0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 190), st.integers(0, 90), st.integers(1, 40),
                          st.integers(1, 40)), max_size=8),
       st.integers(1, 99))
def test_census_counts_conserved_whatever_the_buildings(rects, split):
    blds = gdf([{"building": "house", "geometry": box(x, y, x + w, y + h)}
                for x, y, w, h in rects]) if rects else empty()
    est = gdf([{"estate_id": "E1", "name": "E", "geometry": box(0, 0, split, 100)}])
    table = build_atoms(boundaries(buildings=blds, estates=est))
    for key in CENSUS_KEYS:
        assert table.keys[key].sum() == pytest.approx(COUNTS_A[key] + COUNTS_B[key])
        assert (table.keys[key] >= 0).all()


@pytest.mark.skipif(not (paths.BOUNDARIES_DIR / "estates.parquet").exists(),
                    reason="shipped boundaries not built")
def test_shipped_atoms_conserve_census_totals():
    # (how fast is the benchmark suite's business: benchmarks/, stage "atoms")
    b = load_boundaries()
    table = build_atoms(b)
    counts = ["households", "council_households", "residents"]
    totals = table.keys[counts].sum()
    assert totals.to_dict() == pytest.approx(b.small_areas[counts].sum().to_dict())
    assert totals["council_households"] == pytest.approx(22_473)  # Camden, 2011 Census
    assert set(table.atoms["estate_id"].dropna()) == set(b.estates["estate_id"])
    assert table.atoms["atom_id"].is_unique
    est = estate_estimates(b, table).set_index("estate_id")
    shipped = b.estates.set_index("estate_id")["households_est"]
    assert np.allclose(est["households_est"], shipped.loc[est.index], atol=0.1)


def test_road_along_a_shared_atom_edge_is_counted_once():
    # Edge Road runs along x=50, the edge between E1 and the rest of A, for its whole 100 m;
    # Cross Road crosses that edge (50 m each side) and is not affected.
    roads = gdf([{"name": "Edge Road", "highway": "residential",
                  "geometry": LineString([(50, 0), (50, 100)])},
                 {"name": "Cross Road", "highway": "residential",
                  "geometry": LineString([(0, 50), (100, 50)])}])
    table = build_atoms(boundaries(roads=roads))
    pieces = _by_piece(table)
    assert pieces["road_length"].sum() == pytest.approx(200.0)
    assert pieces.loc[("A", "W1", "E1"), "road_length"] + pieces.loc[
        ("A", "W1", "-"), "road_length"] == pytest.approx(200.0)
    # the shared stretch goes whole to one atom, never split or doubled
    assert sorted(pieces.loc[[("A", "W1", "E1"), ("A", "W1", "-")], "road_length"]) == \
        pytest.approx([50.0, 150.0])


def test_road_along_a_ward_edge_with_float_noise_is_counted_once():
    # along x=150 (the W1/W2 edge), off by a micrometre: still the same stretch
    roads = gdf([{"name": "Ward Road", "highway": "residential",
                  "geometry": LineString([(150.000001, 0), (150.000001, 100)])}])
    pieces = _by_piece(build_atoms(boundaries(roads=roads)))
    assert pieces["road_length"].sum() == pytest.approx(100.0, abs=1e-3)


def test_shipped_road_length_sums_to_the_boroughs_roads_within_a_metre():
    b = load_boundaries()
    table = build_atoms(b)
    roads = b.roads[b.roads["highway"].isin(VEHICULAR_HIGHWAYS)]
    inside = shapely.intersection(roads.geometry.to_numpy(), table.atoms.union_all())
    assert table.keys["road_length"].sum() == pytest.approx(shapely.length(inside).sum(), abs=1.0)
