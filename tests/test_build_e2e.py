"""End to end: the default build on the shipped data, and a small council's own files."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from _geo_fixtures import gdf, write_dir
from shapely import box
from typer.testing import CliRunner

from placespend import export, reads, store
from placespend.cli import app
from placespend.errors import PlacespendError
from placespend.paths import db_path

runner = CliRunner()

CAMDEN_HEADER = (
    "Organisation Label,Organisation URI,Payment Date,Payment Month,Payment Year,"
    "Financial Year,Beneficiary Name,Purpose,Organisational Unit,Amount GBP,"
    "Irrecoverable VAT Amount GBP,Latest Financial Year,Latest Year,Latest Month,"
    "Unique Identifier"
)


def _cli(*args: str, home) -> object:
    return runner.invoke(app, [*args, "--home", str(home)], catch_exceptions=False)


@pytest.fixture(scope="module")
def default_home(demo_home):
    return demo_home


def test_default_build_reconciles_to_the_penny(default_home):
    result = _cli("reconcile", "--json", home=default_home)
    assert result.exit_code == 0
    figures = json.loads(result.stdout)
    assert figures["ok"] is True
    assert figures["rows_read"] == figures["rows_accepted"] + figures["rows_quarantined"]
    placed = Decimal(str(figures["estates_gbp"])) + Decimal(str(figures["residual_gbp"]))
    assert placed + Decimal(str(figures["excluded_gbp"])) == Decimal(str(figures["input_gbp"]))
    assert figures["estates_gbp"] > 0 and figures["excluded_gbp"] > 0
    assert "SYNTHETIC" in figures["data"]


def test_default_build_has_the_named_estates(default_home):
    with store.connect(db_path(default_home)) as con:
        estates = con.execute("select estate_id, name, source from estates").df()
        hilgrove = reads.resolve_estate(con, "Hilgrove")
    assert len(estates) >= 60
    names = " | ".join(estates["name"])
    assert "Chalcots" in names and "Maitland Park" in names
    source = estates.set_index("estate_id").loc[hilgrove, "source"]
    assert source == "derived_from_blocks"


def test_export_of_one_estate_equals_its_total_in_the_store(default_home, tmp_path):
    result = _cli("export", "--estate", "Chalcots", "--year", "2024-25", "--out",
                  str(tmp_path), home=default_home)
    assert result.exit_code == 0
    (csv_path,) = tmp_path.glob("SYNTHETIC_DEMO_*.csv")
    rows = pd.read_csv(csv_path, dtype={"amount_gbp": str})
    assert list(rows.columns[:len(export.EXPORT_COLUMNS)]) == export.EXPORT_COLUMNS
    exported = sum(Decimal(v) for v in rows["amount_gbp"])
    with store.connect(db_path(default_home)) as con:
        totals = reads.estate_totals(con, "2024-25").set_index("estate_id")
        chalcots = reads.resolve_estate(con, "Chalcots")
    assert exported == Decimal(int(totals.loc[chalcots, "total_pence"])) / 100
    assert set(rows["basis"]) <= {"direct", "apportioned (borough)", "apportioned (ward)"}
    (geojson_path,) = tmp_path.glob("*.geojson")
    (feature,) = json.loads(geojson_path.read_text())["features"]  # that estate only
    assert feature["properties"]["estate_id"] == chalcots
    assert feature["properties"]["total_gbp"] == float(exported)  # a number, not a string


def test_export_rows_have_one_order_so_a_rebuild_gives_the_same_bytes(default_home):
    """Rows tied on amount (several £0.00 lines) must still come in one order: the sort
    columns name each row, so two builds of the same data export byte-identical files."""
    with store.connect(db_path(default_home)) as con:
        rows = reads.estate_rows(con)
    sort_columns = ["estate_name", "estate_id", "financial_year", "amount_pence", "service",
                    "basis", "key", "capital_or_revenue"]
    assert (rows["amount_pence"] == 0).sum() > 1, "the demo has ties to break"
    assert not rows.duplicated(sort_columns).any()
    assert rows.equals(rows.sort_values(sort_columns, ascending=[True, True, True, False,
                                                                 True, True, True, True],
                                        kind="stable", ignore_index=True))


def test_estates_command_lists_every_estate_with_the_demo_banner(default_home):
    result = _cli("estates", home=default_home)
    assert result.exit_code == 0
    assert "SYNTHETIC DEMO DATA" in result.stdout
    assert "of 71 estates" in result.stdout or " estates." in result.stdout


def _council_files(tmp_path):
    """A two-ward council with one estate, its spend in Camden's format and two contracts."""
    bdir = tmp_path / "bounds"
    bdir.mkdir()
    write_dir(bdir)
    lines = [
        # payee, purpose, amount: borough-wide, ward W2 and estate E1 caretaking, and a levy
        ("Acme Caretaking Ltd", "Estate caretaking", "500.00"),
        ("West Two Cleaners", "Estate caretaking", "300.00"),
        ("Box Estate Co****", "Estate caretaking", "70.00"),
        ("Greater London Authority", "Levies Paid", "1,000.00"),
    ]
    rows = [
        f"Tiny Council,http://example.org,1/6/2024,6,2024,2024/25,{payee},{purpose},Housing,"
        f"\"{amount}\",0,No,No,No,jun-24-{i}"
        for i, (payee, purpose, amount) in enumerate(lines)
    ]
    spend = tmp_path / "spend.csv"
    spend.write_text("\n".join([CAMDEN_HEADER, *rows]) + "\n", encoding="utf-8")
    contracts = tmp_path / "contracts.csv"
    contracts.write_text(
        "contract_id,title,supplier,service,purpose,scope_type,scope_code,annual_value_gbp,"
        "start_date,end_date\n"
        "K1,West Two caretaking,West Two Cleaners,caretaking,,ward,W2,300,2024-04-01,2025-03-31\n"
        "K2,Box Estate caretaking,Box Estate Co,caretaking,,estate,E1,70,2024-04-01,2025-03-31\n",
        encoding="utf-8",
    )
    return bdir, spend, contracts


