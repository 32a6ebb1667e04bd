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
from benchmarks import compare, data, london, measure, run  # noqa: E402

ROWS = 1_500


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    try:
        results = run.main([
            "--rows", str(ROWS), "--runs", "1", "--scales", "1", "--in-process",
            "--skip-london", "--skip-london-build", "--skip-x30", "--skip-app",
            "--skip-app-browser", "--skip-profile",
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


LONDON_BOROUGHS = ("E09000001", "E09000007")  # the City (6 LSOAs) and Camden
LONDON_ROWS = 300


def _only(part: str, out, *extra: str) -> dict:
    try:
        return run.main(["--only", part, *extra, "--in-process", "--out", str(out),
                         "--cache", str(out / "cache"),
                         "--baseline", str(out / "no-baseline.json")])
    finally:
        measure.IN_PROCESS = False


@pytest.fixture(scope="module")
def london_run(tmp_path_factory):
    if not london.available():
        pytest.skip(f"{london.LONDON_DIR} is not there (the shared London geographies)")
    out = tmp_path_factory.mktemp("london")
    results = _only("london-build", out, "--london-boroughs", *LONDON_BOROUGHS,
                    "--rows", str(LONDON_ROWS))
    return out, results["london_build"]


def _csv_rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def test_london_build_conserves_every_boroughs_file_to_the_penny(london_run):
    out, lb = london_run
    info = lb["london_build"]["samples"][0]["info"]
    made = {b["code"]: b for b in lb["input"]["boroughs"]}
    assert sorted(made) == sorted(LONDON_BOROUGHS) and lb["layers"]["wards"] == 2
    assert info["ok"] and info["rows_read"] == 2 * LONDON_ROWS
    files = {f["source_file"]: f for f in info["files"]}
    grand = 0
    for code, b in made.items():
        rows = _csv_rows(b["spend"])
        pence = sum(round(float(r[9]) * 100) for r in rows)  # Amount GBP, from the file itself
        f = files[f"SYNTHETIC_BENCH_{code}_spend.csv"]
        assert len(rows) == f["rows_read"] == f["rows_accepted"] == LONDON_ROWS
        assert (f["accepted_pence"], f["quarantined_pence"]) == (pence, 0)
        assert {r[0] for r in rows} == {b["name"]}  # the borough's own Organisation Label
        grand += pence
    assert info["place_spend_pence"] + info["excluded_pence"] == grand
    text = (out / "RESULTS.md").read_text()
    assert "## London's scale: every borough's spend in one build" in text


def test_london_files_never_share_an_id_and_link_only_to_their_own_borough(london_run):
    _, lb = london_run
    ids = [r[14] for b in lb["input"]["boroughs"] for r in _csv_rows(b["spend"])]
    assert len(ids) == len(set(ids)) == 2 * LONDON_ROWS  # Unique Identifier, across files
    info = lb["london_build"]["samples"][0]["info"]
    for f in info["files"]:
        code = f["source_file"].removeprefix("SYNTHETIC_BENCH_").removesuffix("_spend.csv")
        assert f["linked_lines"] > 0
        assert f["link_boroughs"] in ([], [code])


def test_london_contracts_name_only_their_boroughs_codes_and_estates(london_run):
    out, lb = london_run
    folder = next((out / "cache").glob("london_seed2030_*"))
    estates = gpd.read_parquet(folder / "estates.parquet")
    wards = gpd.read_parquet(folder / "wards.parquet")
    inside = gpd.sjoin(gpd.GeoDataFrame(geometry=estates.representative_point(),
                                        crs=estates.crs).assign(estate_id=estates["estate_id"]),
                       wards, predicate="within")
    owner = dict(zip(inside["estate_id"], inside["ward_code"], strict=True))
    register = pd.read_csv(lb["input"]["contracts"], dtype=str)
    assert len(register) == lb["input"]["contracts_rows"] > 0
    borough = register["contract_id"].str.split("-").str[0]
    assert set(borough) == set(LONDON_BOROUGHS) and register["contract_id"].is_unique
    on_ward = register["scope_type"] == "ward"
    assert (register.loc[on_ward, "scope_code"] == borough[on_ward]).all()
    on_estate = register[register["scope_type"] == "estate"]
    assert len(on_estate) > 0 and set(register["scope_type"]) == {"ward", "estate"}
    assert all(owner[e] == b for e, b in zip(on_estate["scope_code"], borough[on_estate.index],
                                             strict=True))


def test_x30_runs_the_floor_pipeline_and_build_on_thirty_times_the_lines(tmp_path):
    results = _only("x30", tmp_path, "--rows", "20")
    x30 = results["x30"]
    assert x30["input"]["rows"] == 600
    for name in ("spend_pipeline", "build"):
        info = x30["stages"][name]["samples"][0]["info"]
        assert info["ok"] and info["rows_read"] == 600
    assert x30["stages"]["floor"]["samples"][0]["info"]["total_gbp"] == pytest.approx(
        x30["input"]["total_pence"] / 100)
    assert "## 30× Camden in one file" in (tmp_path / "RESULTS.md").read_text()


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
