"""Files for PB platforms: the pabulib ballot file, read back by the maintained pabutools
reader with the same totals, and the ``placespend pot`` command that writes every format."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from placespend import pot, reads, store
from placespend.cli import app
from placespend.demo import DEMO_LABEL
from placespend.paths import db_path
from placespend.pb_files import pabulib
from placespend.scenarios import Change, Scenario, ScenarioBook, plan

pabutools_pabulib = pytest.importorskip("pabutools.election.pabulib")
YEAR = "2024-25"
runner = CliRunner()


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("pb_files_home")  # scenarios are saved into it


@pytest.fixture(scope="module")
def con(home):
    connection = store.connect(db_path(home))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def hilgrove(con) -> str:
    return reads.resolve_estate(con, "Hilgrove")


@pytest.fixture(scope="module")
def cut_plan(con, hilgrove):
    scenario = Scenario(
        name="Cut caretaking; add benches", estate_id=hilgrove, financial_year=YEAR,
        service_ids=tuple(pot.delegable_services(con)),
        changes=(Change("caretaking", "pct", "-10"), Change("green_space", "gbp", "250.50")),
        ideas=(("Benches, planters", 250_000), ("Mural", 80_050)))
    return plan(con, scenario)


def _frac(pence: int) -> Fraction:
    return Fraction(pence, 100)


def test_pabutools_reads_the_pb_file_with_the_same_totals(cut_plan):
    instance, profile = pabutools_pabulib.parse_pabulib_from_string(
        pabulib(cut_plan).decode("utf-8"))
    assert Fraction(instance.budget_limit) == _frac(cut_plan.ideas_pence) > 0
    services = [p for p in instance if p.name.startswith("service_")]
    ideas = [p for p in instance if p.name.startswith("idea_")]
    assert sum(Fraction(p.cost) for p in services) == _frac(cut_plan.services_pence)
    assert sum(Fraction(p.cost) for p in ideas) == _frac(330_050)
    costs = {p.name: Fraction(p.cost) for p in instance}
    for row in cut_plan.lines.itertuples():
        assert costs[f"service_{row.service_id}"] == _frac(int(row.planned_pence))
    meta = instance.meta
    assert Decimal(meta["pot"]) * 100 == cut_plan.pot_pence
    assert Decimal(meta["services_total"]) + Decimal(meta["budget"]) == Decimal(meta["pot"])
    assert meta["data"] == DEMO_LABEL and meta["currency"] == "GBP"
    assert int(meta["num_projects"]) == len(instance) and len(profile) == 0
    names = {instance.project_meta[p]["name"] for p in instance}
    assert "Benches, planters" in names and "Caretaking and estate cleaning" in names


def test_separators_in_names_cannot_break_the_file(cut_plan):
    text = pabulib(cut_plan).decode("utf-8")
    assert "Cut caretaking, add benches" in text  # ';' would split a pabulib field
    instance, _ = pabutools_pabulib.parse_pabulib_from_string(text)
    assert instance.meta["scenario"] == "Cut caretaking, add benches"


def test_json_brief_names_the_platform_versions(cut_plan):
    schema = json.loads(pot.pot_brief_json(cut_plan.pot))["schema"]
    assert "Decidim 0.28" in schema["decidim"]["version"]
    assert "CONSUL Democracy 2" in schema["consul"]["version"]


def test_pot_command_writes_every_format_for_a_saved_scenario(home, tmp_path, cut_plan):
    ScenarioBook(db_path(home)).save(cut_plan.scenario)
    result = runner.invoke(app, ["pot", "--home", str(home), "--estate", "Hilgrove",
                                 "--scenario", "Cut caretaking; add benches",
                                 "--format", "all", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.suffix for p in tmp_path.iterdir())
    assert written == [".csv", ".json", ".pb", ".pdf"]
    pb = next(tmp_path.glob("*.pb")).read_text(encoding="utf-8")
    assert pb == pabulib(cut_plan).decode("utf-8")
    assert next(tmp_path.glob("*.pdf")).read_bytes().startswith(b"%PDF")
    assert DEMO_LABEL in result.output and "ideas pot" in result.output


def test_pot_command_says_what_to_do_on_a_bad_format_or_scenario(home, tmp_path):
    bad = runner.invoke(app, ["pot", "--home", str(home), "--estate", "Hilgrove",
                              "--format", "docx", "--out", str(tmp_path)])
    assert bad.exit_code != 0 and "--format must be" in str(bad.exception)
    missing = runner.invoke(app, ["pot", "--home", str(home), "--estate", "Hilgrove",
                                  "--scenario", "nope", "--out", str(tmp_path)])
    assert "No saved scenario" in str(missing.exception)
