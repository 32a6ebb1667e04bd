"""Where the time of the spend pipeline goes: every SQL step timed, and cProfile over the rest.

The pipeline is mostly SQL, so a Python profiler alone would show one ``execute`` call per
step; this wraps the two functions that run steps (``placespend.ingest._run_step`` and
``placespend._sql.run_step``) to time each step, and runs cProfile around the whole
stage for the Python side (sniffing, Arrow hand-over, checks).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import After, Body, stage
from benchmarks.stages import spend_pipeline

TOP = 12


@stage("profile")
def profile_stage(spec: dict[str, Any]) -> tuple[Body, After]:
    from placespend import _sql, ingest

    timings: list[tuple[str, float]] = []
    inner_step, inner_run = ingest._run_step, _sql.run_step

    def ingest_step(con, step, **params):
        start = time.perf_counter()
        inner_step(con, step, **params)
        timings.append((step, time.perf_counter() - start))

    def run_step(con, step, params):
        start = time.perf_counter()
        n = inner_run(con, step, params)
        timings.append((step.name, time.perf_counter() - start))
        return n

    ingest._run_step, _sql.run_step = ingest_step, run_step
    body = spend_pipeline(spec)
    profiler = cProfile.Profile()

    def profiled() -> dict[str, Any]:
        start = time.perf_counter()
        profiler.enable()
        info = body()
        profiler.disable()
        total = time.perf_counter() - start
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(r"placespend[/\\](?!_sql)", TOP)
        return {**info, "total_s": total, "steps": timings,
                "python_profile": _trim(text.getvalue())}

    def restore() -> None:
        ingest._run_step, _sql.run_step = inner_step, inner_run

    return profiled, restore


def _trim(report: str) -> str:
    """The pstats table without its preamble, paths shortened to the repository."""
    lines = report.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    root = str(Path(__file__).resolve().parents[1]) + "/"
    return "\n".join(line.replace(root, "") for line in lines[start:] if line.strip())
