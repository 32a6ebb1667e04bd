"""pabulib files after the vote: priorities from the votes (read with the maintained pabutools
parser), bad lines named, and a result turned into next year's saved scenario whose totals
equal the ballot's."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from placespend import money, pb_votes, pot, priorities, reads, store
from placespend.cli import app
from placespend.errors import InputFileError, PlacespendError
from placespend.paths import db_path
from placespend.pb_files import pabulib
from placespend.scenarios import Change, Scenario, ScenarioBook, plan

pabutools_pabulib = pytest.importorskip("pabutools.election.pabulib")
YEAR = "2024-25"
runner = CliRunner()
# five voters: benches 3, mural 2, play area 1, caretaking 1, green space 1
VOTES = ["idea_1,service_caretaking", "idea_1,idea_2", "idea_2", "idea_3,idea_1",
         "service_green_space"]


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("pb_votes_home")


@pytest.fixture(scope="module")
def con(home):
    connection = store.connect(db_path(home))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def ballot_plan(con):
    scenario = Scenario(
        name="Vote 2024", estate_id=reads.resolve_estate(con, "Hilgrove"), financial_year=YEAR,
        service_ids=tuple(pot.delegable_services(con)),
        changes=(Change("caretaking", "pct", "-10"),),
        ideas=(("Benches, planters", 250_000), ("Mural", 80_050), ("Play area", 9_000_000)))
    return plan(con, scenario)


def _with_votes(plan_, votes=VOTES) -> str:
    text = pabulib(plan_).decode("utf-8")
    return text + "".join(f"v{i};{v}\n" for i, v in enumerate(votes, start=1))


def _file(tmp_path, text: str, name: str = "vote.pb"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_votes_become_priorities_ranked_by_support(tmp_path, con, ballot_plan):
    path = _file(tmp_path, _with_votes(ballot_plan))
    _, profile = pabutools_pabulib.parse_pabulib(str(path))
    assert len(profile) == 5  # the maintained reader sees the same votes
    found = priorities.read_file(path, con)
    rows = found.rows.set_index("priority")
    assert rows.loc["Benches, planters", "rank"] == 1
    assert rows.loc["Benches, planters", "score"] == 60.0  # 3 of 5 voters
    assert rows.loc["Mural", "rank"] == 2
    assert rows.loc["Caretaking and estate cleaning", "kind"] == "service"
    assert rows.loc["Play area", "kind"] == "idea"
    assert (found.rows["respondents"] == 5).all()
    assert (found.rows["estate_id"] == ballot_plan.scenario.estate_id).all()
    assert found.is_synthetic  # written from the demo store, whose label it carries
    comparison = priorities.compare(con, found, ballot_plan.scenario.estate_id, YEAR)
    idea = comparison.table.set_index("priority").loc["Benches, planters"]
    assert idea["said"] == "ranked 1st by 60% of 5 respondents; an idea, not a service with " \
                           "spend here"
    assert "new ideas came first" in comparison.gaps[0]


def test_a_ballot_without_votes_has_nothing_to_rank(tmp_path, con, ballot_plan):
    path = _file(tmp_path, pabulib(ballot_plan).decode("utf-8"))
    with pytest.raises(InputFileError, match="no votes"):
        priorities.read_file(path, con)


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t + "v1;idea_9\n", "line {n}: voter 'v1' chose 'idea_9', no project"),
    (lambda t: t + "v1;idea_1\nv1;idea_2\n", "line {n2}: voter 'v1' voted already on line {n}"),
    (lambda t: t + "v1;idea_1,idea_1\n", "line {n}: voter 'v1' names a project twice"),
    (lambda t: t + ";idea_1\n", "line {n}: a vote without a voter_id"),
    (lambda t: t.replace("idea_2;800.50", "idea_2;lots"), "project 'idea_2' has cost 'lots'"),
    (lambda t: t.replace("idea_2;800.50", "idea_1;800.50"), "project 'idea_1' repeats line"),
    (lambda t: t.replace("budget;", "budgeted;"), "META has no 'budget' line"),
    (lambda t: t.replace("vote_type;approval", "vote_type;quadratic"),
     "vote_type 'quadratic' is not one of"),
    (lambda t: t.replace("voter_id;vote", "voter;vote"), "the VOTES header needs voter_id"),
    (lambda t: "hello\n" + t, "line 1: text before the META section"),
])
def test_each_bad_line_of_a_pb_file_is_named(tmp_path, con, ballot_plan, edit, expected):
    base = pabulib(ballot_plan).decode("utf-8")
    n = base.count("\n") + 1
    path = _file(tmp_path, edit(base))
    with pytest.raises(InputFileError) as caught:
        priorities.read_file(path, con)
    assert "vote.pb" in str(caught.value)
    assert expected.format(n=n, n2=n + 1) in str(caught.value)


def test_an_estate_the_meta_does_not_name_is_asked_for(tmp_path, con, ballot_plan):
    text = _with_votes(ballot_plan)
    eid = ballot_plan.scenario.estate_id
    text = text.replace(f"estate_id;{eid}\n", "").replace("subunit;", "subunit;Nowhere ")
    with pytest.raises(InputFileError, match="--estate"):
        priorities.read_file(_file(tmp_path, text), con)
    given = priorities.read_file(_file(tmp_path, text), con, estate="Hilgrove")
    assert (given.rows["estate_id"] == eid).all()


# ---- the result into next year's pot ------------------------------------------------------------


def _meta_pence(text: str, key: str) -> int:
    instance, _ = pabutools_pabulib.parse_pabulib_from_string(text)
    return int(Decimal(instance.meta[key]) * 100)


def test_a_result_becomes_a_scenario_whose_totals_equal_the_ballots(tmp_path, con, ballot_plan):
    text = _with_votes(ballot_plan)
    decided = pb_votes.result(_file(tmp_path, text), con)
    # pabulib's greedy rule: benches (3 votes) and mural (2) fit; the play area does not
    assert list(decided.winners["name"]) == ["Benches, planters", "Mural"]
    scenario = pb_votes.next_scenario(con, decided)
    assert scenario.name == "2025-26: from the 2024-25 vote"
    assert scenario.ideas == (("Benches, planters", 250_000), ("Mural", 80_050))
    again = plan(con, scenario)
    assert again.pot_pence == _meta_pence(text, "pot") == ballot_plan.pot_pence
    assert again.services_pence == _meta_pence(text, "services_total")
    assert again.ideas_pence == _meta_pence(text, "budget")
    instance, _ = pabutools_pabulib.parse_pabulib_from_string(text)
    for row in again.lines.itertuples():
        project = instance.get_project(f"service_{row.service_id}")
        assert Fraction(row.planned_pence, 100) == project.cost
    assert sum(c for _, c in scenario.ideas) <= again.ideas_pence


def test_a_service_line_changed_in_the_result_carries_forward(tmp_path, con, ballot_plan):
    """The meeting cut caretaking by £1,000 more and added it to the budget: the next
    scenario plans the line at its new cost and the ideas pot grows by as much."""
    text = _with_votes(ballot_plan)
    line = ballot_plan.lines.set_index("service_id").loc["caretaking", "planned_pence"]
    cut = 100_000
    text = text.replace(f"service_caretaking;{money.gbp(int(line))}",
                        f"service_caretaking;{money.gbp(int(line) - cut)}")
    text = text.replace(f"budget;{money.gbp(ballot_plan.ideas_pence)}",
                        f"budget;{money.gbp(ballot_plan.ideas_pence + cut)}")
    text = text.replace(f"services_total;{money.gbp(ballot_plan.services_pence)}",
                        f"services_total;{money.gbp(ballot_plan.services_pence - cut)}")
    scenario = pb_votes.next_scenario(con, pb_votes.result(_file(tmp_path, text), con))
    again = plan(con, scenario)
    assert again.lines.set_index("service_id").loc["caretaking", "planned_pence"] == line - cut
    assert again.ideas_pence == ballot_plan.ideas_pence + cut
    assert again.pot_pence == ballot_plan.pot_pence


def test_a_selected_column_names_the_winners(tmp_path, con, ballot_plan):
    text = _with_votes(ballot_plan).replace("project_id;cost;name;category",
                                            "project_id;cost;name;category;selected")
    lines = []
    for row in text.splitlines():
        if row.startswith(("service_", "idea_")):
            row += ";1" if row.startswith("idea_2") else ";0"
        lines.append(row)
    decided = pb_votes.result(_file(tmp_path, "\n".join(lines) + "\n"), con)
    assert list(decided.winners["name"]) == ["Mural"]
    assert "selected" in decided.how


def test_a_result_the_store_no_longer_gives_is_refused(tmp_path, con, ballot_plan):
    text = _with_votes(ballot_plan)
    bumped = ballot_plan.pot_pence + 1
    text = text.replace(f"pot;{money.gbp(ballot_plan.pot_pence)}", f"pot;{money.gbp(bumped)}")
    text = text.replace(f"budget;{money.gbp(ballot_plan.ideas_pence)}",
                        f"budget;{money.gbp(ballot_plan.ideas_pence + 1)}")
    with pytest.raises(PlacespendError, match="rebuilt since the ballot was written"):
        pb_votes.next_scenario(con, pb_votes.result(_file(tmp_path, text), con))


def test_vote_result_command_saves_the_scenario(home, tmp_path, ballot_plan):
    path = _file(tmp_path, _with_votes(ballot_plan))
    result = runner.invoke(app, ["vote-result", str(path), "--home", str(home),
                                 "--name", "Next year from the vote"])
    assert result.exit_code == 0, result.output
    saved = ScenarioBook(db_path(home)).get("Next year from the vote")
    with store.connect(db_path(home)) as con:
        again = plan(con, saved)
    assert again.pot_pence == ballot_plan.pot_pence
    assert again.ideas_pence == ballot_plan.ideas_pence
    assert saved.ideas == (("Benches, planters", 250_000), ("Mural", 80_050))
    twice = runner.invoke(app, ["vote-result", str(path), "--home", str(home),
                                "--name", "Next year from the vote"])
    assert twice.exit_code != 0 and "already saved" in str(twice.exception)
