"""placespend classify: the largest unclassified labels with suggestions, rules written to the
user's own catalogue (never the shipped one), and --explain."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from placespend import build, catalogue, classify, paths, store, suggest
from placespend.cli import app
from placespend.errors import PlacespendError

OXFORD = Path(__file__).parent / "data" / "real" / "oxford_2017-10-12.csv"


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def oxford(tmp_path_factory):
    """A store built from Oxford's real file with its suggested mapping, and the mapping."""
    tmp = tmp_path_factory.mktemp("oxford")
    mapping = tmp / "mapping.yaml"
    mapping.write_text(suggest.suggest_mapping(OXFORD).yaml(), encoding="utf-8")
    home = tmp / "home"
    build.build(home, build.BuildInputs(spend=(OXFORD,), mapping=mapping))
    return home, mapping


def test_the_largest_unclassified_labels_come_with_payees_and_suggestions(oxford):
    home, _ = oxford
    with store.connect(paths.db_path(home)) as con:
        todo = classify.unclassified(con, limit=10)
    assert len(todo) == 10
    assert todo["gross_pence"].is_monotonic_decreasing
    assert todo["payees"].notna().all()
    assert all(len(s) <= classify.SUGGESTIONS for s in todo["suggestions"])
    assert todo["suggestions"].map(len).iloc[0] >= 1
    ids = {s.id for s in catalogue.load_catalogue().services}
    assert {sid for row in todo["suggestions"] for sid, _ in row} <= ids


def test_accepting_a_suggestion_writes_the_users_catalogue_and_raises_coverage(oxford, tmp_path):
    home, mapping = oxford
    shipped = _digest(paths.CATALOGUE_PATH)
    mine = tmp_path / "my_catalogue.yaml"
    with store.connect(paths.db_path(home)) as con:
        before = classify.coverage(con)
        first = classify.unclassified(con, limit=1).iloc[0]
    result = _cli("classify", "--home", str(home), "--accept", "1", "--catalogue", str(mine))
    assert result.exit_code == 0, result.output
    assert _digest(paths.CATALOGUE_PATH) == shipped
    cat = catalogue.load_catalogue(mine)
    added = cat.rules[-1]
    assert added.service == first["suggestions"][0][0]
    assert added.matches(first["org_unit"], first["purpose"], None)
    home2 = tmp_path / "rebuilt"
    build.build(home2, build.BuildInputs(spend=(OXFORD,), mapping=mapping, catalogue=mine))
    with store.connect(paths.db_path(home2)) as con:
        after = classify.coverage(con)
    assert after.classified_gross_pence - before.classified_gross_pence == first["gross_pence"]


def test_the_command_lists_labels_and_explains_a_rule(oxford):
    home, _ = oxford
    listed = _cli("classify", "--home", str(home), "--limit", "5")
    assert listed.exit_code == 0, listed.output
    assert "Largest unclassified labels" in listed.output and "--accept" in listed.output
    explained = _cli("classify", "--home", str(home), "--explain", "Direct Services / Tipping")
    assert explained.exit_code == 0, explained.output
    assert "gives waste_collection" in explained.output and "'Tipping'" in explained.output


def test_the_shipped_catalogue_is_never_written():
    with pytest.raises(PlacespendError, match="never edits"):
        classify.add_rule(paths.CATALOGUE_PATH, "parking", "Any", "Thing", "test")


def test_a_rule_for_a_label_with_regex_characters_matches_it_exactly(tmp_path):
    mine = tmp_path / "c.yaml"
    classify.add_rule(mine, "parking", "Car Parks (Off-Street)", "Fees + Charges [2024]", "x")
    rule = catalogue.load_catalogue(mine).rules[-1]
    assert rule.matches("car parks (off-street)", "Fees + Charges [2024]", None)
    assert not rule.matches("Car Parks (Off-Street)", "Fees + Charges [2024] extra", None)


def test_coverage_of_the_demo_says_it_is_measured_on_its_own_labels(default_home):
    result = _cli("coverage", "--home", str(default_home))
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "synthetic demo" in flat and "labels the catalogue was written for" in flat


@pytest.fixture(scope="module")
def default_home(demo_home):
    return demo_home


def test_rebuilding_the_demo_with_a_confirmed_rule_raises_its_coverage(demo_home_copy):
    home = demo_home_copy("classify_rebuild")
    db = paths.db_path(home)
    shipped = _digest(paths.CATALOGUE_PATH)
    with store.connect(db) as con:
        before = classify.coverage(con)
        first = classify.unclassified(con, limit=1).iloc[0]
    mine = home / "my_catalogue.yaml"
    # the demo's unmatched labels are like nothing classified, so nothing is suggested: the
    # officer names a service
    assert first["suggestions"] == []
    classify.add_rule(mine, "corporate_it", first["org_unit"], first["purpose"], "test")
    after = classify.rebuild(db, mine)
    assert after.is_demo
    assert after.classified_gross_pence - before.classified_gross_pence == first["gross_pence"]
    assert _digest(paths.CATALOGUE_PATH) == shipped
