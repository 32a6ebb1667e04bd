"""Server-side timings of the dashboard: first render and switching estate.

Runs ``app.py`` with Streamlit's ``AppTest`` (the script exactly as a server runs it for one
session, without a browser), so the times are server time: queries, figures and map layers,
not the network or the browser's drawing. Targets: first render under 5 s, switching estate
under 0.5 s. Nothing here asserts; it reports.

    .venv/bin/python -m benchmarks.app_timing [--home DIR] [--switches 5]

Call :func:`time_app` from other benchmark code. Run it in a fresh process for a cold first
render: Streamlit's caches live for the whole process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from placespend import settings

APP = Path(__file__).resolve().parents[1] / "app.py"


def _timed(at) -> float:
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    problems = [str(e.value)[:300] for e in at.exception]
    if problems:
        msg = f"app.py raised: {problems}"
        raise RuntimeError(msg)
    return elapsed


def time_app(home: Path | str | None = None, switches: int = 5) -> dict[str, object]:
    """Time the first render (Map page) and ``switches`` estate changes on the Map and Estate
    pages, each to an estate not shown before (cold per-estate caches).

    ``home`` holds a built store (default: ``$PLACESPEND_HOME`` or ``.placespend/``; the app
    builds one first if there is none, which is then part of the first render).
    """
    from streamlit.testing.v1 import AppTest

    if home is not None:
        os.environ[settings.HOME.name] = str(home)
    at = AppTest.from_file(str(APP), default_timeout=600)
    first = _timed(at)
    options = list(at.selectbox(key="estate").options)
    step = max(len(options) // (2 * switches + 1), 1)
    picks = iter(range(0, len(options), step))
    on_map, on_estate = [], []
    for _ in range(switches):
        at.selectbox(key="estate").select_index(next(picks))
        on_map.append(_timed(at))
    at.radio(key="page").set_value("Estate")
    _timed(at)
    for _ in range(switches):
        at.selectbox(key="estate").select_index(next(picks))
        on_estate.append(_timed(at))
    return {
        "first_render_s": round(first, 3),
        "switch_estate_map_s": {"median": round(statistics.median(on_map), 3),
                                "max": round(max(on_map), 3)},
        "switch_estate_estate_page_s": {"median": round(statistics.median(on_estate), 3),
                                        "max": round(max(on_estate), 3)},
        "targets_s": {"first_render": 5.0, "switch_estate": 0.5},
        "estates": len(options),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="folder with a built store")
    parser.add_argument("--switches", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(time_app(args.home, args.switches), indent=2))


if __name__ == "__main__":
    main()
