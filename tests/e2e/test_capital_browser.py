"""Issue 16's "Done when", in a real browser (Debian's Chromium via Playwright): the Estate
page's capital tab shows capital by year; a pool of three services is saved, reopened from its
link in a fresh browser context and downloaded; each mission outcome filter gives its own map
total, and the three primary-outcome totals add up to the unfiltered (place-based) total."""

from __future__ import annotations

import time
import urllib.parse
from decimal import Decimal

import pandas as pd
import pytest
from _app_server import CHROMIUM, NO_CHROMIUM, wait_idle

from placespend import capital, money, paths, pools, reads, store, views

YEAR = "2024-25"
HILGROVE = "Dorman Way (derived)"  # the Hilgrove estate, named after its main street
POOL = "Repairs and health"
POOL_SERVICES = ("Responsive repairs (essential)", "Mental health and wellbeing",
                 "Adult social care")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("e2e_capital_home")  # pools are saved into it


@pytest.fixture(scope="module")
def con(home):
    with store.connect(paths.db_path(home)) as connection:
        yield connection


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


def _metric(pg, label: str, expected: str | None = None, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        box = pg.get_by_test_id("stMetric").filter(has_text=label).first
        value = box.get_by_test_id("stMetricValue").inner_text()
        if expected is None or value == expected or time.monotonic() > deadline:
            return value
        pg.wait_for_timeout(250)


def _url(server: str, **params: str) -> str:
    return f"{server}/?{urllib.parse.urlencode(params)}"


def test_the_capital_tab_shows_capital_by_year_for_an_estate(server, con, context):
    pg = context.new_page()
    pg.goto(_url(server, page="Estate", estate=HILGROVE, tab="Capital and services"))
    chart = pg.get_by_test_id("stPlotlyChart").first
    chart.wait_for(timeout=60000)
    wait_idle(pg)
    eid = reads.resolve_estate(con, "Hilgrove")
    totals = capital.capital_totals(con)
    years = list(totals.loc[totals["estate_id"] == eid, "financial_year"])
    assert len(years) >= 2
    ticks = chart.locator(".xtick text").all_text_contents()
    assert all(y in ticks for y in years), ticks
    assert "Capital spend" in chart.locator(".legendtext").all_text_contents()
    assert chart.locator(".barlayer .point").count() >= len(years)
    assert pg.get_by_text("largest capital year here").first.is_visible()


def _pick(pg, label: str, option: str) -> None:
    box = pg.get_by_role("combobox", name=label)
    box.click()
    box.fill(option)
    pg.keyboard.press("Enter")
    wait_idle(pg)


def test_a_pool_of_three_services_is_saved_reopened_by_url_and_exported(server, home, con,
                                                                       context, tmp_path):
    pg = context.new_page()
    pg.goto(_url(server, page="System financing", year=YEAR))
    pg.get_by_text("Pick the services to pool").wait_for(timeout=60000)
    for name in POOL_SERVICES:
        _pick(pg, "Services in the pool", name)
    expected = pools.work_out(con, pools.Pool("x", ("repairs_essential", "mental_health",
                                                    "adult_social_care"), (), YEAR))
    total = money.exact(expected.total_pence)
    assert _metric(pg, "Pooled total", total) == total
    pg.get_by_label("Pool name").fill(POOL)
    pg.get_by_role("button", name="Save pool").click()
    wait_idle(pg)
    pg.wait_for_url(lambda u: "pool=" in u, timeout=30000)
    link = pg.url
    assert urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["pool"] == [POOL]

    fresh = context.browser.new_context(viewport={"width": 1500, "height": 1100},
                                        accept_downloads=True)
    try:
        again = fresh.new_page()
        again.set_default_timeout(60_000)
        again.goto(link)
        again.get_by_test_id("stMetric").filter(has_text="Pooled total").wait_for()
        assert _metric(again, "Pooled total", total) == total
        chosen = again.get_by_test_id("stMultiSelect").filter(
            has_text="Services in the pool").inner_text()
        assert all(n in chosen for n in POOL_SERVICES), chosen
        with again.expect_download() as info:
            again.get_by_role("button", name="Download the pool (CSV)").click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
    finally:
        fresh.close()
    assert path.name.startswith("SYNTHETIC_DEMO_pool_")
    rows = pd.read_csv(path, dtype=str)
    assert set(rows["service"]) == set(POOL_SERVICES)
    assert sum(Decimal(v) for v in rows["amount_gbp"]) == Decimal(expected.total_pence) / 100


def test_each_outcome_filter_gives_its_own_map_total_and_the_three_add_up(server, con, context):
    pg = context.new_page()
    totals = {}
    labels = dict(zip(views.outcomes(con)["outcome_id"], views.outcomes(con)["label"],
                      strict=True))
    for outcome in (None, *labels):
        params = {"page": "Map", "year": YEAR}
        if outcome:
            params["outcome"] = labels[outcome]
        pg.goto(_url(server, **params))
        pg.get_by_test_id("stMetric").filter(has_text="Total on the map").wait_for(
            timeout=60000)
        wait_idle(pg)
        totals[outcome] = _metric(pg, "Total on the map")
    assert len(set(totals.values())) == 4, totals

    def pence(text: str) -> int:
        return int(Decimal(text.replace("£", "").replace(",", "")) * 100)

    assert sum(pence(totals[o]) for o in labels) == pence(totals[None])
    place_based = con.execute(
        "select sum(amount_pence) from place_spend where target_type = 'estate' and "
        "financial_year = $y", {"y": YEAR}).fetchone()[0]
    assert pence(totals[None]) == place_based
