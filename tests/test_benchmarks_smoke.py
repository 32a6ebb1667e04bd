"""The benchmark harness runs end to end on a tiny file, and its three allocations agree.

No timing is asserted (machines differ); these pin that ``make bench`` works, that its
generated input has Camden's shape, and that placespend's allocation equals
``tobler.area_interpolate``'s and a plain pandas loop's on the same input.
"""

from __future__ import annotations

import csv
import json
import sys

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from placespend import paths
from placespend.demo import SPEND_COLUMNS

sys.path.insert(0, str(paths.REPO_DIR))  # benchmarks/ is a folder of the repository, not installed
from benchmarks import compare, data, measure, run  # noqa: E402

ROWS = 1_500


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    try:
        results = run.main([
            "--rows", str(ROWS), "--runs", "1", "--scales", "1", "--in-process",
            "--skip-london", "--skip-app", "--skip-app-browser", "--skip-profile",
            "--out", str(out), "--cache", str(out / "cache"),
            "--baseline", str(out / "no-baseline.json"),
        ])
    finally:
        measure.IN_PROCESS = False
    return out, results


def test_harness_writes_the_report_and_raw_figures_for_every_stage(tiny_run):
    out, results = tiny_run
    text = (out / "RESULTS.md").read_text()
    assert "## Targets" in text and "## Allocation side by side" in text
    stages = json.loads((out / "results.json").read_text())["scales"][f"n{ROWS}"]["stages"]
    assert set(stages) == set(run.STAGES)
    assert all(s["median_s"] > 0 and s["peak_rss_mb"] > 0 for s in stages.values())


def test_spend_pipeline_and_build_reconcile_every_generated_line(tiny_run):
    _, results = tiny_run
    stages = results["scales"][f"n{ROWS}"]["stages"]
    for name in ("spend_pipeline", "build"):
        info = stages[name]["samples"][0]["info"]
        assert info["ok"] and info["rows_read"] == ROWS
    assert stages["reconcile"]["samples"][0]["info"]["ok"]


def test_the_windows_1252_case_is_read_by_the_careful_reader_within_the_cap(tiny_run):
    out, results = tiny_run
    careful = results["careful"]
    info = careful["careful_ingest"]["samples"][0]["info"]
    assert (info["reader"], info["encoding"]) == ("python", "cp1252")
    assert info["rows_read"] == info["rows_accepted"] == ROWS
    assert info["accepted_pence"] == careful["input"]["total_pence"]
    assert careful["careful_build"]["samples"][0]["info"]["ok"]
    text = (out / "RESULTS.md").read_text()
    assert "## A Windows-1252 export, read by the careful reader" in text
    assert "Windows-1252 export: ingest working memory" in text


def test_generated_file_has_camdens_columns_unique_ids_and_scaled_total(tiny_run):
    _, results = tiny_run
    spend = results["inputs"][f"n{ROWS}"]
    with open(spend["spend"], newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == SPEND_COLUMNS and len(rows) == ROWS + 1
    ids = [r[-1] for r in rows[1:]]
    assert len(set(ids)) == ROWS
    pence = sum(round(float(r[9]) * 100) for r in rows[1:])
    assert pence == spend["total_pence"] == round(data.CAMDEN.total_pence * ROWS / data.CAMDEN.rows)
    assert min(round(float(r[9]) * 100) for r in rows[1:]) >= data.MIN_LINE_PENCE


def test_allocation_equals_tobler_and_the_pandas_loop_on_camden_atoms(tiny_run):
    _, results = tiny_run
    agree = results["compare"]["agreement"]
    assert agree["alloc_placespend_exact"]["max_rel"] <= 1e-9
    assert agree["alloc_pandas"]["max_rel"] <= 1e-9
    assert agree["alloc_tobler"]["max_rel"] <= 1e-6  # tobler's own float32 overlap table
    pence = agree["alloc_placespend"]
    assert pence["max_abs_pence"] < 1
    assert pence["cells_equal_to_rounded_reference"] == pence["cells"]
    assert pence["groups_conserved"] == pence["groups"]


@pytest.fixture
def boxes(tmp_path):
    """The two-ward borough of conftest.py as boxes: areas 100, 300 | 100, 100 (m²)."""
    atoms = gpd.GeoDataFrame(
        {"atom_id": [1, 2, 3, 4], "ward_code": ["W1", "W1", "W2", "W2"],
         "estate_id": ["E1", None, "E2", None]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 40, 10), box(40, 0, 50, 10), box(50, 0, 60, 10)],
        crs="EPSG:27700",
    )
    wards = gpd.GeoDataFrame({"ward_code": ["W1", "W2"]},
                             geometry=[box(0, 0, 40, 10), box(40, 0, 60, 10)], crs="EPSG:27700")
    groups = pd.DataFrame({
        "group_id": [1, 2, 3], "service_id": ["s", "s", "t"],
        "month": ["2024-04", "2024-04", "2024-05"], "scope_type": ["borough", "ward", "borough"],
        "scope_code": ["B1", "W2", "B1"], "total_pence": [100_001, 333, -7], "n_lines": [1, 1, 1],
    })
    compare.write_input(tmp_path / "input", groups, atoms,
                        pd.DataFrame({"atom_id": atoms["atom_id"], "area": atoms.area}), wards,
                        "B1")
    (tmp_path / "output").mkdir()
    spec = {"compare_input": str(tmp_path / "input"), "output": str(tmp_path / "output")}
    for method in compare.METHODS:
        body, after = measure.STAGES[method](spec)
        body()
        after()
    return tmp_path, groups


