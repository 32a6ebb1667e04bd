"""Hostile inputs: every case in ``tests/data/bad/manifest.yaml`` gets the outcome it lists.

A user's mistake is never a traceback: it is either a clear error (exit status 2, naming the
file, the row or feature and the fix) or rows quarantined with their reasons, and for spend
always ``rows read = accepted + quarantined`` with the pence reconciling. Each case runs twice:

* through the library (``load_spend``, ``load_boundaries``, ...) for a precise failure message;
* through the real command line in a subprocess (``python -m placespend build ...``): every
  error case on its own (several at a time, they are independent), and every accepted or
  quarantined spend case together in one build with hostile estate names, whose store then
  feeds the export-safety tests at the end (formulas neutralised in CSV and XLSX, HTML kept as
  text in the PDF, platform briefs and app, file names that cannot leave the output folder).

Big cases (a 3 MB field, a line of 200,000 fields, a 300 KB first line, a million rows) are
generated in a temporary folder; ``docs/HOSTILE_INPUTS.md`` is the table of cases.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from openpyxl import load_workbook

from placespend import export, ingest, paths, store
from placespend.boundaries import load_boundaries
from placespend.catalogue import load_catalogue
from placespend.errors import PlacespendError

BAD = Path(__file__).parent / "data" / "bad"
CAMDEN_SAMPLE = Path(__file__).parent / "data" / "camden_sample.csv"
MANIFEST = yaml.safe_load((BAD / "manifest.yaml").read_text(encoding="utf-8"))
DOC = paths.REPO_DIR / "docs" / "HOSTILE_INPUTS.md"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PWNED = Path("/tmp/placespend_pwned")  # what the YAML python tags would create


def _load_corpus_module():
    spec = importlib.util.spec_from_file_location("make_corpus", BAD / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()


def cases(section: str, *outcomes: str) -> list[dict]:
    return [c for c in MANIFEST[section] if not outcomes or c["outcome"] in outcomes]


def params(section: str, *outcomes: str):
    return [pytest.param(c, id=c["id"]) for c in cases(section, *outcomes)]


# -- generated cases (too big to commit) ------------------------------------------------------


def _camden(rows: list[str], name: str, folder: Path, first: str | None = None) -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as out:
        if first is not None:
            out.write(first + "\n")
        out.write(",".join(corpus.CAMDEN_HEADER) + "\n")
        out.writelines(line + "\n" for line in rows)
    return path


def _line(uid: str, amount: str, payee: str = "ACME CLEANING LTD") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(corpus.row(uid, amount, payee=payee))
    return buf.getvalue()


def one_enormous_field(folder: Path) -> Path:
    rows = [_line("big-1", "100.00"), _line("big-2", "500.00", payee="P" * 3_000_000),
            _line("big-3", "200.00")]
    return _camden(rows, "one_enormous_field.csv", folder)


def one_line_of_200000_fields(folder: Path) -> Path:
    rows = [_line("wide-1", "100.00"), "y," * 200_000, _line("wide-3", "200.00")]
    return _camden(rows, "one_line_of_200000_fields.csv", folder)


def enormous_first_line(folder: Path) -> Path:
    return _camden([_line("first-1", "1.00")], "enormous_first_line.csv", folder,
                   first="x," * 150_000)


def a_million_rows_of_one_supplier(folder: Path) -> Path:
    """10^6 rows of ACME CLEANING LTD at 12.34 and 12.35 alternately (£12,345,000.00)."""
    path = folder / "a_million_rows.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(corpus.CAMDEN_HEADER) + "\n")
        out.write("".join(
            f"L,u,01/06/2024,Jun,2024,F,ACME CLEANING LTD,Estate cleaning,Housing,"
            f"12.3{4 + i % 2},0,F,2024,J,m{i}\n" for i in range(1_000_000)))
    return path


def the_same_export_twice(folder: Path) -> list[Path]:
    path = BAD / "spend/semicolons.csv"
    return [path, path]


def an_export_and_its_copy(folder: Path) -> list[Path]:
    copy = folder / "semicolons (1).csv"  # a second download of the same export
    copy.write_bytes((BAD / "spend/semicolons.csv").read_bytes())
    return [BAD / "spend/semicolons.csv", copy]


def huge_mapping(folder: Path) -> Path:
    """A valid mapping padded with comment lines past the 1 MB a YAML file may have."""
    path = folder / "huge_mapping.yaml"
    path.write_text("name: huge\ndate: Payment Date\namount: Amount GBP\n"
                    "payee: Beneficiary Name\n" + "# padding\n" * 110_000, encoding="utf-8")
    return path


def huge_catalogue(folder: Path) -> Path:
    """The shipped catalogue and a 1 MB comment."""
    path = folder / "huge_catalogue.yaml"
    path.write_text(paths.CATALOGUE_PATH.read_text(encoding="utf-8") + "#" * 1_000_000 + "\n",
                    encoding="utf-8")
    return path


def small_areas_bad_counts(folder: Path) -> Path:
    """The shipped small areas with households of 1e30, infinity, NaN and -5 in features 2-5
    and residents 'lots' in feature 1 (GeoParquet holds infinity and NaN as they are)."""
    import geopandas as gpd

    areas = gpd.read_parquet(paths.BOUNDARIES_DIR / "small_areas.parquet")
    areas["households"] = areas["households"].astype("float64")
    areas.loc[1:4, "households"] = [1e30, float("inf"), float("nan"), -5.0]
    areas["residents"] = areas["residents"].astype(str)
    areas.loc[0, "residents"] = "lots"
    path = folder / "small_areas_bad_counts.parquet"
    areas.to_parquet(path)
    return path


def wards_one_grown_into_its_neighbour(folder: Path) -> Path:
    """The shipped wards with Belsize (feature 1) grown 25 m into one neighbour, Haverstock
    (feature 9): a strip of about 10,600 m² in both."""
    import geopandas as gpd

    wards = gpd.read_parquet(paths.BOUNDARIES_DIR / "wards.parquet")
    belsize, haverstock = wards.geometry.iloc[0], wards.geometry.iloc[8]
    wards.loc[0, "geometry"] = belsize.union(haverstock.intersection(belsize.buffer(25)))
    path = folder / "wards_overlapping.parquet"
    wards.to_parquet(path)
    return path


GENERATED = {
    "the-same-export-twice": the_same_export_twice,
    "an-export-and-its-copy": an_export_and_its_copy,
    "one-enormous-field": one_enormous_field,
    "one-line-of-200000-fields": one_line_of_200000_fields,
    "enormous-first-line": enormous_first_line,
    "a-million-rows-of-one-supplier": a_million_rows_of_one_supplier,
    "mapping-over-a-megabyte": huge_mapping,
    "catalogue-over-a-megabyte": huge_catalogue,
    "census-counts-out-of-range": small_areas_bad_counts,
    "overlapping-wards": wards_one_grown_into_its_neighbour,
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Generated case files (all but the million rows, which its own test writes)."""
    folder = tmp_path_factory.mktemp("generated")
    return {cid: make(folder) for cid, make in GENERATED.items() if "million" not in cid}


