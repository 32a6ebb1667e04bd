"""System financing pools: sums that add up, shares of borough-wide spend, saving beside PB
scenarios, and the CLI's export of a saved pool."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from placespend import paths, pools, store, views
from placespend.cli import app
from placespend.demo import DEMO_LABEL
from placespend.errors import PlacespendError
from placespend.scenarios import Scenario, ScenarioBook

SERVICES = ("repairs_essential", "mental_health", "adult_social_care")


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("pools_home")


@pytest.fixture(scope="module")
def con(home):
    with store.connect(paths.db_path(home)) as connection:
        yield connection


def _two_estates(con) -> tuple[str, ...]:
    return tuple(con.execute("select estate_id from estates order by estate_id limit 2")
                 .df()["estate_id"])


def test_pooled_totals_add_up_every_way(con):
    pool = pools.Pool("t", SERVICES, _two_estates(con), "2024-25")
    result = pools.work_out(con, pool)
    assert set(result.by_estate["estate_id"]) <= set(pool.estate_ids)
    assert result.total_pence == result.by_estate["amount_pence"].sum() \
        == result.by_service["pooled_pence"].sum()
    direct = con.execute(
        "select sum(amount_pence) from place_spend where target_type = 'estate' and "
        "financial_year = '2024-25' and list_contains($s, service_id) and "
        "list_contains($e, target_id)", {"s": list(SERVICES), "e": list(pool.estate_ids)}
    ).fetchone()[0]
    assert result.total_pence == direct > 0


def test_each_services_share_is_of_its_borough_wide_spend(con):
    result = pools.work_out(con, pools.Pool("all estates", SERVICES, (), "2024-25"))
    for r in result.by_service.itertuples():
        borough = con.execute(
            "select sum(payments.amount_pence) from payments join spend_lines using (row_id) "
            "where spend_lines.service_id = $s and payments.financial_year = '2024-25'",
            {"s": r.service_id}).fetchone()[0]
        assert r.borough_pence == borough
        assert 0 < r.share_of_borough < 1  # every estate, but not the off-estate residuals
        assert r.share_of_borough == pytest.approx(r.pooled_pence / borough)


def test_suggestions_follow_the_catalogues_links_for_an_outcome(con):
    links = views.links(con)
    suggested = pools.suggest(views.services(con), links, "net_zero")
    ends = set(links.loc[links["outcome"] == "net_zero", ["from_service", "to_service"]]
               .to_numpy().ravel())
    assert set(suggested) == ends & set(views.services(con)["service_id"])
    assert "retrofit_energy" in suggested and "mental_health" not in suggested


def test_a_pool_with_no_or_unknown_services_is_refused(con):
    with pytest.raises(PlacespendError, match="at least one service"):
        pools.work_out(con, pools.Pool("empty", ()))
    with pytest.raises(PlacespendError, match="lacks: nosuch"):
        pools.work_out(con, pools.Pool("odd", ("nosuch",)))


def test_pools_are_saved_beside_scenarios_without_touching_them(tmp_path):
    db = tmp_path / "placespend.duckdb"
    scenario = Scenario("PB plan", "e1", "2024-25", ("caretaking",))
    ScenarioBook(db).save(scenario)
    book = pools.PoolBook(db)
    book.save(pools.Pool("Repairs and health", SERVICES, ("e1",), "2024-25", "healthy_lives"))
    assert ScenarioBook(db).list() == [scenario]
    assert book.get("Repairs and health").outcome == "healthy_lives"
    data = json.loads((tmp_path / "scenarios.json").read_text(encoding="utf-8"))
    assert [p["name"] for p in data["pools"]] == ["Repairs and health"]
    with pytest.raises(PlacespendError, match="A pool named 'Repairs and health' is already"):
        book.save(pools.Pool("Repairs and health", SERVICES))
    with pytest.raises(PlacespendError, match="No saved pool named 'nope'"):
        book.get("nope")


def test_placespend_pool_exports_a_saved_pool_as_csv_and_xlsx(home, con, tmp_path):
    pool = pools.Pool("=Repairs & health", SERVICES, _two_estates(con), "2024-25")
    pools.PoolBook(paths.db_path(home)).save(pool, overwrite=True)
    result = CliRunner().invoke(app, ["pool", "=Repairs & health", "--home", str(home),
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (csv_file,) = tmp_path.glob("*.csv")
    (xlsx_file,) = tmp_path.glob("*.xlsx")
    assert csv_file.name.startswith("SYNTHETIC_DEMO_pool_")
    rows = pd.read_csv(csv_file, dtype=str)
    assert list(rows.columns) == [*pools.CSV_COLUMNS, "data"]
    assert set(rows["pool"]) == {"'=Repairs & health"}  # a formula is never made
    assert set(rows["data"]) == {DEMO_LABEL}
    expected = pools.work_out(con, pool)
    assert sum(round(float(v) * 100) for v in rows["amount_gbp"]) == expected.total_pence
    book = load_workbook(io.BytesIO(xlsx_file.read_bytes()))
    assert book.sheetnames == ["pool", "by estate"]
    summary = {r[0]: r[1] for r in book["pool"].iter_rows(max_row=5, values_only=True)}
    assert round(summary["pooled_total_gbp"] * 100) == expected.total_pence
    assert summary["data"] == DEMO_LABEL and summary["pool"] == "=Repairs & health"
    assert book["pool"]["B1"].data_type == "s"


def test_placespend_pool_names_the_saved_pools_when_one_is_missing(home):
    result = CliRunner().invoke(app, ["pool", "nope", "--home", str(home)])
    assert result.exit_code != 0
    assert "No saved pool named 'nope'" in str(result.exception or result.output)
