"""App responsiveness, server side: ``app.py`` run by Streamlit's ``AppTest`` on a 1× store.

``AppTest`` executes the script exactly as a Streamlit server does for one session, without a
browser, so these are server times: the script run, queries, figures and map layers built, not
the network or the browser's drawing.

* ``app_first_render``: a fresh process (empty Streamlit caches) runs the app once, as a
  visitor opening it does (the Map page);
* ``app_switch_estate``: after a first render, pick three estates in turn on the Map page
  (the map refocuses), move to the Estate page, and pick three more there (overview,
  provenance, charts). Every estate is new to the session, so the per-estate caches are
  cold, as for a visitor moving on; each switch is timed on its own.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO_DIR, Body, stage

APP = REPO_DIR / "app.py"
TIMEOUT_S = 600
SWITCHES = 3  # estates picked on each page, every one new to the session


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _app(spec: dict[str, Any]):
    from streamlit.testing.v1 import AppTest

    home = Path(spec["scratch"]) / "home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spec["store"], home / "placespend.duckdb")
    os.environ["PLACESPEND_HOME"] = str(home)
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)


def _problems(at) -> list[str]:
    return [str(e.value)[:200] for e in at.exception] + [str(e.value)[:200] for e in at.error]


@stage("app_first_render")
def app_first_render(spec: dict[str, Any]) -> Body:
    at = _app(spec)

    def body() -> dict[str, Any]:
        at.run()
        return {"problems": _problems(at)}

    return body


@stage("app_switch_estate")
def app_switch_estate(spec: dict[str, Any]) -> Body:
    at = _app(spec)
    at.run()
    options = list(at.selectbox(key="estate").options)

    def body() -> dict[str, Any]:
        picks = [round(i * (len(options) - 1) / (2 * SWITCHES)) for i in range(2 * SWITCHES)]
        on_map = [_timed(lambda i=i: at.selectbox(key="estate").select_index(i).run())
                  for i in picks[0::2]]
        page = _timed(lambda: at.radio(key="page").set_value("Estate").run())
        on_estate = [_timed(lambda i=i: at.selectbox(key="estate").select_index(i).run())
                     for i in picks[1::2]]
        return {"map_page_s": on_map, "estate_page_s": on_estate, "page_change_s": page,
                "estates": len(options), "problems": _problems(at)}

    return body