def case_path(case: dict, generated: dict[str, Path | list[Path]]) -> Path:
    (path,) = case_paths(case, generated)
    return path


def case_paths(case: dict, generated: dict[str, Path | list[Path]]) -> list[Path]:
    """The case's file(s): one, or several for the cases of one export given twice."""
    if case["file"] != "generated":
        return [BAD / case["file"]]
    made = generated[case["id"]]
    return made if isinstance(made, list) else [made]


# -- the command line --------------------------------------------------------------------------


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    env.pop(paths.HOME_ENV, None)
    return subprocess.run([sys.executable, "-m", "placespend", *args], capture_output=True,
                          text=True, env=env, cwd=paths.REPO_DIR, timeout=timeout)


def build_args(section: str, path: Path | list[Path], home: Path) -> list[str]:
    if isinstance(path, list):
        assert section == "spend"
        return ["build", *(a for p in path for a in ("--spend", str(p))), "--home", str(home)]
    option = {
        "spend": ["--spend", str(path)],
        "mapping": ["--spend", str(CAMDEN_SAMPLE), "--mapping", str(path)],
        "contracts": ["--spend", str(CAMDEN_SAMPLE), "--contracts", str(path)],
        "catalogue": ["--catalogue", str(path)],
        "estates": ["--estates", str(path)],
        "small_areas": ["--small-areas", str(path)],
        "wards": ["--wards", str(path)],
    }[section]
    return ["build", *option, "--home", str(home)]


