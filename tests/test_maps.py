"""The map's pure parts: classed colour scale, legend, geometry records, the deck itself."""

from __future__ import annotations

import functools
import http.server
import json
import socket
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from placespend import maps


@given(
    st.lists(
        st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=200
    ),
    st.integers(min_value=1, max_value=7),
)
@settings(max_examples=80, deadline=None)
def test_class_breaks_cover_the_range_and_every_value_falls_in_one_class(values, n):
    scale = maps.quantile_scale(values, n)
    assert scale.breaks[0] == min(values)
    assert scale.breaks[-1] == max(values)
    assert list(scale.breaks) == sorted(scale.breaks)
    classes = scale.classify(values)
    assert ((classes >= 0) & (classes < scale.n_classes)).all()
    assert sum(scale.counts) == len(values)
    assert len(scale.colours) == len(scale.labels) == scale.n_classes <= n


def test_quantile_classes_hold_about_as_many_places_each():
    scale = maps.quantile_scale(np.arange(100.0), 5)
    assert scale.n_classes == 5
    assert scale.counts == (20, 20, 20, 20, 20)
    # a value on an inner break goes to the upper class; the maximum stays in the last class
    assert scale.classify([scale.breaks[1], scale.breaks[-1]]).tolist() == [1, 4]


def test_tied_values_merge_classes_instead_of_repeating_breaks():
    scale = maps.quantile_scale([5.0] * 10 + [7.0], 5)
    assert len(set(scale.breaks)) == len(scale.breaks)
    assert scale.n_classes < 5


def test_missing_values_are_grey_and_counted_apart():
    scale = maps.quantile_scale([1.0, 2.0, np.nan, 3.0], 3)
    assert sum(scale.counts) == 3
    colours = scale.colour([np.nan, 1.0])
    assert colours[0] == list(maps.NO_DATA_RGB)
    assert colours[1] == list(scale.colours[0])


def test_all_missing_values_give_a_single_no_data_class():
    scale = maps.quantile_scale([np.nan, np.nan])
    assert scale.labels == ("no data",)


@pytest.mark.parametrize("name", maps.PALETTES)
def test_palettes_get_lighter_class_by_class(name):
    colours = maps.palette(name, 5)
    lum = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in colours]
    # monotonic lightness is what keeps the classes readable in greyscale and for
    # colour-blind readers
    assert lum == sorted(lum)
    assert len(set(colours)) == 5


def test_unknown_palette_is_refused():
    with pytest.raises(ValueError, match="cividis"):
        maps.palette("jet", 5)


def test_legend_lists_every_class_with_its_range_and_count():
    scale = maps.quantile_scale([100.0, 200.0, 300.0, 400.0], 2, fmt=lambda v: f"£{v:.0f}")
    html = maps.legend_html(scale, "Total £", no_data=1)
    assert "£100 – £250 (2 estates)" in html
    assert "£250 – £400 (2 estates)" in html
    assert "no data (1)" in html
    assert 'aria-label="Total £"' in html


def test_polygon_records_split_multipolygons_and_keep_holes():
    ring = box(0, 0, 10, 10)
    holed = Polygon(ring.exterior.coords, [box(2, 2, 4, 4).exterior.coords])
    frame = gpd.GeoDataFrame(
        {"estate_id": ["a", "b"]},
        geometry=[MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)]), holed],
    )
    rows = maps.polygon_records(frame, ["estate_id"])
    assert rows["estate_id"].tolist() == ["a", "a", "b"]
    assert len(rows.loc[2, "polygon"]) == 2  # outer ring and one hole
    assert len(rows.loc[0, "polygon"][0]) == 5  # a closed ring of the unit box


def test_path_records_one_row_per_line():
    frame = gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[LineString([(0, 0), (1, 1)])])
    rows = maps.path_records(frame, ["highway"])
    assert rows.loc[0, "path"] == [[0.0, 0.0], [1.0, 1.0]]


