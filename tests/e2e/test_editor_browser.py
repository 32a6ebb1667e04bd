"""The estate editor in a real browser (Debian's Chromium, Playwright), from the keyboard.

An officer adds two blocks to the Hilgrove estate, sees its area and households grow, saves
the estates as a data set and switches to it (and the downloaded layer rebuilds the same
figures with ``placespend build --estates``): there the estate holds more households and
more money, the spend read is the same and every penny is still accounted for. The picks are
made in the lists beside the map (the map's own clicks are not reliable under software
rendering, see ``test_browser.py``). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _app_server import CHROMIUM, NO_CHROMIUM, wait_idle
from test_browser import ARTIFACTS, YEAR, _metric, _shot

from placespend import estate_editor as ed
from placespend import money, paths, reads, store
from placespend.reconcile import reconcile

HILGROVE = "Dorman Way (derived)"
LAYER_NAME = "hilgrove plus two"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("editor_home")


def _figures(draft: ed.Draft, layers: ed.Layers, estate_id: str) -> dict[str, str]:
    """The editor's three metrics for the estate, as the page shows them."""
    row = ed.measure([draft.estate(estate_id).geometry], layers).iloc[0]
    return {"Area (m²)": f"{row['area_m2']:,.1f}",
            "Households (est.)": f"{row['households_est']:,.1f}",
            "Council households (est.)": f"{row['council_households_est']:,.1f}"}


def _estate(con, estate_id: str) -> dict:
    """The estate's total for the year and its area and households, as the store holds them."""
    total = reads.estate_totals(con, YEAR).set_index("estate_id").loc[estate_id, "total_pence"]
    area, households = con.execute("select area_m2, households_est from estates where "
                                   "estate_id = ?", [estate_id]).fetchone()
    return {"total_pence": int(total), "area_m2": area, "households_est": households}


def _pick(pg, label: str, option: str) -> None:
    box = pg.get_by_role("combobox", name=label)
    box.click()
    box.fill(option)
    pg.keyboard.press("Enter")
    pg.keyboard.press("Escape")
    pg.wait_for_timeout(300)


def _wait_text(pg, text: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in pg.inner_text("body"):
        assert time.monotonic() < deadline, f"{text!r} never appeared"
        pg.wait_for_timeout(500)


def test_two_blocks_added_grow_the_estate_in_a_data_set_of_its_own(server, home, browser,
                                                                    tmp_path):
    default_db = paths.db_path(home)
    before_mtime = default_db.stat().st_mtime
    con = store.connect(default_db)
    eid = reads.resolve_estate(con, "Hilgrove")
    layers = ed.load_layers(con)
    draft = ed.draft_from_store(con, "default")
    near = ed.near_blocks(draft, eid, layers)
    two = near[~near["in_estate"] & near["holder"].isna()]["block_id"].head(2).tolist()
    grown = ed.add(draft, eid, layers, block_ids=two)
    old = _estate(con, eid)
    old_rec = reconcile(con)
    con.close()

    context = browser.new_context(viewport={"width": 1500, "height": 1100},
                                  accept_downloads=True)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.goto(f"{server}/?page=Edit+estates&estate=Dorman+Way+%28derived%29")
    pg.get_by_role("button", name="Apply changes").wait_for(timeout=90_000)
    for label, value in _figures(draft, layers, eid).items():
        assert _metric(pg, label, value) == value
    _shot(pg, "20_editor")

    for block in two:
        _pick(pg, "Add blocks", block)
    pg.get_by_role("button", name="Apply changes").click()
    wait_idle(pg)
    want = _figures(grown, layers, eid)
    for label, value in want.items():
        assert _metric(pg, label, value) == value
    assert float(want["Area (m²)"].replace(",", "")) > old["area_m2"]
    assert float(want["Households (est.)"].replace(",", "")) > old["households_est"]
    _shot(pg, "21_editor_two_blocks")

    pg.get_by_label("Name for the estates layer").fill(LAYER_NAME)
    pg.keyboard.press("Tab")
    wait_idle(pg)
    with pg.expect_download() as info:
        pg.get_by_role("button", name="Download the estates layer (GeoJSON)").click()
    layer_file = tmp_path / info.value.suggested_filename
    info.value.save_as(layer_file)
    saved = json.loads(layer_file.read_text(encoding="utf-8"))
    feature = next(f for f in saved["features"] if f["properties"]["estate_id"] == eid)
    assert all(b in feature["properties"]["boundary_note"] for b in two)
    assert info.value.suggested_filename == "hilgrove-plus-two.geojson"

    pg.get_by_role("button", name="Save as a data set").click()
    _wait_text(pg, "and switched to it")
    wait_idle(pg)
    picker = pg.get_by_role("combobox", name="Data set")
    assert "hilgrove-plus-two" in (picker.input_value() or picker.get_attribute("value") or "")
    _shot(pg, "22_editor_saved")

    built = paths.uploads_dir(home) / "hilgrove-plus-two" / paths.DB_FILENAME
    new = store.connect(built)
    row = _estate(new, eid)
    rec = reconcile(new)
    new.close()
    assert row["area_m2"] == pytest.approx(float(want["Area (m²)"].replace(",", "")), abs=0.1)
    assert row["households_est"] == pytest.approx(
        float(want["Households (est.)"].replace(",", "")), abs=0.05)
    assert row["total_pence"] != old["total_pence"]
    # the same spend, every penny of it placed on an estate, in a ward or excluded
    assert rec.ok and rec.difference_pence == 0 and rec.groups_mismatched == 0
    assert rec.input_pence == old_rec.input_pence
    assert rec.estates_pence + rec.residual_pence + rec.excluded_pence == rec.input_pence

    # the downloaded file rebuilds the same figures from the command line
    cli = Path(sys.executable).with_name("placespend")
    subprocess.run([str(cli), "build", "--home", str(tmp_path / "cli"), "--estates",
                    str(layer_file)], check=True, capture_output=True)
    rebuilt = store.connect(tmp_path / "cli" / paths.DB_FILENAME)
    assert _estate(rebuilt, eid) == row
    assert reconcile(rebuilt).ok
    rebuilt.close()

    pg.get_by_text("Estate", exact=True).first.click()
    wait_idle(pg)
    pg.get_by_role("heading", name=HILGROVE, level=2).wait_for()
    total = money.exact(row["total_pence"])
    assert _metric(pg, "Total spend placed here", total) == total
    assert f"about {row['households_est']:,.0f} households" in pg.inner_text("body")
    pg.get_by_text("Method", exact=True).first.click()
    wait_idle(pg)
    pg.get_by_text("Money is conserved to the penny.").wait_for()
    _shot(pg, "23_new_data_set_method")
    assert default_db.stat().st_mtime == before_mtime
    assert ARTIFACTS.exists()
    context.close()
