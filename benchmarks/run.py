"""``make bench``: generate the inputs, measure every stage, write RESULTS.md and results.json.

Usage::

    .venv/bin/python -m benchmarks.run                 # everything below (about an hour)
    .venv/bin/python -m benchmarks.run --scales 1      # Camden's real size only
    .venv/bin/python -m benchmarks.run --rows 3000 --runs 1 --in-process --out /tmp/b  # smoke
    .venv/bin/python -m benchmarks.run --only app-browser  # the browser part alone (~5 min)
    .venv/bin/python -m benchmarks.run --only london-build # 33 boroughs' spend, one build
    .venv/bin/python -m benchmarks.run --only x30          # 30x Camden in one file

Every measured stage runs in its own process (``benchmarks.measure``), several times, with
the stages being compared interleaved round by round so that they share the machine's load.
Inputs are generated once into ``benchmarks/.cache/`` (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks import app_browser, compare, data, london, london_scale, measure, report
from placespend import settings

BENCH_DIR = Path(__file__).resolve().parent
STAGES = ("floor", "ingest", "classify", "link", "boundaries", "atoms", "allocate", "reconcile",
          "export", "spend_pipeline", "build", "rebuild")
COMPARED = ("floor", "spend_pipeline", "build", "rebuild")  # interleaved in one set of rounds


REPO_ROOT = Path(__file__).resolve().parents[1]
PREVIOUS_NAME = "previous.json"  # the results.json a full run replaced (for before/after)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; return the results written to ``results.json``."""
    args = _parser().parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.only == "app-browser":
        return _only_browser(args, out)
    measure.IN_PROCESS = args.in_process
    measure.QUIET_LOAD = args.quiet_load
    if args.only in ONLY_PARTS:
        return _only_part(args, out)
    results: dict[str, Any] = {"meta": _meta(args), "inputs": {}, "scales": {}}
    for scale in args.scales:
        label = f"n{args.rows}" if args.rows else f"x{scale:g}"
        runs = args.runs if scale <= 1 else args.runs_large
        _say(f"[{label}] generating and preparing")
        spend = data.write_spend(scale, rows=args.rows, cache=args.cache)
        results["inputs"][label] = spend.as_json()
        spec = _prepare(spend, Path(args.cache) / "prepared" / label)
        results["scales"][label] = _scale(spec, runs, label)
        if not args.skip_profile:
            _say(f"[{label}] profile")
            results["scales"][label]["profile"] = measure.measure("profile", spec, 1).as_json()
        if label == results["meta"]["first_label"]:
            if not args.skip_compare:
                results["compare"] = _compare(spec, runs, Path(args.cache) / "compare" / label)
            if not args.skip_app:
                results["app"] = _app(spec, runs)
            if not args.skip_app_browser:
                results["app_browser"] = _app_browser(Path(spec["store"]), args)
    if not args.skip_careful:
        results["careful"] = _careful(args)
    if not args.skip_london:
        results["london"] = _london(args)
    if not args.skip_london_build:
        results["london_build"] = _london_build(args)
    if not args.skip_x30:
        results["x30"] = _x30(args)
    results["meta"]["finished"] = _now()
    results["meta"]["load_avg_end"] = os.getloadavg()[0]
    last = out / "results.json"
    if last.exists():  # the run this one replaces, for RESULTS.md's "since the last run"
        (out / PREVIOUS_NAME).write_text(last.read_text())
    last.write_text(_portable(json.dumps(results, indent=1, default=str)))
    _render(out, results, args)
    _say(f"wrote {out / 'RESULTS.md'} and {out / 'results.json'}")
    return results


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0],
                   help="multiples of Camden's 416,000 lines (default: 1 10)")
    p.add_argument("--rows", type=int, default=None,
                   help="exact number of lines instead of --scales (smoke runs)")
    p.add_argument("--runs", type=int, default=5, help="runs per stage at 1x (default 5)")
    p.add_argument("--runs-large", type=int, default=3, help="runs per stage above 1x")
    p.add_argument("--out", default=str(BENCH_DIR), help="folder for RESULTS.md, results.json")
    p.add_argument("--cache", default=str(data.CACHE_DIR), help="folder for generated inputs")
    p.add_argument("--baseline", default=str(BENCH_DIR / "baseline.json"),
                   help="results.json of the run before the optimisations, for before/after")
    p.add_argument("--quiet-load", type=float, default=None,
                   help="before each run, wait (up to 3 min) until the 1-minute load average "
                        "is below this (shared machines), e.g. 1.5 on 2 CPUs")
    p.add_argument("--in-process", action="store_true",
                   help="run stages in this process (fast; peak memory not clean): smoke tests")
    p.add_argument("--only", choices=["app-browser", *ONLY_PARTS], default=None,
                   help="run only this part and update its section of the existing results "
                        "(app-browser: on the cached 1x store, or the demo store when there "
                        "is none)")
    p.add_argument("--london-boroughs", nargs="+", default=None, metavar="GSS_CODE",
                   help="london-build: only these boroughs (default: all 33)")
    p.add_argument("--runs-x30", type=int, default=1, help="runs per stage at 30x (default 1)")
    p.add_argument("--sessions", type=int, nargs="+", default=[1, 10],
                   help="concurrent browser sessions for the app-browser part (default: 1 10)")
    for part in ("london", "london-build", "x30", "app", "app-browser", "compare", "profile",
                 "careful"):
        p.add_argument(f"--skip-{part}", action="store_true", help=f"leave out the {part} case")
    return p


