"""Text from users' files is shown as text in a real browser: no link, no image, no request
leaving localhost.

One store is built from inputs of every kind carrying hostile Markdown and HTML: estate names,
ids and boundary notes, catalogue service names, directorates, descriptions, outcome labels and
link rationales, contract titles and purposes, and spend payees. The dashboard serves it to
Debian's Chromium; every page and tab is opened, the map hovered for its tooltip, and the upload
page given files whose header and ids hold the same text, so that it appears inside the error
box. On every screen the test checks that no element carries an ``evil.example`` address in an
attribute a browser follows (``href``, ``src``, …), that the hostile text is on the page as
characters, and that the browser asked nothing of any host but the app's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
from pathlib import Path

import geopandas as gpd
import pytest
from _app_server import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM

from placespend import build, paths, safe_text

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)
sync_api = pytest.importorskip("playwright.sync_api")

EVIL = "evil.example"
# Markdown link, image and autolink; raw HTML image and link; Streamlit's colour directive,
# emoji shortcode and LaTeX. Each would fetch or link to EVIL if it were rendered.
HOSTILE = (
    "[link](http://evil.example/l) ![img](http://evil.example/i.png) "
    "<img src=http://evil.example/h.png> <a href=http://evil.example/a>a</a> "
    '<a href="http://evil.example/q">q</a> '
    "https://evil.example/auto :red[red] :smile: $x^2$"
)
SHOWN = "](http://evil.example/l)"  # what a viewer must see, literally
SHOWN_HTML = '<a href="http://evil.example/q">q</a>'  # in HTML contexts (charts, tooltip)

FOLLOWED = ("href", "src", "srcset", "xlink:href", "action", "formaction", "poster",
            "background", "style", "data")
_FIND_FOLLOWED = """(args) => {
  const [evil, attrs] = args;
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (attrs.includes(a.name) && a.value.includes(evil)) found.push(el.outerHTML.slice(0, 200));
    }
  }
  return found;
}"""


# Tabs whose Plotly chart draws names from the inputs (services, directorates, places).
CHARTS = ("Where it comes from", "Services together", "Compared")


def _hostile_catalogue(tmp: Path) -> Path:
    text = paths.CATALOGUE_PATH.read_text(encoding="utf-8")
    quoted = json.dumps(HOSTILE)[1:-1]

    def field(m: re.Match) -> str:
        value = m.group(3).strip().strip('"').strip("'")
        return f'{m.group(1)}{m.group(2)}: "{value} {quoted}"'

    text = re.sub(r"^(\s*-?\s*)(name|label|directorate|rationale|description): (.+)$", field,
                  text, flags=re.MULTILINE)
    path = tmp / "hostile_catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _hostile_estates(tmp: Path) -> Path:
    estates = gpd.read_parquet(paths.BOUNDARIES_DIR / "estates.parquet")
    estates = estates[["estate_id", "name", "geometry"]].copy()
    estates["name"] = [f"{n} {HOSTILE}" for n in estates["name"]]
    estates["boundary_note"] = f"Drawn by an officer. {HOSTILE}"
    estates.loc[estates.index[0], "estate_id"] = f"id {HOSTILE}"
    path = tmp / "hostile_estates.geojson"
    estates.to_file(path, driver="GeoJSON")
    return path


def _rewrite_csv(source: Path, target: Path, column: str, every: int = 1) -> Path:
    with source.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for i, row in enumerate(rows):
        if i % every == 0:
            row[column] = f"{row[column]} {HOSTILE}"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def hostile_home(demo_home, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile_browser")
    demo = paths.demo_dir(demo_home)
    (spend,) = demo.glob("*spend*.csv")
    (contracts,) = demo.glob("*contracts*.csv")
    home = tmp / "home"
    build.build(home, build.BuildInputs(
        spend=(_rewrite_csv(spend, tmp / "spend.csv", "Beneficiary Name", every=50),),
        contracts=_rewrite_csv(_rewrite_csv(contracts, tmp / "c1.csv", "title"),
                               tmp / "contracts.csv", "purpose"),
        catalogue=_hostile_catalogue(tmp),
        estates=_hostile_estates(tmp),
    ))
    return home


@pytest.fixture(scope="module")
def home(hostile_home):
    return hostile_home  # the shared ``server`` fixture runs the app on it


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        pg = context.new_page()
        host = urllib.parse.urlsplit(server).netloc
        pg.outside = []
        pg.on("request", lambda r: pg.outside.append(r.url)
              if urllib.parse.urlsplit(r.url).netloc not in ("", host) else None)
        yield pg
        browser.close()


def _settle(pg) -> None:
    pg.wait_for_timeout(400)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60000)
    pg.wait_for_timeout(600)


def _assert_inert(pg, where: str) -> None:
    followed = pg.evaluate(_FIND_FOLLOWED, [EVIL, list(FOLLOWED)])
    assert not followed, (where, followed[:5])
    assert not pg.outside, (where, pg.outside[:5])
    assert not pg.get_by_test_id("stException").count(), where


def _text(pg) -> str:
    """The page's visible text, without the invisible word joiners that break autolinks."""
    return pg.inner_text("body").replace(safe_text.WORD_JOINER, "")