def test_a_small_council_can_bring_its_own_files(tmp_path, tiny_catalogue):
    bdir, spend, contracts = _council_files(tmp_path)
    home = tmp_path / "home"
    result = _cli(
        "build", "--boundaries", str(bdir), "--spend", str(spend), "--contracts",
        str(contracts), "--catalogue", str(tiny_catalogue), home=home,
    )
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" not in result.stdout
    with store.connect(db_path(home)) as con:
        rows = reads.estate_rows(con, "E1")
    by_basis = rows.set_index("basis")["amount_pence"].to_dict()
    # Borough £500 by households: E1 holds 10 of 50 (see _geo_fixtures) -> £100.
    # Ward W2's £300 cannot reach E1 (it lies in W1); the estate contract's £70 is direct.
    assert by_basis == {"apportioned (borough)": 10_000, "direct": 7_000}
    recon = json.loads(_cli("reconcile", "--json", home=home).stdout)
    assert recon["input_gbp"] == 1870.0
    assert recon["excluded_gbp"] == 1000.0
    assert recon["estates_gbp"] == 170.0


@pytest.fixture
def tiny_catalogue():
    return Path(__file__).parent / "data" / "tiny_catalogue.yaml"


def _placespend(*args: str) -> subprocess.CompletedProcess:
    """Run the real command in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "placespend", *args], capture_output=True, text=True, timeout=300
    )


def test_a_bad_boundary_file_is_a_message_not_a_traceback(tmp_path):
    overlapping = gdf(
        [
            {"estate_id": "E1", "name": "One", "geometry": box(0, 0, 60, 100)},
            {"estate_id": "E2", "name": "Two", "geometry": box(40, 0, 100, 100)},
        ]
    )
    path = tmp_path / "my_estates.geojson"
    overlapping.to_file(path, driver="GeoJSON")
    done = _placespend("build", "--estates", str(path), "--home", str(tmp_path))
    assert done.returncode == 2
    assert "my_estates.geojson" in done.stderr and "overlap" in done.stderr
    assert "Traceback" not in done.stderr
    assert not db_path(tmp_path).exists()


def test_reading_before_building_says_to_build_first(tmp_path):
    done = _placespend("estates", "--home", str(tmp_path))
    assert done.returncode == 2
    assert "placespend build" in done.stderr
    assert "Traceback" not in done.stderr


def test_source_lines_explain_an_estate_figure(default_home):
    with store.connect(db_path(default_home)) as con:
        chalcots = reads.resolve_estate(con, "Chalcots")
        rows = reads.estate_rows(con, chalcots, "2024-25")
        caretaking = rows[rows["service_id"] == "caretaking"]["amount_pence"].sum()
        lines = reads.source_lines(con, chalcots, "caretaking", "2024-25")
    assert len(lines) > 0
    assert set(lines["financial_year"]) == {"2024-25"}
    # the float shares of each line add back up to the exact figure (within a penny per line)
    assert abs(lines["estate_share_pence"].sum() - caretaking) <= len(lines)
    assert lines["source_row"].min() >= 2


def test_accuracy_command_regenerates_the_shipped_key_errors(tmp_path):
    report, key_errors = tmp_path / "ACCURACY.md", tmp_path / "key_errors.csv"
    result = runner.invoke(
        app, ["accuracy", "--report", str(report), "--key-errors", str(key_errors)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    shipped = Path(__file__).parents[1] / "placespend" / "data" / "key_errors.csv"
    assert key_errors.read_text() == shipped.read_text()
    assert "tobler" in report.read_text()


def test_the_store_carries_the_measured_key_errors(default_home):
    with store.connect(db_path(default_home)) as con:
        keys_used = {k for (k,) in con.execute("select distinct key from service_keys").fetchall()}
        measured = {k for (k,) in con.execute("select distinct key from key_errors").fetchall()}
    assert keys_used <= measured


def test_quarantine_command_lists_rows_with_file_line_and_reason(tmp_path):
    lambeth = Path(__file__).parent / "data" / "lambeth_2012-06_invoices_over_500.csv"
    home = tmp_path / "home"
    built = _cli("build", "--spend", str(lambeth), home=home)
    assert built.exit_code == 0
    assert "placespend quarantine" in built.stdout
    listed = _cli("quarantine", home=home)
    assert "a totals line" in listed.stdout
    assert "3167" in listed.stdout  # the Total line of the real file


@pytest.mark.parametrize("text", ["Hilgrove", "hilgrove estate", "HILGROVE RD"])
def test_export_estate_accepts_any_name_people_use(default_home, tmp_path, text):
    result = _cli("export", "--estate", text, "--format", "csv", "--out", str(tmp_path),
                  home=default_home)
    assert result.exit_code == 0, result.output
    with store.connect(db_path(default_home)) as con:
        hilgrove = reads.resolve_estate(con, "Hilgrove Road")
    (csv_path,) = tmp_path.glob("*.csv")
    assert hilgrove in csv_path.name
    assert set(pd.read_csv(csv_path)["estate_id"]) == {hilgrove}


def test_export_estate_suggests_near_names(default_home, tmp_path):
    # the CLI's main() prints a PlacespendError as "error: …" with exit status 2
    with pytest.raises(PlacespendError, match="Did you mean: Chalcots Estate"):
        _cli("export", "--estate", "Chalcotts", "--out", str(tmp_path), home=default_home)
