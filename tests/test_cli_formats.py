"""The CLI's listings as CSV and JSON, tables never cut when written to a pipe, and the year a
command shows without ``--year``: the latest full financial year, said in the output."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placespend import money, reads, store
from placespend.cli import app
from placespend.demo import DEMO_LABEL
from placespend.errors import PlacespendError
from placespend.paths import db_path

runner = CliRunner()
LAMBETH = Path(__file__).parent / "data" / "lambeth_2012-06_invoices_over_500.csv"


def _cli(*args: str, home: Path):
    return runner.invoke(app, [*args, "--home", str(home)], catch_exceptions=False)


@pytest.fixture(scope="module")
def home(demo_home):
    return demo_home


@pytest.fixture(scope="module")
def con(home):
    with store.connect(db_path(home)) as connection:
        yield connection


@pytest.fixture(scope="module")
def quarantined_home(tmp_path_factory):
    """A store built from a real council file with a totals line and rows to refuse."""
    home = tmp_path_factory.mktemp("quarantined")
    assert _cli("build", "--spend", str(LAMBETH), home=home).exit_code == 0
    return home


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# ---- estates ----------------------------------------------------------------------------------


def test_estates_as_csv_are_every_estate_in_exact_pounds_with_the_label(home, con):
    result = _cli("estates", "--format", "csv", home=home)
    assert result.exit_code == 0
    rows = _rows(result.stdout)  # stdout holds the CSV alone: the banner went to stderr
    default = reads.default_year(con).year
    totals = reads.estate_totals(con, default).set_index("estate_id")
    assert len(rows) == len(totals)
    for r in rows:
        assert Decimal(r["total_gbp"]) == Decimal(int(totals.loc[r["estate_id"],
                                                                 "total_pence"])) / 100
        assert r["data"] == DEMO_LABEL and r["financial_year"] == default
    names = reads.ward_names(con)
    one = next(r for r in rows if ";" in r["ward_codes"])  # an estate across two wards
    assert one["ward_names"].split(";") == [names[c] for c in one["ward_codes"].split(";")]


def test_estates_as_json_carry_the_year_its_reason_and_numbers(home, con):
    result = _cli("estates", "--format", "json", "--limit", "3", home=home)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    choice = reads.default_year(con)
    assert data["financial_year"] == choice.year and data["year_reason"] == choice.reason
    assert data["data"] == DEMO_LABEL
    assert data["rows_listed"] == 3 == len(data["rows"]) < data["estates"]
    first = data["rows"][0]
    assert isinstance(first["total_gbp"], float) and isinstance(first["households_est"], float)
    pence = reads.estate_totals(con, choice.year).set_index("estate_id").loc[
        first["estate_id"], "total_pence"]
    assert f"{first['total_gbp']:.2f}" == money.gbp(int(pence))


def test_estates_table_piped_keeps_every_name_whole(home, con):
    result = _cli("estates", home=home)  # CliRunner's stdout is not a terminal
    assert result.exit_code == 0
    assert "…" not in result.stdout
    names = con.execute("select name from estates").df()["name"]
    longest = max(names, key=len)
    assert len(longest) > 40 and longest in result.stdout
    assert reads.default_year(con).reason in result.stdout


def test_estates_year_all_sums_every_year(home, con):
    data = json.loads(_cli("estates", "--format", "json", "--year", "all", home=home).stdout)
    assert data["financial_year"] == "all years"
    totals = reads.estate_totals(con, None).set_index("estate_id")
    first = data["rows"][0]
    assert f"{first['total_gbp']:.2f}" == money.gbp(int(totals.loc[first["estate_id"],
                                                                    "total_pence"]))


def test_a_bad_format_is_a_message(home):
    with pytest.raises(PlacespendError, match="table, csv or json"):
        _cli("estates", "--format", "xml", home=home)


# ---- reconcile, coverage, quarantine ----------------------------------------------------------


def test_reconcile_as_csv_and_json_agree_to_the_penny(home):
    as_json = json.loads(_cli("reconcile", "--format", "json", home=home).stdout)
    assert as_json == json.loads(_cli("reconcile", "--json", home=home).stdout)
    rows = {r["figure"]: r for r in _rows(_cli("reconcile", "--format", "csv", home=home).stdout)}
    for name in ("input_gbp", "estates_gbp", "residual_gbp", "excluded_gbp"):
        assert Decimal(rows[name]["value"]) == Decimal(str(as_json[name]))
    assert rows["ok"]["value"] == "true" and as_json["ok"] is True
    assert {r["data"] for r in rows.values()} == {DEMO_LABEL}
    placed = sum(Decimal(rows[n]["value"]) for n in ("estates_gbp", "residual_gbp",
                                                     "excluded_gbp"))
    assert placed == Decimal(rows["input_gbp"]["value"])


def test_coverage_as_csv_and_json_list_the_same_labels(home):
    listed = _rows(_cli("coverage", "--format", "csv", "--limit", "3", home=home).stdout)
    data = json.loads(_cli("coverage", "--format", "json", "--limit", "3", home=home).stdout)
    assert len(listed) == len(data["rows"]) == 3
    assert [r["purpose"] for r in listed] == [r["purpose"] for r in data["rows"]]
    assert [Decimal(r["gross_gbp"]) for r in listed] == [
        Decimal(str(r["gross_gbp"])) for r in data["rows"]]
    assert 0 < data["classified_share"] <= 1 and data["data"] == DEMO_LABEL


def test_quarantine_as_csv_holds_every_row_and_json_says_how_many(quarantined_home):
    data = json.loads(_cli("quarantine", "--format", "json", home=quarantined_home).stdout)
    assert data["rows_quarantined"] == data["rows_listed"] == len(data["rows"]) > 0
    assert sum(r["rows"] for r in data["reasons"]) == data["rows_quarantined"]
    listed = _rows(_cli("quarantine", "--format", "csv", home=quarantined_home).stdout)
    assert len(listed) == data["rows_quarantined"]
    assert any("a totals line" in r["reason"] for r in listed)
    assert {r["data"] for r in listed} == {"user-supplied spend"}
    one = _cli("quarantine", "--limit", "1", home=quarantined_home).stdout
    if data["rows_quarantined"] > 1:
        assert f"First 1 of {data['rows_quarantined']:,} rows" in one


# ---- export without --year --------------------------------------------------------------------


def test_export_without_a_year_is_the_latest_full_year_and_says_so(home, con, tmp_path):
    result = _cli("export", "--estate", "Hilgrove", "--format", "csv,geojson", "--out",
                  str(tmp_path), home=home)
    assert result.exit_code == 0
    choice = reads.default_year(con)
    assert choice.reason in result.stdout
    (path,) = tmp_path.glob("*.csv")
    assert path.name.endswith(f"_{choice.year}.csv")
    rows = pd.read_csv(path, dtype={"amount_gbp": str})
    assert set(rows["financial_year"]) == {choice.year}
    hilgrove = reads.resolve_estate(con, "Hilgrove")
    one_year = reads.estate_totals(con, choice.year).set_index("estate_id")
    exported = sum(Decimal(v) for v in rows["amount_gbp"])
    assert exported * 100 == int(one_year.loc[hilgrove, "total_pence"])
    every_year = reads.estate_totals(con, None).set_index("estate_id")
    assert exported * 100 != int(every_year.loc[hilgrove, "total_pence"])  # not summed
    (geojson,) = tmp_path.glob("*.geojson")
    (feature,) = json.loads(geojson.read_text())["features"]
    assert feature["properties"]["financial_year"] == choice.year


def test_export_year_all_sums_every_year(home, con, tmp_path):
    result = _cli("export", "--estate", "Hilgrove", "--year", "all", "--format", "csv",
                  "--out", str(tmp_path), home=home)
    assert result.exit_code == 0 and "summed" in result.stdout
    (path,) = tmp_path.glob("*_all_years.csv")
    rows = pd.read_csv(path, dtype={"amount_gbp": str})
    hilgrove = reads.resolve_estate(con, "Hilgrove")
    every_year = reads.estate_totals(con, None).set_index("estate_id")
    assert sum(Decimal(v) for v in rows["amount_gbp"]) * 100 == int(
        every_year.loc[hilgrove, "total_pence"])
    assert rows["financial_year"].nunique() == len(reads.financial_years(con)) > 1


def test_pot_without_a_year_sizes_the_latest_full_year(home, con, tmp_path):
    result = _cli("pot", "--estate", "Hilgrove", "--format", "csv", "--out", str(tmp_path),
                  home=home)
    assert result.exit_code == 0
    choice = reads.default_year(con)
    assert choice.reason in result.stdout
    (path,) = tmp_path.glob("*.csv")
    assert path.name.startswith("SYNTHETIC_DEMO_pot_") and choice.year in path.name
