"""The Streamlit app, run headless with AppTest against a store built once for this module.

Every page must render without an exception, say when the spend is the synthetic demo, and
show the same figures as the library; a shared URL (query parameters) must reopen the view.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from placespend import capital, paths, pot, reads, safe_text, store, views
from placespend.demo import DEMO_LABEL

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ("Map", "Estate", "Compare", "PB pot", "System financing", "Exports", "Method",
         "Your own data",
         "Edit estates")
HILGROVE = "Dorman Way (derived)"  # the Hilgrove estate, named after its main street


@pytest.fixture(scope="module")
def home(demo_home_copy):
    folder = demo_home_copy("app_home")  # uploads go into it
    before = os.environ.get(paths.HOME_ENV)
    os.environ[paths.HOME_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(paths.HOME_ENV, None)
    else:
        os.environ[paths.HOME_ENV] = before


@pytest.fixture(scope="module")
def con(home):
    with store.connect(paths.db_path(home)) as connection:
        yield connection


def run(**query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_the_demo_banner(home, page):
    at = run(page=page, estate=HILGROVE)
    assert at.radio(key="page").value == page
    assert any(DEMO_LABEL in w.value for w in at.warning)
    assert not at.error


@pytest.mark.parametrize("page", ["Estate", "PB pot"])
def test_pages_needing_an_estate_ask_for_one(home, page):
    at = run(page=page)
    assert any("estate" in i.value.lower() for i in at.info)


def test_exports_without_an_estate_offer_every_estate(home):
    at = run(page="Exports")
    assert at.radio(key="export_scope").value == "All estates"
    labels = " ".join(b.label for b in at.get("download_button"))
    assert "CSV" in labels and "GeoJSON" in labels and "XLSX" not in labels


def test_map_page_draws_a_deck_without_basemap_and_a_legend(home, con):
    at = run()
    deck = at.get("deck_gl_json_chart")[0]
    spec = json.loads(deck.proto.json)
    assert "cartocdn" not in deck.proto.json
    estates = next(layer for layer in spec["layers"] if layer["id"] == "estates")
    shipped = con.execute("select count(*) from estates").fetchone()[0]
    assert len({row["estate_id"] for row in estates["data"]}) == shipped >= 60
    legend = at.get("html")[0].proto.body
    counts = [int(n) for n in re.findall(r"\((\d+) estates?\)", legend)]
    assert "Total £" in legend and sum(counts) == shipped and len(counts) == 5
    assert at.info[0].value.startswith("Click an estate")


def test_finding_an_estate_by_name_selects_it_on_the_map(home, con):
    at = run()
    eid = reads.resolve_estate(con, "Hilgrove")
    at.selectbox(key="estate").set_value(eid).run()
    assert not at.exception
    total = reads.estate_totals(con, "2024-25").set_index("estate_id").loc[eid, "total_pence"]
    assert metric(at, "Total (shown services)") == f"£{total / 100:,.2f}"
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert spec["layers"][-1]["id"] == "selected"
    assert spec["layers"][-1]["data"][0]["estate_id"] == eid


def test_map_filters_and_per_household_metric(home):
    # bound widgets keep what the user reads in the URL: names, not ids
    at = run(services=["Caretaking and estate cleaning", "Green space and grounds maintenance"],
             metric="£ per household",
             outcome="Residents are empowered and feel ownership of where they live")
    assert at.multiselect(key="services").value == ["caretaking", "green_space"]
    assert at.selectbox(key="outcome").value == "empowered"
    assert "£ per household" in at.get("html")[0].proto.body
    assert "selected services" in at.caption[0].value


def test_shared_url_reopens_the_estate_view(home, con):
    at = run(page="Estate", estate=HILGROVE, year="2023-24")
    assert at.radio(key="page").value == "Estate"
    assert at.selectbox(key="year").value == "2023-24"
    assert at.header[0].value == safe_text.markdown(HILGROVE)
    eid = reads.resolve_estate(con, "Hilgrove")
    totals = reads.estate_totals(con, "2023-24").set_index("estate_id").loc[eid]
    assert metric(at, "Total spend placed here") == f"£{totals.total_pence / 100:,.2f}"
    assert at.tabs[0].label == "By service"
    assert at.dataframe[0].value["Service"].iloc[0]


def test_estate_page_shows_provenance_first(home):
    at = run(page="Estate", estate=HILGROVE)
    provenance = at.dataframe[0].value
    assert {"Service", "How it was placed", "Amount (£)"} <= set(provenance.columns)
    assert not at.get("plotly_chart")  # the other tabs run only when opened


@pytest.mark.parametrize(
    ("tab", "chart_type"),
    [("Where it comes from", "sankey"), ("Services together", "scatter"), ("Compared", "bar")],
)
def test_each_chart_tab_opens_from_the_url_with_its_table(home, tab, chart_type):
    at = run(page="Estate", estate=HILGROVE, tab=tab)
    (chart,) = at.get("plotly_chart")
    assert json.loads(chart.proto.spec)["data"][0]["type"] == chart_type
    assert at.expander  # the chart's text alternative
    if tab == "Services together":
        assert any("System financing" in m.label for m in at.metric)


def test_capital_tab_shows_capital_by_year_with_its_reading(home, con):
    at = run(page="Estate", estate=HILGROVE, tab="Capital and services")
    (chart,) = at.get("plotly_chart")
    capital_bars = [t for t in json.loads(chart.proto.spec)["data"] if t["name"] == "Capital spend"]
    eid = reads.resolve_estate(con, "Hilgrove")
    totals = capital.capital_totals(con)
    mine = totals[totals["estate_id"] == eid]
    assert capital_bars[0]["x"] == list(mine["financial_year"])
    table = at.dataframe[0].value
    assert list(table["Capital (£)"]) == [round(p / 100, 2) for p in mine["capital_pence"]]
    assert any("capital year" in i.value for i in at.info)


def test_pool_page_suggests_services_and_saves_a_pool_that_reopens(home, con):
    at = run(page="System financing")
    at.selectbox(key="pool_outcome").set_value("healthy_lives").run()
    at.button(key="pool_suggest").click().run()
    suggested = at.multiselect(key="pool_services").value
    assert "repairs_essential" in suggested and "mental_health" in suggested
    at.multiselect(key="pool_services").set_value(
        ["repairs_essential", "mental_health", "adult_social_care"]).run()
    total = metric(at, "Pooled total")
    at.text_input(key="pool_name").input("Repairs and health (app test)")
    at.button[-1].click().run()
    assert not at.exception
    again = run(page="System financing", pool="Repairs and health (app test)")
    assert again.multiselect(key="pool_services").value == [
        "repairs_essential", "mental_health", "adult_social_care"]
    assert metric(again, "Pooled total") == total


def test_payment_lines_drill_down_to_one_service(home):
    at = run(page="Estate", estate=HILGROVE, tab="Payment lines")
    at.selectbox(key="drill").set_value("caretaking").run()
    lines = at.dataframe[-1].value
    assert set(lines["Service"]) == {"Caretaking and estate cleaning"}


def test_all_years_view_sums_both_years(home, con):
    at = run(page="Estate", estate=HILGROVE, year="All years")
    eid = reads.resolve_estate(con, "Hilgrove")
    total = reads.estate_totals(con, None).set_index("estate_id").loc[eid, "total_pence"]
    assert metric(at, "Total spend placed here") == f"£{total / 100:,.2f}"


def test_pot_page_pre_ticks_delegable_services_and_sizes_the_pot(home, con):
    at = run(page="PB pot", estate=HILGROVE)
    eid = reads.resolve_estate(con, "Hilgrove")
    box = at.multiselect(key=f"pot::{eid}::2024-25")
    assert set(box.value) == set(pot.delegable_services(con))
    expected = pot.size_pot(con, eid, "2024-25", box.value)
    assert metric(at, "Pot per year") == f"£{expected.total_pence / 100:,.2f}"
    box.set_value(["caretaking"]).run()
    only = pot.size_pot(con, eid, "2024-25", ["caretaking"])
    assert metric(at, "Pot per year") == f"£{only.total_pence / 100:,.2f}"
    labels = [b.label for b in at.get("download_button")]
    assert any("CSV" in x for x in labels) and any("PDF" in x for x in labels)
    assert any(".pb" in x for x in labels)


def test_pot_page_cuts_a_line_into_the_ideas_pot_and_saves_the_scenario(home, con):
    eid = reads.resolve_estate(con, "Hilgrove")
    at = run(page="PB pot", estate=HILGROVE)
    sized = pot.size_pot(con, eid, "2024-25", pot.delegable_services(con))
    caretaking = int(sized.lines.set_index("service_id").loc["caretaking", "amount_pence"])
    at.number_input(key="chg::caretaking").set_value(-10.0).run()
    cut = round(caretaking / 10)
    assert metric(at, "Ideas pot") == f"£{cut / 100:,.2f}"
    assert metric(at, "Service lines") == f"£{(sized.total_pence - cut) / 100:,.2f}"
    assert metric(at, "Share of estate-services spend").endswith("%")
    at.text_input(key="scenario_name").input("app test cut")
    next(b for b in at.button if b.label == "Save scenario").click().run()
    assert not at.exception
    assert at.selectbox(key="scenario").value == "app test cut"
    again = run(page="PB pot", estate=HILGROVE, scenario="app test cut")
    assert again.number_input(key="chg::caretaking").value == -10.0
    assert metric(again, "Ideas pot") == f"£{cut / 100:,.2f}"


def test_exports_page_offers_every_format(home):
    at = run(page="Exports", estate=HILGROVE)
    labels = " ".join(b.label for b in at.get("download_button"))
    for fmt in ("CSV", "XLSX", "PDF", "GeoJSON"):
        assert fmt in labels


def test_method_page_shows_reconciliation_coverage_and_keys(home, con):
    at = run(page="Method")
    assert not at.exception
    assert any("conserved to the penny" in s.value for s in at.success)
    assert len(at.expander) >= 3
    tables = [d.value for d in at.dataframe]
    keys = next(t for t in tables if "key" in t.columns)
    assert "households" in set(keys["key"])
    coverage = next(t for t in tables if "Estate" in t.columns)
    expected, overall = views.estate_coverage(con)
    estates = con.execute("select count(*) from estates").fetchone()[0]
    assert len(coverage) == len(expected) == estates
    assert any(f"{overall['council_households_covered']:.0%}" in m.value for m in at.markdown)


def test_upload_page_has_a_form_with_every_input(home):
    at = run(page="Your own data")
    labels = [u.label for u in at.get("file_uploader")]
    assert len(labels) == 5
    assert any("Spend" in x for x in labels)
    assert any(x.startswith("Contracts mapping") for x in labels)


def test_first_start_builds_the_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    assert paths.db_path(tmp_path).exists()
    assert at.get("deck_gl_json_chart")


def test_a_broken_store_is_reported_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path))
    paths.db_path(tmp_path).write_bytes(b"not a database")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "Rebuild it" in at.error[0].value


def test_an_unexpected_error_shows_a_reference_and_no_traceback(home, monkeypatch, caplog):
    from placespend import views

    def broken(*args, **kwargs):
        raise RuntimeError(f"internal detail at {home}")

    monkeypatch.setattr(views, "by_service", broken)  # not behind a cache
    with caplog.at_level("ERROR", logger="placespend.app"):
        at = run(page="Estate", estate=HILGROVE)
    (shown,) = [e.value for e in at.error]
    assert "reference" in shown and "did not expect" in shown
    assert str(home) not in shown and "RuntimeError" not in shown
    reference = shown.split("reference ")[1][:8]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info[0] is RuntimeError


def test_a_data_problem_is_shown_as_text(home, monkeypatch):
    from placespend import views
    from placespend.errors import InputFileError

    def refuse(*args, **kwargs):
        raise InputFileError("row 2: estate '[x](http://evil.example)' is unknown")

    monkeypatch.setattr(views, "by_service", refuse)
    at = run(page="Estate", estate=HILGROVE)
    (shown,) = [e.value for e in at.error]
    assert shown == safe_text.markdown(
        "row 2: estate '[x](http://evil.example)' is unknown", 4000, lines=True)
    assert "](http" not in shown


def test_an_upload_with_no_file_says_why_and_names_the_size_limit(home):
    at = run(page="Your own data")
    assert any("at most 200 MB" in c.value for c in at.caption)
    at.button[0].click().run()
    (shown,) = [e.value for e in at.error]
    assert "No file arrived" in shown and "200 MB" in shown


def test_the_upload_page_says_what_the_current_data_set_read(home, con):
    at = run(page="Your own data")
    assert any(s.value.startswith("What was read") for s in at.subheader)
    read = con.execute("select sum(rows_read) from ingest_summary").fetchone()[0]
    assert any(f"of {read:,} spend rows" in c.value for c in at.caption)


def test_palette_basemap_drill_down_and_sankey_toggle_reopen_from_the_url(home, con):
    at = run(page="Map", palette=maps_palette(), basemap="true")
    assert at.radio(key="palette").value == maps_palette()
    assert at.checkbox(key="basemap").value is True
    assert any("Carto's servers" in c.value for c in [*at.caption, *at.warning])
    at = run(page="Estate", estate=HILGROVE, tab="Where it comes from", sankey_elsewhere="true")
    assert at.checkbox(key="sankey_elsewhere").value is True


def maps_palette() -> str:
    from placespend import maps

    return maps.PALETTES[-1]


@pytest.mark.parametrize("text", ["Hilgrove", "hilgrove estate", "HILGROVE RD"])
def test_sidebar_search_finds_the_estate_on_hilgrove_road_by_any_name(home, con, text):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["estate"] = text  # what the search box holds after typing and Enter
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    box = at.sidebar.selectbox(key="estate")
    assert box.value == reads.resolve_estate(con, "Hilgrove Road")
    assert box.format_func(box.value) == "Dorman Way (derived)"  # the name it is shown by
    assert not [w for w in at.sidebar.warning if "Did you mean" in w.value]


def test_sidebar_search_says_did_you_mean_when_nothing_matches(home):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["estate"] = "Chalcotts"
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="estate").value is None
    assert any("Did you mean" in w.value and "Chalcots Estate" in w.value
               for w in at.sidebar.warning)


def test_estate_editor_refuses_another_estates_block_naming_both(home, con):
    from placespend import estate_editor as ed

    at = run(page="Edit estates", estate=HILGROVE)
    eid = reads.resolve_estate(con, "Hilgrove")
    layers = ed.load_layers(con)
    draft = ed.draft_from_store(con, "default")
    near = ed.near_blocks(draft, eid, layers)
    taken = near[near["holder"].notna() & ~near["in_estate"]].iloc[0]
    other = draft.estate(taken["holder"])["name"]
    area = next(m.value for m in at.metric if m.label == "Area (m²)")
    at.multiselect(key="ed_add_blocks").set_value([taken["block_id"]])
    next(b for b in at.button if b.label == "Apply changes").click().run()
    assert not at.exception
    text = at.error[0].value
    assert safe_text.markdown(f"'{HILGROVE}' ({eid})") in text
    assert safe_text.markdown(f"'{other}' ({taken['holder']})") in text
    assert next(m.value for m in at.metric if m.label == "Area (m²)") == area


def test_estate_editor_makes_a_new_estate_and_renames_it(home, con):
    from placespend import estate_editor as ed

    at = run(page="Edit estates", estate=HILGROVE)
    eid = reads.resolve_estate(con, "Hilgrove")
    layers = ed.load_layers(con)
    draft = ed.draft_from_store(con, "default")
    near = ed.near_blocks(draft, eid, layers)
    free = near[near["holder"].isna()].iloc[0]
    at.text_input(key="ed_new_name").set_value("Corner House")
    at.multiselect(key="ed_new_blocks").set_value([free["block_id"]])
    next(b for b in at.button if b.label == "Create the estate").click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="editor_estate").value == "user-corner-house"
    assert next(m.value for m in at.metric if m.label == "Area (m²)") == (
        f"{free['footprint_m2']:,.1f}")
    at.text_input(key="ed_name_user-corner-house").set_value("Corner House Estate")
    at.text_area(key="ed_aliases_user-corner-house").set_value("The Corner")
    next(b for b in at.button if b.label == "Save name and aliases").click().run()
    assert not at.exception and not at.error
    summary = " ".join(t.value for t in at.text)
    assert "Corner House Estate: new, from 1 block picked" in summary
    assert "renamed from 'Corner House'; aliases edited" in summary


def _param(at: AppTest, name: str) -> list[str]:
    """A query parameter's values after a run, as the address bar holds them."""
    value = at.query_params.get(name)
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def test_compare_page_opens_the_estates_a_link_names(home, con):
    at = run(page="Compare", estates=[HILGROVE, "Chalcots Estate"], compare_by="Total £")
    ids = [reads.resolve_estate(con, n) for n in ("Hilgrove", "Chalcots")]
    assert at.multiselect(key="estates").value == ids
    assert at.radio(key="compare_by").value == "Total £"
    assert len(at.get("plotly_chart")) == 2
    labels = [b.label for b in at.get("download_button")]
    assert any("comparison" in x for x in labels)
    assert _param(at, "estates") == [HILGROVE, "Chalcots Estate"]