ERROR_CASES = [(s, c) for s in MANIFEST for c in cases(s, "error")]


@pytest.fixture(scope="module")
def cli_errors(tmp_path_factory, generated):
    """Every error case through ``placespend build`` in its own home, a few at a time."""
    root = tmp_path_factory.mktemp("cli_errors")

    def one(item):
        section, case = item
        home = root / case["id"]
        paths = case_paths(case, generated)
        files = paths if len(paths) > 1 else paths[0]
        return case["id"], (home, run_cli(*build_args(section, files, home)))

    with ThreadPoolExecutor(max_workers=max(2, min(3, os.cpu_count() or 2))) as pool:
        return dict(pool.map(one, ERROR_CASES))


def assert_user_error(result: subprocess.CompletedProcess, expect: list[str]) -> None:
    err = result.stderr
    assert result.returncode == 2, (result.returncode, err[-3000:])
    assert "Traceback" not in err, err[-3000:]
    assert err.count("error:") == 1, err
    for text in expect:
        assert text in err, f"{text!r} not in stderr:\n{err}"
    assert "\x1b" not in err and "\x07" not in err, "terminal controls from a file reached stderr"
    assert len(err) < 5000, "the message should be short enough to read"


@pytest.mark.parametrize(("section", "case"),
                         [pytest.param(s, c, id=c["id"]) for s, c in ERROR_CASES])
def test_user_mistakes_are_clear_errors_from_the_command_line(cli_errors, section, case):
    home, result = cli_errors[case["id"]]
    assert_user_error(result, case["expect"])
    assert not paths.db_path(home).exists(), "a refused build must not leave a store"
    assert not list(home.glob("*.building-*")), "nor a half-built file"
    assert not PWNED.exists(), "a YAML tag ran code"


# -- the library, case by case ----------------------------------------------------------------


def ingest_case(path: Path | list[Path], mapping=None):
    """Load a file as a build does; return the report, payments and quarantine rows."""
    con = duckdb.connect()
    try:
        report = ingest.load_spend(con, path if isinstance(path, list) else [path], mapping)
        payments = con.execute("select payee, amount_pence from payments").fetchall()
        quarantine = con.execute(
            "select source_row, reason, amount_pence from spend_quarantine order by source_row"
        ).fetchall()
        ingest.refuse_unusable_files(con, report)
    finally:
        con.close()
    return report, payments, quarantine


def assert_conserved(report, payments, quarantine) -> None:
    """rows read = accepted + quarantined, and the pence of both tables match the summary."""
    (f,) = report.files
    assert f.rows_read == f.rows_accepted + f.rows_quarantined
    assert (len(payments), len(quarantine)) == (f.rows_accepted, f.rows_quarantined)
    assert sum(p for _, p in payments) == f.accepted_pence
    assert sum(p or 0 for *_, p in quarantine) == f.quarantined_pence
    assert all(reason for _, reason, _ in quarantine), "every quarantined row has a reason"


