"""App responsiveness, server side, on a 1× store: the app's own helper in a fresh process.

:func:`benchmarks.app_timing.time_app` (written with the dashboard) runs ``app.py`` with
Streamlit's ``AppTest``: the first render (Map page, cold caches) and estate switches on the
Map and Estate pages, each to an estate not shown before. Those are server times (queries,
figures, map layers), not the network or the browser's drawing. This stage runs it on a copy
of the benchmark's 1× store, in its own process, so the peak RSS is the app's.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from benchmarks.measure import Body, stage

SWITCHES = 3  # estates picked on each page


@stage("app")
def app_stage(spec: dict[str, Any]) -> Body:
    from benchmarks.app_timing import time_app

    home = Path(spec["scratch"]) / "home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spec["store"], home / "placespend.duckdb")

    def body() -> dict[str, Any]:
        return time_app(home, switches=SWITCHES)

    return body