def _prepare(spend: data.SpendInput, folder: Path) -> dict[str, Any]:
    """Build the store and the reference-only store the stages start from (untimed)."""
    spec: dict[str, Any] = {"spend": str(spend.spend), "contracts": str(spend.contracts),
                            "prepared": str(folder)}
    info = measure.measure("prepare", spec, 1).samples[0].info
    return {**spec, "store": str(folder / "store.duckdb"), "ref": str(folder / "ref.duckdb"),
            "borough_code": info["borough_code"]}


def _scale(spec: dict[str, Any], runs: int, label: str) -> dict[str, Any]:
    _say(f"[{label}] floor, spend pipeline, build and rebuild, interleaved, {runs} runs")
    measured = measure.measure_rounds(list(COMPARED), spec, runs)
    for name in STAGES:
        if name not in measured:
            _say(f"[{label}] {name}, {runs} runs")
            measured[name] = measure.measure(name, spec, runs)
    return {"stages": {n: measured[n].as_json() for n in STAGES}}


def _compare(spec: dict[str, Any], runs: int, folder: Path) -> dict[str, Any]:
    _say("allocation: placespend vs tobler vs pandas")
    size = compare.prepare_input(Path(spec["store"]), folder / "input")
    output = folder / "output"
    output.mkdir(parents=True, exist_ok=True)
    cspec = {"compare_input": str(folder / "input"), "output": str(output)}
    measured = measure.measure_rounds(list(compare.METHODS), cspec, runs)
    import pandas as pd

    groups = pd.read_parquet(folder / "input" / "groups.parquet")
    return {"input": size, "timings": {n: m.as_json() for n, m in measured.items()},
            "agreement": compare.agreement(output, groups)}


def _app(spec: dict[str, Any], runs: int) -> dict[str, Any]:
    if not measure.REPO_DIR.joinpath("app.py").exists():
        return {"skipped": "app.py is not there"}
    _say("app: first render and switching estate")
    return measure.measure("app", spec, max(1, min(runs, 3))).as_json()


def _app_browser(store: Path, args, what: str = "the first scale's store") -> dict[str, Any]:
    """The dashboard in Chromium on a copy of ``store`` (see :mod:`benchmarks.app_browser`)."""
    _say(f"app in a real browser: {', '.join(map(str, args.sessions))} concurrent session(s)")
    home = Path(args.cache) / "browser" / "home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(store, home / "placespend.duckdb")
    load = os.getloadavg()[0]
    result = app_browser.time_browser(home, tuple(args.sessions))
    return {**result, "store": what, "load_avg": [load, os.getloadavg()[0]]}


def _only_browser(args, out: Path) -> dict[str, Any]:
    """``--only app-browser``: measure the browser part and re-render RESULTS.md with it,
    keeping every other section from the last full run's results.json (it says so)."""
    previous = out / "results.json"
    results = json.loads(previous.read_text()) if previous.exists() else {"meta": _meta(args)}
    store = Path(args.cache) / "prepared" / "x1" / "store.duckdb"
    what = "the 1× store"
    if not store.exists():  # no full run here yet: the default build, with the demo spend
        from placespend import paths
        from placespend.build import build

        demo = Path(args.cache) / "browser" / "demo_home"
        if not paths.db_path(demo).exists():
            build(demo)
        store, what = paths.db_path(demo), "the default build (synthetic demo spend)"
    results["app_browser"] = _app_browser(store, args, what)
    results["app_browser"]["measured"] = _now()
    results["app_browser"]["commit"] = _git("rev-parse", "--short", "HEAD")
    (out / "results.json").write_text(_portable(json.dumps(results, indent=1, default=str)))
    _render(out, results, args)
    _say(f"updated the browser section of {out / 'RESULTS.md'}")
    return results


def _careful(args) -> dict[str, Any]:
    """The 150 MB Windows-1252 export, read by the careful reader under the memory cap."""
    _say("Windows-1252 export: generating, then careful ingest and build")
    spend = data.write_cp1252(cache=Path(args.cache), rows=args.rows)
    spec = {"spend": str(spend.spend), "contracts": str(spend.contracts)}
    runs = max(1, min(args.runs_large, 3))
    measured = measure.measure_rounds(["careful_ingest", "careful_build"], spec, runs)
    return {"input": spend.as_json(), **{n: m.as_json() for n, m in measured.items()}}