def assert_spend_outcome(case: dict, report, payments, quarantine) -> None:
    assert_conserved(report, payments, quarantine)
    (f,) = report.files
    rows, pence = case["rows"], case["pence"]
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (
        rows["read"], rows["accepted"], rows["quarantined"])
    assert (f.accepted_pence, f.quarantined_pence) == (pence["accepted"], pence["quarantined"])
    found = {line: reason for line, reason, _ in quarantine}
    for line, text in case.get("quarantined", []):
        assert text in found.get(line, ""), (line, text, found)
    if "payee" in case:
        assert case["payee"] in {p for p, _ in payments}


@pytest.mark.parametrize("case", params("spend", "accepted", "quarantine"))
def test_spend_files_load_with_every_row_accounted_for(case, generated):
    if "million" in case["id"]:
        pytest.skip("run end to end by test_a_million_rows_of_one_supplier_build_quickly")
    assert_spend_outcome(case, *ingest_case(case_path(case, generated)))


@pytest.mark.parametrize("case", params("spend", "error"))
def test_unusable_spend_files_are_refused_by_the_library_too(case, generated):
    with pytest.raises(PlacespendError) as info:
        ingest_case(case_paths(case, generated))
    for text in case["expect"]:
        if text != "--mapping":  # the command line's own option name
            assert text in str(info.value)


def test_the_first_error_of_a_file_is_caught_before_the_long_steps(tmp_path):
    """A wrong spend file fails while checking inputs, before atoms are built (~1 s)."""
    steps: list[str] = []
    from placespend.build import BuildInputs, build

    with pytest.raises(PlacespendError, match="Excel"):
        build(tmp_path, BuildInputs(spend=(BAD / "spend/excel_renamed.csv",)),
              on_step=steps.append)
    assert steps == ["Loading the service catalogue"]


@pytest.mark.parametrize("case", params("mapping"))
def test_mapping_files_are_data_never_code(case, generated):
    with pytest.raises(PlacespendError) as info:
        mapping = ingest.load_mapping(case_path(case, generated))
        ingest.check_spend_files([CAMDEN_SAMPLE], mapping)
    for text in case["expect"]:
        assert text in str(info.value)
    assert not PWNED.exists()


@pytest.mark.parametrize("case", params("catalogue"))
def test_catalogue_mistakes_name_file_line_and_fix(case, generated):
    with pytest.raises(PlacespendError) as info:
        load_catalogue(case_path(case, generated))
    for text in case["expect"]:
        assert text in str(info.value)
    assert not PWNED.exists()


@pytest.fixture(scope="module")
def shipped_ids() -> dict[str, list[str]]:
    """Service ids, ward codes and estate ids of the shipped catalogue and boundaries."""
    import pandas as pd

    def column(layer: str, name: str) -> list[str]:
        return pd.read_parquet(paths.BOUNDARIES_DIR / f"{layer}.parquet", columns=[name])[
            name].astype(str).tolist()

    return {"services": [s.id for s in load_catalogue().services],
            "wards": column("wards", "ward_code"), "estates": column("estates", "estate_id")}


@pytest.mark.parametrize("case", params("contracts"))
def test_contract_registers_are_refused_by_the_library_too(case, shipped_ids):
    con = duckdb.connect()
    try:
        with pytest.raises(PlacespendError) as info:
            ingest.load_contracts(con, BAD / case["file"])
            ingest.check_contract_services(con, shipped_ids["services"])
            ingest.check_contract_scopes(con, shipped_ids["wards"], shipped_ids["estates"])
    finally:
        con.close()
    for text in case["expect"]:
        assert text in str(info.value)


@pytest.mark.parametrize("case", params("small_areas"))
def test_small_area_counts_are_checked_feature_by_feature(case, generated):
    with pytest.raises(PlacespendError) as info:
        load_boundaries(small_areas=case_path(case, generated))
    for text in case["expect"]:
        assert text in str(info.value)