def _open(pg, server: str, **params: str) -> None:
    pg.goto(f"{server}/?{urllib.parse.urlencode(params)}")
    pg.get_by_test_id("stSidebar").wait_for(timeout=90000)
    _settle(pg)


def _estate_label(hostile_home: Path) -> str:
    from placespend import store

    with store.connect(paths.db_path(hostile_home)) as con:
        return con.execute("select name from estates order by area_m2 desc limit 1").fetchone()[0]


def test_every_page_shows_hostile_text_as_text(page, server, hostile_home):
    estate = _estate_label(hostile_home)
    _open(page, server, page="Map", estate=estate)
    page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.wait_for(timeout=60000)
    _assert_inert(page, "Map")
    assert SHOWN in _text(page), "the estate card should show the name as typed"

    box = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.bounding_box()
    tooltips = 0
    for fx in (0.3, 0.4, 0.5, 0.6, 0.7):
        for fy in (0.3, 0.4, 0.5, 0.6, 0.7):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(150)
            tip = page.locator(".deck-tooltip")
            if tip.count() and tip.first.is_visible() and EVIL in tip.first.inner_text():
                tooltips += 1
                assert not tip.first.locator("img, a").count(), tip.first.inner_html()
                assert SHOWN_HTML in tip.first.inner_text(), tip.first.inner_html()
    assert tooltips, "no hover landed on an estate; the tooltip was never checked"
    _assert_inert(page, "Map tooltip")

    for tab in ("By service", "Where it comes from", "Services together", "Compared",
                "Payment lines"):
        _open(page, server, page="Estate", estate=estate, tab=tab)
        page.wait_for_timeout(1200)  # charts draw after the run ends
        _assert_inert(page, f"Estate / {tab}")
        if tab in CHARTS:
            drawn = page.locator("[data-testid='stPlotlyChart']").first.evaluate(
                "el => el.textContent")
            assert SHOWN_HTML in drawn, (tab, drawn[:500])
    page.get_by_text("About this boundary").click()
    page.wait_for_timeout(300)
    assert f"Drawn by an officer. {HOSTILE[:30]}" in _text(page)

    for name in ("PB pot", "Exports", "Method"):
        _open(page, server, page=name, estate=estate)
        _assert_inert(page, name)


def _upload(pg, server: str, label: str, name: str, data: bytes) -> str:
    _open(pg, server, page="Your own data")
    chooser = pg.get_by_test_id("stFileUploader").filter(has_text=label)
    chooser.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": data})
    pg.wait_for_timeout(800)
    pg.get_by_role("button", name="Check and build").click()
    pg.get_by_test_id("stAlertContentError").first.wait_for(timeout=120000)
    _settle(pg)
    return pg.get_by_test_id("stAlertContentError").first.inner_text().replace(
        safe_text.WORD_JOINER, "")


def test_upload_errors_quote_hostile_headers_and_ids_as_text(page, server, tmp_path):
    header = ",".join([HOSTILE.replace(",", " ").replace('"', ""),
                       "![x](http://evil.example/col.png)", "c"])
    message = _upload(page, server, "Spend export", "spend.csv",
                      f"{header}\n1,2,3\n4,5,6\n".encode())
    assert "no header row" in message and "evil.example" in message, message
    _assert_inert(page, "upload error: spend header")

    estates = gpd.read_parquet(paths.BOUNDARIES_DIR / "estates.parquet").head(2)
    estates = estates[["estate_id", "name", "geometry"]].copy()
    estates["estate_id"] = f"dup {HOSTILE}"
    path = tmp_path / "estates.geojson"
    estates.to_file(path, driver="GeoJSON")
    message = _upload(page, server, "Estates", "estates.geojson", path.read_bytes())
    assert "duplicated" in message and SHOWN in message, message
    _assert_inert(page, "upload error: estate id")