def test_view_state_centres_on_the_bounds_and_fits_them():
    bounds = (-0.22, 51.51, -0.10, 51.58)  # about Camden
    view = maps.view_state(bounds, 800, 600)
    assert view.longitude == pytest.approx(-0.16)
    assert view.latitude == pytest.approx(51.545)
    # at zoom z a 512-px world is 512·2^z px wide: the span must fit in 800 px
    assert 512 * 2**view.zoom * 0.12 / 360 <= 800
    assert 11 < view.zoom < 14


@pytest.fixture
def tiny_map():
    wards = gpd.GeoDataFrame(
        {"ward_code": ["W1"], "ward_name": ["Ward One"]},
        geometry=[box(529000, 184000, 531000, 186000)],
        crs=maps.BNG,
    )
    estates = gpd.GeoDataFrame(
        {"estate_id": ["E1", "E2"]},
        geometry=[box(529100, 184100, 529300, 184300), box(530000, 185000, 530500, 185400)],
        crs=maps.BNG,
    )
    context = maps.load_context(wards)
    shapes = maps.polygon_records(maps.to_wgs84(estates), ["estate_id"])
    values = pd.DataFrame(
        {
            "estate_id": ["E1", "E2"],
            "estate_name": ["One", "Two"],
            "boundary_short": ["osm", "user"],
            "total_text": ["£1", "£2"],
            "per_household_text": ["£1", "–"],
            "total_pence": [100.0, 200.0],
        }
    )
    scale = maps.quantile_scale(values["total_pence"], 2)
    data = maps.estate_layer_data(shapes, values, scale, "total_pence", lambda v: f"{v}")
    return context, data, scale


def test_estate_layer_data_colours_each_estate_by_its_class(tiny_map):
    _, data, scale = tiny_map
    assert data.set_index("estate_id").loc["E1", "fill"] == list(scale.colours[0])
    assert data.set_index("estate_id").loc["E2", "fill"] == list(scale.colours[-1])


def test_deck_has_no_web_basemap_by_default_and_outlines_the_selection(tiny_map):
    context, data, _ = tiny_map
    spec = json.loads(maps.deck(data, context, "E2").to_json())
    # pydeck's sentinel: Streamlit then draws no basemap (map_style=None would fetch Carto's)
    assert spec.get("mapStyle") in (None, "__MAP_STYLE__")
    assert "cartocdn" not in json.dumps(spec) and "mapbox" not in json.dumps(spec)
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids[-1] == "selected"
    assert {"borough", "wards", "green_spaces", "roads", "ward_names", "estates"} <= set(ids)
    estates = next(layer for layer in spec["layers"] if layer["id"] == "estates")
    assert estates["pickable"] is True
    names = next(layer for layer in spec["layers"] if layer["id"] == "ward_names")
    assert names["data"][0]["ward_name"] == "Ward One"


def test_context_layers_are_written_once_named_by_content_and_sent_as_urls(tiny_map, tmp_path):
    context, data, _ = tiny_map
    names = maps.write_layer_files(context, tmp_path)
    assert set(names) == set(maps.CONTEXT_LAYERS)
    for layer, name in names.items():
        written = json.loads((tmp_path / name).read_text())
        assert written == json.loads(getattr(context, layer).to_json(orient="records"))
    stamps = {n: (tmp_path / n).stat().st_mtime_ns for n in names.values()}
    assert maps.write_layer_files(context, tmp_path) == names  # same content, same files
    assert {n: (tmp_path / n).stat().st_mtime_ns for n in names.values()} == stamps
    assert not list(tmp_path.glob(".*.tmp"))

    urls = {layer: f"app/static/map/{name}" for layer, name in names.items()}
    spec = json.loads(maps.deck(data, context, "E1", layer_urls=urls).to_json())
    by_id = {layer["id"]: layer for layer in spec["layers"]}
    for layer in maps.CONTEXT_LAYERS:
        if layer.startswith("estate_labels"):  # one set drawn: the opening zoom's
            continue
        assert by_id[{"ward_labels": "ward_names"}.get(layer, layer)]["data"] == urls[layer]
    assert by_id["estate_names"]["data"] == urls["estate_labels"]
    closer = json.loads(maps.deck(data, context, layer_urls=urls, focus_id="E1").to_json())
    assert maps.focus_view(data, "E1").zoom == 14
    assert {layer["id"]: layer for layer in closer["layers"]}["estate_names"]["data"] == urls[
        "estate_labels_14"]
    drawn = json.loads(data.to_json(orient="records"))
    assert by_id["estate_fill"]["data"] == [{"polygon": r["polygon"], "fill": r["fill"]}
                                            for r in drawn]
    assert [r["estate_id"] for r in by_id["estates"]["data"]] == ["E1", "E2"]