@pytest.mark.parametrize("case", params("estates"))
def test_estate_files_are_checked_feature_by_feature(case):
    path = BAD / case["file"]
    if case["outcome"] == "accepted":
        assert len(load_boundaries(estates=path).estates) == case["features"]
        return
    with pytest.raises(PlacespendError) as info:
        load_boundaries(estates=path)
    for text in case["expect"]:
        assert text in str(info.value)


@pytest.mark.parametrize("case", params("wards"))
def test_ward_files_are_checked_feature_by_feature(case, generated):
    with pytest.raises(PlacespendError) as info:
        load_boundaries(wards=case_path(case, generated))
    for text in case["expect"]:
        assert text in str(info.value)


def _assert_contract_outcome(case: dict, notes: list[str], con) -> None:
    """A register that loads: its notes (and only overlap notes it expects) and its links."""
    overlaps = [n for n in notes if n.startswith("Contracts ")]
    if case["outcome"] == "note":
        (note,) = overlaps
        for text in case["notes"]:
            assert text in note, (text, note)
    else:
        assert not overlaps, overlaps
    links = dict(con.execute("select link_status, count(*) from linked group by 1").fetchall())
    assert links.get("ambiguous contract", 0) == case["ambiguous_lines"], links


LOADING_CONTRACTS = cases("contracts", "note", "accepted")


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in LOADING_CONTRACTS])
def test_contract_registers_that_load_say_what_linking_did(case, tmp_path):
    """Through the library and the command line: the build succeeds, reconciles, and its
    summary (stored in build_info, printed by the CLI) carries the expected notes."""
    from placespend.build import BuildInputs, build, read_build_info

    result = build(tmp_path / "lib", BuildInputs(spend=(CAMDEN_SAMPLE,),
                                                 contracts=BAD / case["file"]))
    assert result.reconciliation.ok
    with store.connect(result.db_path) as con:
        _assert_contract_outcome(case, read_build_info(con)["notes"], con)
    home = tmp_path / "cli"
    cli = run_cli(*build_args("contracts", BAD / case["file"], home))
    assert cli.returncode == 0 and "Traceback" not in cli.stderr, cli.stderr[-3000:]
    printed = [line.removeprefix("note: ") for line in cli.stdout.splitlines()
               if line.startswith("note: ")]
    with store.connect(paths.db_path(home)) as con:
        _assert_contract_outcome(case, printed, con)
    figures = json.loads(run_cli("reconcile", "--json", "--home", str(home)).stdout)
    assert figures["ok"] is True


def test_a_million_rows_of_one_supplier_build_quickly(tmp_path):
    """10^6 rows through the real command line: every row and penny lands, in well under a
    minute (the ingest alone takes a few seconds)."""
    (case,) = [c for c in cases("spend") if "million" in c["id"]]
    path = a_million_rows_of_one_supplier(tmp_path)
    result = run_cli(*build_args("spend", path, tmp_path / "home"), timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    with store.connect(paths.db_path(tmp_path / "home")) as con:
        summary = con.execute(
            "select rows_read, rows_accepted, rows_quarantined, accepted_pence, "
            "quarantined_pence from ingest_summary").fetchall()
        placed = con.execute("select sum(amount_pence) from payments").fetchone()[0]
    rows, pence = case["rows"], case["pence"]
    assert summary == [(rows["read"], rows["accepted"], rows["quarantined"],
                        pence["accepted"], pence["quarantined"])]
    assert placed == pence["accepted"]
    figures = json.loads(run_cli("reconcile", "--json", "--home", str(tmp_path / "home")).stdout)
    assert figures["ok"] and figures["rows_read"] == 1_000_000


# -- everything that loads, in one build through the command line ------------------------------

LOADABLE = [c for c in cases("spend", "accepted", "quarantine") if "million" not in c["id"]]
HOSTILE_ESTATES = BAD / "boundaries/estates_hostile_names.geojson"


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory, generated):
    """One real build of every loadable spend case, with estates whose names are formulas,
    HTML and markdown (and one id that is a path)."""
    home = tmp_path_factory.mktemp("hostile_home")
    spend = [a for c in LOADABLE for a in ("--spend", str(case_path(c, generated)))]
    result = run_cli("build", *spend, "--estates", str(HOSTILE_ESTATES), "--home", str(home))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return home