def test_a_compare_link_by_aliases_says_which_names_it_left_out(home, con):
    names = ["hilgrove", "CHALCOTS", "Kingsgate Road", "Nowhere Court", "Dorman Way"]
    at = run(page="Compare", estates=names)
    ids = [reads.resolve_estate(con, n) for n in ("Hilgrove", "Chalcots", "Kingsgate Road")]
    assert at.multiselect(key="estates").value == ids  # Dorman Way: Hilgrove again, kept once
    warning = " ".join(w.value for w in at.warning)
    assert "No estate is called “Nowhere Court”" in warning
    assert _param(at, "estates") == [views.estate_options(con)[e] for e in ids]


def test_a_compare_link_naming_more_than_five_estates_names_those_left_out(home, con):
    options = views.estate_options(con)
    names = list(options.values())[:7]
    at = run(page="Compare", estates=names)
    assert len(at.multiselect(key="estates").value) == 5
    warning = " ".join(w.value for w in at.warning)
    assert "The link names 7 estates" in warning
    assert all(safe_text.markdown(n) in warning for n in names[5:])


def test_the_whole_view_outlives_a_page_switch(home):
    at = run(page="Map", palette="viridis", basemap="true", metric="£ per household")
    assert at.radio(key="palette").value == "viridis" and at.checkbox(key="basemap").value
    at.radio(key="page").set_value("Exports").run()
    assert not at.exception
    kept = {k: _param(at, k) for k in ("palette", "basemap", "metric")}
    assert kept == {"palette": ["viridis"], "basemap": ["true"], "metric": ["£ per household"]}
    at.radio(key="page").set_value("Map").run()
    assert at.radio(key="palette").value == "viridis"
    assert at.radio(key="metric").value == "£ per household"


def test_pot_services_and_drill_down_come_back_from_a_link(home, con):
    eid = reads.resolve_estate(con, "Hilgrove")
    at = run(page="PB pot", estate=HILGROVE, pot=["caretaking", "green_space"])
    box = at.multiselect(key=f"pot::{eid}::2024-25")
    assert box.value == ["caretaking", "green_space"]
    assert _param(at, "pot") == ["caretaking", "green_space"]
    box.set_value(list(pot.delegable_services(con))).run()
    assert not _param(at, "pot")  # the default pot needs no parameter
    lines = run(page="Estate", estate=HILGROVE, tab="Payment lines", drill="green_space",
                sankey_elsewhere="true")
    assert lines.selectbox(key="drill").value == "green_space"
    assert _param(lines, "sankey_elsewhere") == ["true"]