def test_every_method_gives_the_hand_worked_shares_on_boxes(boxes):
    folder, groups = boxes
    pence = pd.read_parquet(folder / "output" / "alloc_placespend.parquet")
    got = {(r.group_id, r.target_id): r.amount for r in pence.itertuples()}
    # 100,001p by area 100:300:100:100 -> 16,666.83 | 50,000.5 | 16,666.83 | 16,666.83: the three
    # spare pence go to the largest remainders (.83)
    assert (got[1, "E1"], got[1, "W1"], got[1, "E2"], got[1, "W2"]) == (16_667, 50_000, 16_667,
                                                                        16_667)
    # 333p over W2's 100:100 -> 166.5 each: the tie goes to the lower target (estate E2)
    assert (got[2, "E2"], got[2, "W2"]) == (167, 166)
    assert sum(v for (g, _), v in got.items() if g == 3) == -7
    agree = compare.agreement(folder / "output", groups)
    for method in ("alloc_pandas", "alloc_placespend_exact"):
        assert agree[method]["max_rel"] <= 1e-9, method
    assert agree["alloc_tobler"]["max_rel"] <= 1e-6  # tobler's own float32 overlap table
    assert agree["alloc_placespend"]["cells_equal_to_rounded_reference"] == agree[
        "alloc_placespend"]["cells"]
    tobler = pd.read_parquet(folder / "output" / "alloc_tobler64.parquet")
    w1 = tobler[(tobler["group_id"] == 1) & (tobler["target_id"] == "W1")]["amount"].item()
    assert w1 == pytest.approx(50_000.5, rel=1e-12)


def test_browser_targets_are_judged_on_the_slowest_session_and_the_wire_bytes():
    from benchmarks import app_browser, report

    def step(s, wire=10.0):
        return {"s": s, "wire_kb": wire, "frames_kb": 4 * wire}

    sessions = [
        {"drawn": step(4.0), "colour_switch": step(0.5, 40.0), "search": step(0.9),
         "click": step(None), "switch": step(0.3)},
        {"drawn": step(6.0), "colour_switch": step(0.7, 120.0), "search": step(0.8),
         "click": step(None), "switch": step(0.4)},
        {"drawn": step(4.5), "colour_switch": step(0.6, 60.0), "search": step(0.7),
         "click": step(0.9), "switch": step(0.2)},
    ]
    b = {"targets": app_browser.TARGETS, "estates": 3, "store": "a test store",
         "rounds": {"3": {"sessions": sessions, "summary": app_browser._summary(sessions)}}}
    rows = {what: (shown, ok) for what, shown, ok in report._browser_targets(b)}
    assert rows["browser, 3 sessions, slowest: estates drawn ≤ 5 s"] == ("6.000 s", "**missed**")
    assert rows["browser, 3 sessions, slowest: search settled ≤ 1 s"][1] == "met"
    assert rows["browser, 3 sessions, slowest: click settled ≤ 1 s"] == ("1 of 3 settled",
                                                                         "**missed**")
    wire = rows["browser, 3 sessions: colour switch receives ≤ 100 KB (on the wire, median)"]
    assert wire == ("60.0 KB (240.0 KB inflated)", "met")  # the median, not the worst
    text = report._app_browser({"app_browser": b})
    assert "## App in a real browser" in text and "| 4.500 s | 6.000 s | 3 of 3 |" in text