def _london(args) -> dict[str, Any]:
    if not london.available():
        return {"skipped": f"{london.LONDON_DIR} is not there (it is read at bench time only)"}
    _say("London: generating layers, then boundaries and atoms")
    folder = london.write_layers(Path(args.cache) / "london_seed2030")
    spec = {"london": str(folder)}
    runs = max(1, min(args.runs_large, 3))
    measured = measure.measure_rounds(["london_boundaries", "london_atoms"], spec, runs)
    return {"layers": london.layer_counts(folder),
            **{n: m.as_json() for n, m in measured.items()}}


def _london_build(args) -> dict[str, Any]:
    """Every borough's Camden-size export in one build on the London geography."""
    if not london.available():
        return {"skipped": f"{london.LONDON_DIR} is not there (it is read at bench time only)"}
    codes = args.london_boroughs
    name = "london_seed2030" + (f"_{'_'.join(sorted(codes))}" if codes else "")
    _say("London build: generating layers and every borough's export")
    folder = london.write_layers(Path(args.cache) / name, boroughs=codes)
    spend = london_scale.write_london_spend(folder, cache=Path(args.cache), rows=args.rows)
    spec = {"london": str(folder), "spend_files": [b.spend for b in spend.boroughs],
            "contracts": spend.contracts}
    _say(f"London build: {spend.rows:,} lines in {len(spend.boroughs)} files, one build")
    measured = measure.measure("london_build", spec, 1, timeout=4 * 3600)
    return {"layers": london.layer_counts(folder), "input": spend.as_json(),
            "london_build": measured.as_json(), "measured": _now(),
            "commit": _git("rev-parse", "--short", "HEAD"), "load_avg_end": os.getloadavg()[0]}


def _x30(args) -> dict[str, Any]:
    """30x Camden in one file: the floor, the spend pipeline and the whole build."""
    scale = london_scale.X30
    rows = args.rows * round(scale) if args.rows else None
    _say("x30: generating")
    spend = data.write_spend(scale, rows=rows, cache=args.cache)
    ref = Path(args.cache) / "prepared" / "ref_shipped.duckdb"
    info = measure.measure("prepare_ref", {"ref": str(ref)}, 1).samples[0].info
    spec = {"spend": str(spend.spend), "contracts": str(spend.contracts), "ref": str(ref),
            "borough_code": info["borough_code"]}
    _say(f"x30: floor, spend pipeline and build on {spend.rows:,} lines, {args.runs_x30} run(s)")
    names = ["floor", "spend_pipeline", "build"]
    measured = measure.measure_rounds(names, spec, args.runs_x30, timeout=4 * 3600)
    return {"input": spend.as_json(), "stages": {n: measured[n].as_json() for n in names},
            "measured": _now(), "commit": _git("rev-parse", "--short", "HEAD"),
            "load_avg_end": os.getloadavg()[0]}


def _only_part(args, out: Path) -> dict[str, Any]:
    """``--only london-build`` / ``--only x30``: measure that part and re-render RESULTS.md
    with it, keeping every other section from the last full run's results.json."""
    previous = out / "results.json"
    results = json.loads(previous.read_text()) if previous.exists() else {"meta": _meta(args)}
    key, run_part = ONLY_PARTS[args.only]
    results[key] = run_part(args)
    (out / "results.json").write_text(_portable(json.dumps(results, indent=1, default=str)))
    _render(out, results, args)
    _say(f"updated the {args.only} section of {out / 'RESULTS.md'}")
    return results


ONLY_PARTS = {"london-build": ("london_build", _london_build), "x30": ("x30", _x30)}


def _meta(args) -> dict[str, Any]:
    import duckdb
    import geopandas
    import tobler

    labels = [f"n{args.rows}" if args.rows else f"x{s:g}" for s in args.scales]
    return {
        "started": _now(),
        "commit": settings.BENCH_COMMIT.value() or _git("rev-parse", "--short", "HEAD"),
        "dirty_engine": _git("status", "--porcelain", "placespend", "pipelines") not in ("",
                                                                                       "unknown"),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "geopandas": geopandas.__version__,
        "tobler": tobler.__version__,
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_avg_start": os.getloadavg()[0],
        "runs": args.runs,
        "runs_large": args.runs_large,
        "in_process": args.in_process,
        "quiet_load": args.quiet_load,
        "first_label": labels[0],
        "labels": labels,
    }


def _portable(text: str) -> str:
    """Results with paths inside the repository written relative to it (no machine's folder)."""
    return text.replace(json.dumps(str(REPO_ROOT) + "/")[1:-1], "")


def _render(out: Path, results: dict[str, Any], args: argparse.Namespace) -> None:
    """RESULTS.md from ``results``, beside the run before the optimisations (``--baseline``)
    and the full run this one replaced (``previous.json``, kept by a full run)."""
    previous = _baseline(str(out / PREVIOUS_NAME))
    (out / "RESULTS.md").write_text(report.render(results, _baseline(args.baseline), previous))


def _baseline(path: str) -> dict[str, Any] | None:
    p = Path(path)
    return json.loads(p.read_text()) if p.exists() else None


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=BENCH_DIR, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _say(text: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
