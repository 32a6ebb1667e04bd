"""Issue 19's "Done when", in a real browser (Debian's Chromium via Playwright): the Estate page's
*Residents' priorities* tab on the shipped synthetic demo file, loaded from the tab itself:
the synthetic label, the gap in words, the chart and the table with the store's shares; text
from a resident's file shown as text, never as a link or an image; the across-estates table on
the Map page."""

from __future__ import annotations

import urllib.parse

import pytest
from _app_server import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM, wait_idle

from placespend import paths, priorities, reads, store

YEAR = "2024-25"
HOSTILE = "[click](http://evil.example/x) ![i](http://evil.example/i.png) <b>bold</b>"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def home(demo_home_copy, tmp_path_factory):
    home = demo_home_copy("e2e_priorities_home")
    # a second file, kept before the app starts, whose source is hostile text
    survey = tmp_path_factory.mktemp("survey") / "hostile_survey.csv"
    survey.write_text("estate,priority,rank,respondents,source,date\n"
                      f'Holly Lodge,caretaking,1,30,"{HOSTILE}",2024-05-01\n', encoding="utf-8")
    with store.connect(paths.db_path(home)) as con:
        priorities.PriorityBook.of(con).save(survey, con)
    return home


def _no_live_markup(pg) -> None:
    main = pg.get_by_test_id("stMain")
    assert main.locator("a[href*='evil.example']").count() == 0
    assert main.locator("img[src*='evil.example']").count() == 0


def test_the_priorities_tab_on_the_demo_file(server, home):
    with store.connect(paths.db_path(home)) as con:
        hilgrove = reads.resolve_estate(con, "Hilgrove")
        holly = reads.resolve_estate(con, "Holly Lodge")
        expected = priorities.compare(
            con, priorities.read_csv(priorities.shipped_file("demo"), con), hilgrove, YEAR)
    green = expected.table.set_index("priority_id").loc["green_space"]

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1500, "height": 1400})
        tab = urllib.parse.quote("Residents' priorities")
        pg.goto(f"{server}/?page=Estate&estate={hilgrove}&year={YEAR}&tab={tab}")
        pg.get_by_text("No residents' priorities are kept for this estate").wait_for(
            timeout=90000)
        pg.get_by_text("Import residents' priorities (CSV or pabulib .pb)").click()
        pg.get_by_role("button", name="Load the synthetic demo priorities").click()
        wait_idle(pg, 500)
        pg.get_by_text("these residents' priorities are made up").first.wait_for(timeout=30000)
        main = pg.get_by_test_id("stMain")
        text = main.inner_text()
        assert "SYNTHETIC DEMO DATA" in text
        assert "residents' top priority, Green space and grounds maintenance" in text
        assert green["said"] in text  # "ranked 1st by 62% of 140 respondents; …"
        chart = main.get_by_test_id("stPlotlyChart").first
        chart.wait_for(timeout=20000)
        pg.wait_for_timeout(800)
        drawn = chart.evaluate("el => el.textContent")
        assert "Green space and grounds maintenance" in drawn and "SYNTHETIC" in drawn
        table = main.get_by_test_id("stDataFrame").first
        table.wait_for(timeout=20000)
        # the table is a canvas grid; its CSV download holds the same rows
        assert main.get_by_test_id("stDataFrame").count() >= 1

        # a resident's hostile text is shown as typed, never obeyed
        pg.goto(f"{server}/?page=Estate&estate={holly}&year={YEAR}&tab={tab}")
        pg.get_by_text("residents' top priority").first.wait_for(timeout=60000)
        wait_idle(pg, 500)
        assert "[click](http" in main.inner_text() and "<b>bold</b>" in main.inner_text()
        _no_live_markup(pg)

        # the Estates Mission's table across estates, on the Map page
        pg.goto(f"{server}/?page=Map&year={YEAR}")
        header = pg.get_by_text("Residents' top priorities against spend (6 estates)")
        header.wait_for(timeout=90000)
        header.click()
        wait_idle(pg, 500)
        assert "smallest share first" in main.inner_text()
        _no_live_markup(pg)
        browser.close()


def test_a_vote_result_uploaded_on_the_pb_page_becomes_the_opened_scenario(server, home):
    from placespend import pot
    from placespend.pb_files import pabulib
    from placespend.scenarios import Scenario, ScenarioBook, plan

    with store.connect(paths.db_path(home)) as con:
        eid = reads.resolve_estate(con, "Whittington Estate")
        ballot = plan(con, Scenario(
            name="Vote", estate_id=eid, financial_year=YEAR,
            service_ids=tuple(pot.delegable_services(con)),
            ideas=(("Benches", 0), ("Planters", 0))))
    # an ideas pot of nothing: no idea fits, so the winners are none and the totals still hold
    data = pabulib(ballot) + b"v1;service_caretaking\n"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1500, "height": 1400})
        pg.goto(f"{server}/?page=PB+pot&estate={eid}&year={YEAR}")
        panel = pg.get_by_text("After the vote: next year's scenario from the result (.pb)")
        panel.wait_for(timeout=90000)
        panel.click()
        chooser = pg.get_by_test_id("stFileUploader").filter(has_text="Result file")
        chooser.locator("input[type=file]").set_input_files(
            {"name": "result.pb", "mimeType": "text/plain", "buffer": data})
        wait_idle(pg, 500)
        pg.get_by_role("button", name="Save next year's scenario").click()
        wait_idle(pg, 500)
        pg.get_by_text("Saved scenario").first.wait_for(timeout=30000)
        name = "2025-26: from the 2024-25 vote"
        pg.wait_for_function("n => location.search.includes(n)",
                             arg=urllib.parse.quote_plus(name), timeout=20000)
        browser.close()
    saved = ScenarioBook(paths.db_path(home)).get(name)
    assert saved.estate_id == eid and saved.ideas == ()
    with store.connect(paths.db_path(home)) as con:
        assert plan(con, saved).pot_pence == ballot.pot_pence