@pytest.fixture(scope="module")
def hostile_con(hostile_home):
    with store.connect(paths.db_path(hostile_home)) as con:
        yield con


def test_one_build_of_every_loadable_case_reconciles_file_by_file(hostile_home, hostile_con,
                                                                   generated):
    summary = {
        r[0]: r[1:]
        for r in hostile_con.execute(
            "select source_file, rows_read, rows_accepted, rows_quarantined, accepted_pence, "
            "quarantined_pence from ingest_summary").fetchall()
    }
    for case in LOADABLE:
        rows, pence = case["rows"], case["pence"]
        assert summary[case_path(case, generated).name] == (
            rows["read"], rows["accepted"], rows["quarantined"],
            pence["accepted"], pence["quarantined"]), case["id"]
    result = run_cli("reconcile", "--json", "--home", str(hostile_home))
    figures = json.loads(result.stdout)
    assert result.returncode == 0 and figures["ok"] is True
    assert figures["rows_read"] == sum(c["rows"]["read"] for c in LOADABLE)
    assert figures["rows_read"] == figures["rows_accepted"] + figures["rows_quarantined"]
    accepted = sum(c["pence"]["accepted"] for c in LOADABLE)
    stored = hostile_con.execute("select sum(amount_pence) from payments").fetchone()[0]
    assert stored == accepted  # exact; the JSON's pounds are floats (exact below ~£10^13)
    assert figures["input_gbp"] == pytest.approx(accepted / 100, rel=1e-15)


@pytest.mark.parametrize("command", [["quarantine", "--limit", "200"], ["estates"], ["coverage"]])
def test_reports_print_hostile_text_as_text(hostile_home, command):
    result = run_cli(*command, "--home", str(hostile_home))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    if command[0] == "estates":
        assert "[/red]" in result.stdout and "=HYPERLINK" in result.stdout
    if command[0] == "quarantine":
        assert "payee is 3,000,000 characters long" in result.stdout


def test_the_manifest_and_the_table_of_cases_agree():
    ids = [c["id"] for s in MANIFEST for c in MANIFEST[s]]
    assert len(ids) == len(set(ids)), "case ids are unique"
    for section in MANIFEST:
        for case in MANIFEST[section]:
            assert case["file"] == "generated" or (BAD / case["file"]).is_file(), case["id"]
            if case["file"] == "generated":
                assert case["id"] in GENERATED
    table = DOC.read_text(encoding="utf-8")
    missing = [i for i in ids if f"`{i}`" not in table]
    assert not missing, f"docs/HOSTILE_INPUTS.md lacks {missing}"


# -- exports are safe to open -------------------------------------------------------------------


def _estate(con, name_part: str) -> str:
    return con.execute("select estate_id from estates where name like ?",
                       [f"%{name_part}%"]).fetchone()[0]


@pytest.fixture(scope="module")
def exported(hostile_home, tmp_path_factory):
    """``placespend export --format all`` for each hostile estate, into its own folder."""
    root = tmp_path_factory.mktemp("exports")
    out = {}
    for estate_id in ("../../escape", "xss-1", "md-1"):
        folder = root / export.safe_filename(estate_id) / "out"
        folder.mkdir(parents=True)
        result = run_cli("export", "--estate", estate_id, "--format", "all", "--out", str(folder),
                         "--home", str(hostile_home))
        assert result.returncode == 0, result.stderr[-3000:]
        out[estate_id] = (folder, result)
    return root, out


