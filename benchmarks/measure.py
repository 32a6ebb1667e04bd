"""Run one measured stage in a fresh Python process and read back its wall time and peak RSS.

A stage is a function ``setup(spec) -> body`` (or ``(body, after)``) registered in
:data:`STAGES` (see :mod:`benchmarks.stages` and :mod:`benchmarks.compare`). The child
process runs ``setup`` untimed, resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``), times ``body()``, reads the peak back (``VmHWM``) and only then
runs ``after()`` (saving results for checking). The peak is the process's resident memory at
its highest *during* the stage: Python, the libraries, DuckDB's buffers and the stage's data.
``tracemalloc`` would miss DuckDB's and GEOS's native memory, hence RSS.
"""

from __future__ import annotations

import gc
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

Body = Callable[[], dict[str, Any] | None]
After = Callable[[], None]
Setup = Callable[[dict[str, Any]], Body | tuple[Body, After]]
STAGES: dict[str, Setup] = {}
STAGE_MODULES = ("benchmarks.stages", "benchmarks.compare", "benchmarks.london",
                 "benchmarks.london_scale", "benchmarks.app_server", "benchmarks.profile")

IN_PROCESS = False  # True: run stages in this process (smoke tests; peak RSS not clean)
QUIET_LOAD: float | None = None  # wait before each run until the 1-minute load is below this
MAX_WAIT_S = 180.0  # ... but no longer than this

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent


def stage(name: str) -> Callable[[Setup], Setup]:
    """Register ``setup`` as the stage ``name``."""

    def register(setup: Setup) -> Setup:
        STAGES[name] = setup
        return setup

    return register


@dataclass
class Sample:
    """One run of one stage."""

    seconds: float
    cpu_seconds: float  # user + system time of every thread of the process
    peak_rss_mb: float
    base_rss_mb: float
    load_avg: float  # the machine's 1-minute load average when the stage started
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Measured:
    """Every run of one stage, with the summary the report shows."""

    name: str
    samples: list[Sample]

    @property
    def seconds(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        """Median wall time, seconds."""
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        """Median CPU time (user + system, all threads), seconds."""
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def spread(self) -> tuple[float, float]:
        """Fastest and slowest run, seconds."""
        return min(self.seconds), max(self.seconds)

    @property
    def peak_rss_mb(self) -> float:
        """Highest peak RSS over the runs, MB."""
        return max(s.peak_rss_mb for s in self.samples)

    @property
    def base_rss_mb(self) -> float:
        """Median RSS just before the stage started (interpreter, libraries, inputs), MB."""
        return statistics.median(s.base_rss_mb for s in self.samples)

    def as_json(self) -> dict[str, Any]:
        lo, hi = self.spread
        return {
            "name": self.name,
            "runs": len(self.samples),
            "median_s": self.median,
            "min_s": lo,
            "max_s": hi,
            "cpu_median_s": self.cpu_median,
            "load_avg_max": max(s.load_avg for s in self.samples),
            "peak_rss_mb": self.peak_rss_mb,
            "base_rss_mb": self.base_rss_mb,
            "samples": [asdict(s) for s in self.samples],
        }


def measure(name: str, spec: dict[str, Any], runs: int, *, timeout: float = 3600) -> Measured:
    """Run stage ``name`` ``runs`` times, each in a fresh process, and collect the samples."""
    return measure_rounds([name], spec, runs, timeout=timeout)[name]


def measure_rounds(
    names: list[str], spec: dict[str, Any], runs: int, *, timeout: float = 3600
) -> dict[str, Measured]:
    """Run every stage in ``names`` once per round, ``runs`` rounds, interleaved.

    Interleaving puts the stages being compared (the floor and the pipeline, say) under the
    same machine load, so their ratio stays fair when other work comes and goes.
    """
    samples: dict[str, list[Sample]] = {n: [] for n in names}
    for _ in range(runs):
        for name in names:
            samples[name].append(_run_once(name, spec, timeout))
    return {n: Measured(n, s) for n, s in samples.items()}


def _wait_for_quiet() -> None:
    """On a shared machine, let other people's work pass before a run (up to MAX_WAIT_S)."""
    if QUIET_LOAD is None:
        return
    deadline = time.monotonic() + MAX_WAIT_S
    while os.getloadavg()[0] >= QUIET_LOAD and time.monotonic() < deadline:
        time.sleep(5)


def _run_once(name: str, spec: dict[str, Any], timeout: float) -> Sample:
    _wait_for_quiet()
    with tempfile.TemporaryDirectory(dir=spec.get("scratch_root")) as scratch:
        result = Path(scratch) / "result.json"
        payload = {**spec, "stage": name, "scratch": scratch, "result": str(result)}
        if IN_PROCESS:
            _child(payload)
            return Sample(**json.loads(result.read_text()))
        env = {**os.environ, "PYTHONPATH": _pythonpath()}
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.measure", json.dumps(payload)],
            cwd=REPO_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0 or not result.exists():
            msg = f"stage '{name}' failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
            raise RuntimeError(msg)
        return Sample(**json.loads(result.read_text()))


def _pythonpath() -> str:
    current = os.environ.get("PYTHONPATH")
    return f"{REPO_DIR}{os.pathsep}{current}" if current else str(REPO_DIR)


# -- inside the child process ------------------------------------------------------------------


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS since the last reset) of this process, MB."""
    status = Path("/proc/self/status").read_text()
    cur = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return cur / 1024, peak / 1024


def reset_peak() -> None:
    """Reset the kernel's peak-RSS counter of this process (Linux >= 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(payload: dict[str, Any]) -> None:
    import importlib

    from benchmarks import measure  # this file runs as __main__: use the imported module's table

    for module in STAGE_MODULES:
        importlib.import_module(module)  # registers its stages
    prepared = measure.STAGES[payload["stage"]](payload)
    body, after = prepared if isinstance(prepared, tuple) else (prepared, None)
    gc.collect()
    base, _ = rss_mb()
    load = os.getloadavg()[0]
    reset_peak()
    cpu = _cpu()
    start = time.perf_counter()
    info = body() or {}
    seconds = time.perf_counter() - start
    cpu = _cpu() - cpu
    _, peak = rss_mb()
    if after is not None:  # untimed: write results for checking
        after()
    sample = Sample(seconds=seconds, cpu_seconds=cpu, peak_rss_mb=peak, base_rss_mb=base,
                    load_avg=load, info=info)
    Path(payload["result"]).write_text(json.dumps(asdict(sample)))


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
