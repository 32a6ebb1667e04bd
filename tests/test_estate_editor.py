"""The estate editor on the box fixture (``tests/_geo_fixtures.py``), figures checked by hand.

::

    y=100 +---------+---------+---------+---------+
          | E1      |         :         | E2      |   A = box(0,0,100,100): 40 households,
          | [b1]    |  [b2]   :         |         |       20 renting from the council
          |         |         :         |         |   B = box(100,0,200,100): 10, 2 (no homes
    y=0   +---------+---------+---------+---------+       drawn: split by area)
          0        50        100       150       200

b1 = box(10,10,30,25), 300 m², in E1; b2 = box(60,10,90,40), 900 m², in A off every estate.
E1 starts with 40 * 300/1200 = 10 households; with b2 it has all of A's 40.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import geopandas as gpd
import pytest
from _geo_fixtures import boundaries, buildings, gdf, small_areas, write_dir
from shapely import box

from placespend import atoms
from placespend import estate_editor as ed
from placespend.boundaries import load_boundaries
from placespend.errors import BoundaryError, PlacespendError
from placespend.reconcile import reconcile

E1 = box(0, 0, 50, 100)
E2 = box(150, 0, 200, 100)


def _estates(**extra) -> gpd.GeoDataFrame:
    rows = [{"estate_id": "E1", "name": "Box Estate", "geometry": E1},
            {"estate_id": "E2", "name": "East Estate", "geometry": E2}]
    return gdf([{**r, "aliases": "", "source": "osm", "boundary_note": "drawn by hand"}
                for r in rows], **extra)


@pytest.fixture
def layers() -> ed.Layers:
    return ed.make_layers(small_areas(), buildings())


@pytest.fixture
def draft() -> ed.Draft:
    return ed.Draft(_estates(), "fixture")


def _block(layers, x, y) -> str:
    """The id of the block holding the point (x, y)."""
    hit = layers.blocks[layers.blocks.contains(gpd.points_from_xy([x], [y])[0])]
    return hit["block_id"].iloc[0]


def _figures(draft, layers, estate_id):
    row = ed.measure([draft.estate(estate_id).geometry], layers).iloc[0]
    return row["area_m2"], row["households_est"], row["council_households_est"]


def test_block_ids_say_where_the_block_stands_and_stay_unique():
    twins = gdf([{"geometry": box(0, 0, 2, 2)}, {"geometry": box(0.2, 0.2, 1.8, 1.8)},
                 {"geometry": box(500, 300, 510, 310)}])
    assert ed.block_ids(twins.geometry).tolist() == ["b1-1", "b1-1-2", "b505-305"]


def test_households_split_by_footprint_as_the_build_does(draft, layers):
    assert _figures(draft, layers, "E1") == (5000.0, 10.0, 5.0)
    # E2 holds half of B, which has no homes drawn: half of its 10 households by area
    assert _figures(draft, layers, "E2") == (5000.0, 5.0, 1.0)
    b = boundaries(estates=_estates())
    built = atoms.estate_estimates(b, atoms.build_atoms(b)).set_index("estate_id")
    mine = ed.measure(draft.estates.geometry, layers).set_index(draft.estates["estate_id"])
    assert mine["households_est"].tolist() == built["households_est"].tolist()
    assert mine["council_households_est"].tolist() == built["council_households_est"].tolist()


def test_adding_a_block_grows_area_and_households(draft, layers):
    b2 = _block(layers, 75, 25)
    grown = ed.add(draft, "E1", layers, block_ids=[b2])
    assert _figures(grown, layers, "E1") == (5900.0, 40.0, 20.0)
    assert _figures(draft, layers, "E1") == (5000.0, 10.0, 5.0)  # the draft is not changed
    assert "1 block added" in ed.layer(grown).set_index("estate_id").loc["E1", "boundary_note"]
    assert ed.layer(grown).set_index("estate_id").loc["E1", "source"] == "user"
    assert ed.layer(grown).set_index("estate_id").loc["E2", "source"] == "osm"


def test_an_output_area_piece_adds_only_land_in_no_estate(draft, layers):
    grown = ed.add(draft, "E1", layers, piece_ids=["B"])
    # B's land outside E2 is box(100,0,150,100): 5,000 m², half of B's households by area
    area, households, _ = _figures(grown, layers, "E1")
    assert (area, households) == (10_000.0, 15.0)
    assert ed.overlap_problems(grown) == []


def test_removing_a_block_cuts_its_footprint_out(draft, layers):
    b1 = _block(layers, 20, 20)
    smaller = ed.remove(draft, "E1", layers, block_ids=[b1])
    assert _figures(smaller, layers, "E1") == (4700.0, 0.0, 0.0)
    with pytest.raises(PlacespendError, match="no land"):
        ed.remove(draft, "E1", layers, piece_ids=["A"])


def test_a_block_in_another_estate_is_refused_naming_both(layers):
    holder = gdf([{"estate_id": "E3", "name": "Middle Court", "aliases": "", "source": "user",
                   "boundary_note": "", "geometry": box(55, 5, 95, 45)}])
    est = gpd.GeoDataFrame(
        [*_estates().to_dict("records"), *holder.to_dict("records")],
        geometry="geometry", crs="EPSG:27700")
    draft = ed.Draft(est, "fixture")
    b2 = _block(layers, 75, 25)
    with pytest.raises(BoundaryError) as err:
        ed.add(draft, "E1", layers, block_ids=[b2])
    text = str(err.value)
    assert "'Box Estate' (E1)" in text and "'Middle Court' (E3)" in text
    assert b2 in text
    with pytest.raises(BoundaryError, match="Middle Court"):
        ed.new_estate(draft, "New Court", layers, block_ids=[b2])


def test_overlapping_estates_cannot_be_saved(layers):
    est = _estates()
    est.loc[1, "geometry"] = box(40, 0, 200, 100)  # East Estate now reaches into Box Estate
    draft = ed.Draft(est, "fixture")
    problems = ed.overlap_problems(draft)
    assert problems == [
        "estates 'Box Estate' (E1) and 'East Estate' (E2) overlap by 1,000.0 m²; remove the "
        "shared blocks or pieces from one of them"]
    with pytest.raises(BoundaryError, match="overlap by 1,000.0"):
        ed.to_geojson(draft)


def test_a_new_estate_from_picked_blocks(draft, layers):
    b2 = _block(layers, 75, 25)
    after, new_id = ed.new_estate(draft, "  Hilltop   Court ", layers, block_ids=[b2])
    assert new_id == "user-hilltop-court"
    assert _figures(after, layers, new_id) == (900.0, 30.0, 15.0)
    again, second = ed.new_estate(after, "Hilltop Court", layers, piece_ids=["B"])
    assert second == "user-hilltop-court-2"
    row = ed.layer(again).set_index("estate_id").loc[new_id]
    assert row["name"] == "Hilltop Court" and "Hilltop Estate" in row["aliases"]
    assert row["boundary_note"].startswith("made in placespend's estate editor")
    with pytest.raises(PlacespendError, match="at least one block"):
        ed.new_estate(draft, "Empty", layers)


def test_rename_sets_name_and_aliases(draft):
    renamed = ed.rename(draft, "E1", "Hilgrove Estate", "Hilgrove Road\nDorman Way; ")
    row = renamed.estate("E1")
    assert row["name"] == "Hilgrove Estate"
    assert row["aliases"].split("; ") == ["Hilgrove Estate", "Hilgrove", "Hilgrove Road",
                                          "Dorman Way"]
    assert ed.rename(renamed, "E1", "Hilgrove Estate", "Hilgrove Road\nDorman Way") is renamed
    with pytest.raises(PlacespendError, match="name"):
        ed.rename(draft, "E1", "   ")


def test_unknown_ids_are_refused(draft, layers):
    with pytest.raises(PlacespendError, match="b999-999"):
        ed.add(draft, "E1", layers, block_ids=["b999-999"])
    with pytest.raises(PlacespendError, match="No estate 'E9'"):
        ed.add(draft, "E9", layers, piece_ids=["A"])


def test_near_lists_offer_blocks_and_pieces_with_where_they_are(draft, layers):
    near = ed.near_blocks(draft, "E1", layers)
    assert near["label"].tolist() == [f"{_block(layers, 20, 20)} · 300 m² · in this estate",
                                      f"{_block(layers, 75, 25)} · 900 m² · 10 m away"]
    pieces = ed.near_pieces(draft, "E1", layers)
    assert pieces[["piece_id", "in_estate", "area_m2"]].values.tolist() == [
        ["A", True, 5000.0], ["A", False, 5000.0], ["B", False, 5000.0]]


def test_saved_layer_reads_back_as_estates(tmp_path, draft, layers):
    grown = ed.rename(ed.add(draft, "E1", layers, block_ids=[_block(layers, 75, 25)]), "E1",
                      "Box & Co <b>Estate</b>", "Box Street")
    path = tmp_path / "edited.geojson"
    path.write_bytes(ed.to_geojson(grown))
    assert json.loads(path.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    (tmp_path / "dir").mkdir()
    b = load_boundaries(write_dir(tmp_path / "dir"), estates=path)
    est = b.estates.set_index("estate_id")
    assert est.loc["E1", "name"] == "Box & Co <b>Estate</b>"
    assert "Box Street" in est.loc["E1", "aliases"]
    assert est.loc["E1", "area_m2"] == pytest.approx(5900.0, abs=0.1)
    assert est.loc["E2", "boundary_note"] == "drawn by hand"
    # the outline left as it was keeps its provenance; the edited one is the user's
    assert est["source"].to_dict() == {"E1": "user", "E2": "osm"}


def test_placespend_build_estates_rebuilds_a_saved_file(tmp_path, draft, layers):
    grown = ed.add(draft, "E1", layers, block_ids=[_block(layers, 75, 25)])
    path = tmp_path / "edited.geojson"
    path.write_bytes(ed.to_geojson(grown))
    (tmp_path / "bounds").mkdir()
    folder = write_dir(tmp_path / "bounds", estates=_estates())
    cli = Path(sys.executable).with_name("placespend")
    for home, estates in (("before", []), ("after", ["--estates", str(path)])):
        subprocess.run([str(cli), "build", "--home", str(tmp_path / home), "--boundaries",
                        str(folder), *estates], check=True, capture_output=True)
    figures = {}
    for home in ("before", "after"):
        con = duckdb.connect(str(tmp_path / home / "placespend.duckdb"), read_only=True)
        assert reconcile(con).ok and reconcile(con).difference_pence == 0
        figures[home] = con.execute(
            "select area_m2, households_est from estates where estate_id = 'E1'").fetchone()
        # the editor reads the layers this store was built from, and counts as it did
        again = ed.draft_from_store(con, home)
        counted = ed.measure(again.estates.geometry, ed.load_layers(con))
        held = con.execute("select households_est from estates order by estate_id").df()
        assert counted["households_est"].tolist() == held["households_est"].tolist()
        con.close()
    assert figures["before"] == (5000.0, 10.0)
    assert figures["after"][0] == pytest.approx(5900.0, abs=0.1)
    assert figures["after"][1] == pytest.approx(40.0, abs=0.05)


def test_the_page_picks_remove_then_add(draft, layers):
    b1, b2 = _block(layers, 20, 20), _block(layers, 75, 25)
    lists = ed.pick_lists(ed.near_blocks(draft, "E1", layers), ed.near_pieces(draft, "E1", layers))
    assert list(lists["add_blocks"]) == [b2] and list(lists["remove_blocks"]) == [b1]
    assert list(lists["add_pieces"]) == ["A", "B"] and list(lists["remove_pieces"]) == ["A"]
    moved = ed.apply(draft, "E1", layers, {"remove_blocks": [b1], "add_blocks": [b2]})
    assert _figures(moved, layers, "E1") == (5600.0, 30.0, 15.0)
    assert ed.apply(draft, "E1", layers, {}) is draft


def test_a_map_click_toggles_the_block_it_picked(draft, layers):
    b2 = _block(layers, 75, 25)
    click = {"selection": {"objects": {ed.BLOCK_LAYER_ID: [{"block_id": b2, "in_estate": False}]}}}
    assert ed.picked(click) == [("block", b2, False)]
    assert ed.picked({"selection": {"objects": {}}}) == [] and ed.picked(None) == []
    (kind, item, inside), = ed.picked(click)
    grown = ed.toggle(draft, "E1", layers, kind, item, inside)
    assert _figures(grown, layers, "E1")[0] == 5900.0
    back = ed.toggle(grown, "E1", layers, "block", b2, True)
    assert _figures(back, layers, "E1") == (5000.0, 10.0, 5.0)


def test_the_editor_map_draws_blocks_and_pieces_pickable(draft, layers):
    from placespend import maps

    context = maps.load_context(gdf([{"ward_code": "W1", "ward_name": "West",
                                      "geometry": box(0, 0, 200, 100)}]))
    spec = json.loads(ed.deck(draft, "E1", ed.near_blocks(draft, "E1", layers),
                              ed.near_pieces(draft, "E1", layers), context).to_json())
    by_id = {layer["id"]: layer for layer in spec["layers"]}
    blocks = by_id[ed.BLOCK_LAYER_ID]
    assert blocks["pickable"] and {r["block_id"] for r in blocks["data"]} == {
        _block(layers, 20, 20), _block(layers, 75, 25)}
    assert by_id[ed.PIECE_LAYER_ID]["pickable"]


def test_without_building_footprints_households_split_by_area(draft):
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:27700")
    layers = ed.make_layers(small_areas(), empty)
    assert layers.blocks.empty
    assert _figures(draft, layers, "E1") == (5000.0, 20.0, 10.0)


def test_a_data_set_is_never_saved_over_the_one_it_came_from(draft, layers):
    grown = ed.add(draft, "E1", layers, block_ids=[_block(layers, 75, 25)])
    for name in ("fixture", "Default"):
        with pytest.raises(PlacespendError, match="save under another name"):
            ed.save_dataset(grown, name, duckdb.connect())