def test_export_file_names_stay_inside_the_output_folder(exported):
    root, out = exported
    for estate_id, (folder, _) in out.items():
        written = sorted(p for p in folder.parent.rglob("*") if p.is_file())
        assert written, estate_id
        assert all(p.parent == folder for p in written), written
        assert {p.suffix for p in written} == {".csv", ".geojson", ".xlsx", ".pdf"}
        assert all(not p.name.startswith(".") for p in written)
    assert not any(root.parent.glob("escape*")), "nothing was written above the folders"


def _csv_cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_exports_neutralise_every_formula_trigger(exported, hostile_con):
    _, out = exported
    for estate_id, (folder, _) in out.items():
        (path,) = folder.glob("*.csv")
        rows = _csv_cells(path)
        assert rows, estate_id
        for row in rows:
            for column, value in row.items():
                if not column.endswith("_gbp"):
                    assert not value.startswith(TRIGGERS), (column, value)
    (folder, _) = out["../../escape"]
    (path,) = folder.glob("*.csv")
    name = hostile_con.execute("select name from estates where estate_id = '../../escape'"
                               ).fetchone()[0]
    assert {r["estate_name"] for r in _csv_cells(path)} == {"'" + name}


def test_the_app_download_csv_is_neutralised_too(hostile_con):
    rows = export.export_table(export.estate_rows(hostile_con, "../../escape", None), "x")
    text = export.csv_bytes(rows).decode("utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        assert all(not v.startswith(TRIGGERS) for k, v in row.items() if not k.endswith("_gbp"))


def _workbook(folder: Path):
    (path,) = folder.glob("*.xlsx")
    return path, load_workbook(path)


def test_xlsx_exports_hold_hostile_text_as_plain_strings_never_formulas(exported):
    _, out = exported
    (folder, _) = out["../../escape"]
    path, book = _workbook(folder)
    with zipfile.ZipFile(path) as z:
        for part in z.namelist():
            if part.startswith("xl/worksheets/"):
                xml = z.read(part)
                assert b"<f>" not in xml and b"<f " not in xml, part
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    for payee in corpus_payees():
        if payee.strip(" \t\r\n").isprintable():  # ingest trims; the exporter drops controls
            assert payee.strip(" \t\r\n") in texts, payee  # kept exactly, as a string cell
    assert any(t.startswith("=HYPERLINK(\"http://evil.example\"") for t in texts)


def corpus_payees() -> list[str]:
    with (BAD / "spend/hostile_payees.csv").open(encoding="utf-8", newline="") as f:
        return [r["Beneficiary Name"] for r in csv.DictReader(f)]


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_pdf_shows_html_in_names_as_text(exported, hostile_con):
    _, out = exported
    (folder, _) = out["xss-1"]
    (path,) = folder.glob("*.pdf")
    text = "".join(_pdf_text(path).split())  # text extraction may add spaces
    assert "<script>alert(1)</script>" in text
    assert '<imgsrc=xonerror="window.__placespend_xss=1">' in text


def test_platform_briefs_escape_html_and_neutralise_formulas(hostile_con):
    from placespend import pot

    for estate_id in ("xss-1", "../../escape", "md-1"):
        brief = pot.size_pot(hostile_con, estate_id, None, pot.delegable_services(hostile_con))
        descriptions = list(_values(json.loads(pot.pot_brief_json(brief)), "description"))
        assert descriptions, "the platforms' rich-text fields are there"
        for html_text in descriptions:
            assert "<script" not in html_text and "<img" not in html_text, html_text
        rows = list(csv.DictReader(io.StringIO(pot.pot_brief_csv(brief).decode("utf-8"))))
        for row in rows:
            for value in row.values():
                assert _number(value) or not value.startswith(TRIGGERS), value


def _values(data, key: str):
    """Every string under ``key`` anywhere in a JSON document (``{"en": ...}`` included)."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield from _strings(v)
            else:
                yield from _values(v, key)
    elif isinstance(data, list):
        for item in data:
            yield from _values(item, key)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def test_the_cli_export_refuses_an_unknown_estate_cleanly(hostile_home, tmp_path):
    result = run_cli("export", "--estate", "../../../etc/passwd", "--out", str(tmp_path),
                     "--home", str(hostile_home))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())


# -- the dashboard -------------------------------------------------------------------------------

APP = str(paths.REPO_DIR / "app.py")
APP_PAGES = ("Map", "Estate", "PB pot", "Exports")
MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                  "error", "success")


@pytest.fixture(scope="module")
def hostile_app_home(hostile_home):
    before = os.environ.get(paths.HOME_ENV)
    os.environ[paths.HOME_ENV] = str(hostile_home)
    yield hostile_home
    if before is None:
        os.environ.pop(paths.HOME_ENV, None)
    else:
        os.environ[paths.HOME_ENV] = before


def run_app(page: str, estate_name: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["page"] = page
    at.query_params["estate"] = estate_name
    at.run()
    return at


def _rendered(at) -> list[tuple[str, str, bool]]:
    """(kind, text, rendered as raw HTML?) for every element that renders Markdown."""
    return [(kind, str(el.value), bool(getattr(el.proto, "allow_html", False)))
            for kind in MARKDOWN_KINDS for el in getattr(at, kind)]


@pytest.mark.parametrize("page", APP_PAGES)
def test_app_pages_render_hostile_names_without_running_them(hostile_app_home, hostile_con,
                                                              page):
    names = dict(hostile_con.execute("select estate_id, name from estates").fetchall())
    for estate_id in ("xss-1", "md-1", "../../escape"):
        at = run_app(page, names[estate_id])
        assert not at.exception, [e.value for e in at.exception]
        for kind, text, raw_html in _rendered(at):
            if raw_html:
                assert "<script" not in text and "<img" not in text, (kind, text)
                assert "evil.example" not in text, (kind, text)


def test_app_shows_markdown_in_names_as_text(hostile_app_home, hostile_con):
    name = hostile_con.execute("select name from estates where estate_id = 'md-1'").fetchone()[0]
    for page in ("Estate", "PB pot"):
        at = run_app(page, name)
        live = [(k, t) for k, t, _ in _rendered(at) if "](http://evil.example" in t]
        assert not live, live


@pytest.fixture
def app_downloads(monkeypatch):
    """Every file an app run offers for download: (file name, bytes)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    offered: list[tuple[str | None, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes | str):
            data = path_or_data.encode() if isinstance(path_or_data, str) else path_or_data
            offered.append((filename, data))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return offered


def _payment_lines_download(hostile_con, app_downloads) -> tuple[str, bytes]:
    name = hostile_con.execute(
        "select name from estates where estate_id = '../../escape'").fetchone()[0]
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(page="Estate", estate=name, tab="Payment lines")
    at.run()
    assert not at.exception
    (found,) = [(n, d) for n, d in app_downloads if n and n.startswith("payment_lines")]
    return found


def test_the_app_payment_lines_download_neutralises_formulas(hostile_app_home, hostile_con,
                                                             app_downloads):
    _, data = _payment_lines_download(hostile_con, app_downloads)
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        for column, value in row.items():
            if "£" not in column:
                assert not value.startswith(TRIGGERS), (column, value)


def test_the_app_payment_lines_download_has_a_safe_file_name(hostile_app_home, hostile_con,
                                                             app_downloads):
    name, _ = _payment_lines_download(hostile_con, app_downloads)
    assert "/" not in name and ".." not in name, name


def test_the_store_never_fetches_duckdb_extensions(hostile_con):
    """No network at run time: DuckDB may not download an extension a query asks for."""
    setting = hostile_con.execute(
        "select current_setting('autoinstall_known_extensions')").fetchone()[0]
    assert setting is False