def test_deck_can_add_a_basemap_when_asked(tiny_map):
    context, data, _ = tiny_map
    spec = json.loads(maps.deck(data, context, basemap="light").to_json())
    assert "cartocdn" in spec["mapStyle"]


def test_basemap_is_reported_unreachable_when_its_server_does_not_answer():
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert maps.basemap_reachable(f"http://127.0.0.1:{port}/style.json", 1.0) is False
    assert maps.basemap_reachable("not a url") is False


def test_basemap_is_reachable_when_its_style_answers(tmp_path):
    (tmp_path / "style.json").write_text("{}")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/style.json"
            assert maps.basemap_reachable(url, 5.0) is True
        finally:
            server.shutdown()


def test_selected_estate_reads_the_picked_object():
    state = {"selection": {"indices": {"estates": [3]},
                           "objects": {"estates": [{"estate_id": "E7", "estate_name": "x"}]}}}
    assert maps.selected_estate(state) == "E7"
    assert maps.selected_estate({"selection": {"indices": {}, "objects": {}}}) is None
    assert maps.selected_estate(None) is None


def test_source_labels_say_derived_boundaries_are_not_official():
    assert "not an official" in maps.source_label("derived_from_blocks")
    assert "not official" in maps.source_label("derived_from_blocks", short=True)
    assert maps.source_label("osm").startswith("OpenStreetMap")


def test_a_click_picks_a_few_vertices_of_each_estate_and_gets_its_id_and_tooltip(tiny_map):
    """The pickable estate layer is a strongly simplified, invisible copy of the drawn one
    (a pick renders every vertex of it, seconds under software rendering otherwise)."""
    context, data, _ = tiny_map
    wiggly = Polygon([(529000 + 400 * np.cos(t), 184000 + (400 + 3 * (i % 2)) * np.sin(t))
                      for i, t in enumerate(np.linspace(0, 2 * np.pi, 400, endpoint=False))])
    tiny = box(530000, 185000, 530002, 185002)  # simplifies to nothing: kept as its hull
    shapes = maps.polygon_records(maps.to_wgs84(gpd.GeoDataFrame(
        {"estate_id": ["E1", "E2"]}, geometry=[wiggly, tiny], crs=maps.BNG)), ["estate_id"])
    hits = maps.hit_polygons(shapes)
    assert len(hits[0][0]) < len(shapes["polygon"][0][0]) / 10
    assert Polygon(hits[0][0]).area == pytest.approx(Polygon(shapes["polygon"][0][0]).area,
                                                     rel=0.05)
    assert len(hits[1][0]) >= 4 and Polygon(hits[1][0]).area > 0

    spec = json.loads(maps.deck(data, context).to_json())
    by_id = {layer["id"]: layer for layer in spec["layers"]}
    picked, drawn = by_id[maps.ESTATE_LAYER_ID], by_id[maps.ESTATE_FILL_LAYER_ID]
    assert picked["pickable"] is True and not drawn.get("pickable", False)
    assert picked["getFillColor"][3] == 0 and "getLineColor" not in picked
    row = picked["data"][0]
    assert "polygon" not in row and row["hit_polygon"]
    assert {f.strip("{}") for f in ("{estate_name}", "{total_text}")} <= set(row)
