"""Issue 11's Classify page in a real browser (Debian's Chromium via Playwright): confirm a
service for the largest unclassified label, see the user's catalogue gain the rule, and the
rebuilt data set's coverage rise on the page as in the store; the shipped catalogue is
unchanged."""

from __future__ import annotations

import hashlib

import pytest
from _app_server import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM, running_app

from placespend import catalogue, classify, paths, store

LABEL = "Share of spend (£) the rules classify"
SERVICE = "corporate_it"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("e2e_classify_home")  # the rule and the rebuild go into it


def _coverage(home) -> tuple[classify.Coverage, str, str]:
    """The store's coverage, and its largest unclassified label's two parts."""
    with store.connect(paths.db_path(home)) as con:
        first = classify.unclassified(con, limit=1).iloc[0]
        return classify.coverage(con), first.org_unit, first.purpose


def _shown_share(pg) -> str:
    box = pg.get_by_test_id("stMetric").filter(has_text=LABEL).first
    return box.get_by_test_id("stMetricValue").inner_text()


def test_confirming_the_largest_label_adds_a_rule_and_raises_coverage(home):
    shipped = hashlib.sha256(paths.CATALOGUE_PATH.read_bytes()).hexdigest()
    before, org_unit, purpose = _coverage(home)
    with (running_app(home, home / "streamlit.log") as (url, _proc),
          sync_api.sync_playwright() as p):
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1200})
        context.set_default_timeout(60_000)
        pg = context.new_page()
        pg.goto(f"{url}/?page=Classify")
        pg.get_by_text(LABEL).first.wait_for()
        assert _shown_share(pg) == f"{before.share:.1%}"
        # The first card holds the largest label; its widgets carry their keys as classes.
        pg.get_by_text(f"{org_unit} / {purpose}").first.wait_for()
        service = pg.locator(".st-key-classify_choice_0").get_by_role("combobox")
        service.click()
        service.fill(SERVICE)
        pg.keyboard.press("Enter")
        pg.locator(".st-key-classify_confirm_0").get_by_role(
            "button", name="Confirm and rebuild").click()
        pg.get_by_text("Rule added to").first.wait_for(timeout=300_000)
        after, next_org, next_purpose = _coverage(home)
        sync_api.expect(pg.get_by_test_id("stMetric").filter(has_text=LABEL).first
                        .get_by_test_id("stMetricValue")).to_have_text(f"{after.share:.1%}")
        browser.close()

    assert after.classified_gross_pence > before.classified_gross_pence
    assert after.gross_pence == before.gross_pence  # the same money, more of it classified
    assert (next_org, next_purpose) != (org_unit, purpose)  # the confirmed label is done
    rule = catalogue.load_catalogue(home / "my_catalogue.yaml").rules[-1]
    assert rule.service == SERVICE
    assert hashlib.sha256(paths.CATALOGUE_PATH.read_bytes()).hexdigest() == shipped
