"""Declared checks (``pipelines/checks/*.sql``): each returns the rows breaking its rule, and
one function runs them all and raises once, naming every failed check with samples."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from placespend import checks, paths, reconcile
from placespend.errors import CheckError, ReconciliationError


def _check_dir(tmp_path, files: dict[str, str]):
    folder = tmp_path / "checks"
    folder.mkdir()
    for name, sql in files.items():
        (folder / f"{name}.sql").write_text(sql, encoding="utf-8")
    return folder


def test_checks_that_return_no_rows_pass_and_are_counted(tmp_path):
    folder = _check_dir(tmp_path, {
        "a_empty": "-- a_empty: nothing is wrong.\nselect 1 as x where false",
        "b_empty": "-- b_empty: nothing else is.\nselect 2 as x where false",
    })
    assert checks.run_checks(duckdb.connect(), directory=folder) == 2


def test_every_failed_check_is_named_once_with_its_rule_and_a_few_rows(tmp_path):
    folder = _check_dir(tmp_path, {
        "odd_numbers": "-- odd_numbers: no number is odd.\n-- inputs : numbers\n"
                       "select n from numbers where n % 2 = 1 order by n",
        "big_numbers": "-- big_numbers: every number is below $limit.\n"
                       "select n from numbers where n >= $limit order by n",
        "fine": "-- fine: numbers exist.\nselect 1 where (select count(*) from numbers) = 0",
    })
    con = duckdb.connect()
    con.execute("create table numbers as select range as n from range(20)")
    with pytest.raises(CheckError) as caught:
        checks.run_checks(con, params={"limit": 18}, directory=folder)
    error = caught.value
    assert isinstance(error, ReconciliationError)  # callers that catch lost money still do
    assert [f.check.name for f in error.failures] == ["big_numbers", "odd_numbers"]
    assert [len(f.rows) for f in error.failures] == [2, 10]
    msg = str(error)
    assert msg.startswith("2 of 3 checks of the store failed")
    assert "odd_numbers: no number is odd. (10 offending rows, the first 5)" in msg
    assert "big_numbers: every number is below $limit. (2 offending rows)" in msg
    odd = msg[msg.index("odd_numbers:"):]
    shown = [line.strip() for line in odd.splitlines()[1:8]]
    assert shown[:6] == ["n", "1", "3", "5", "7", "9"]  # the column, then five sample rows
    assert not shown[6].isdigit()
    assert "fine" not in msg


def test_checks_can_be_chosen_by_name_and_a_wrong_name_is_refused(tmp_path):
    folder = _check_dir(tmp_path, {"one": "-- one: x.\nselect 1", "two": "-- two: y.\nselect 1"})
    with pytest.raises(CheckError) as caught:
        checks.run_checks(duckdb.connect(), ["two"], directory=folder)
    assert [f.check.name for f in caught.value.failures] == ["two"]
    with pytest.raises(ValueError, match="thre"):
        checks.declared(["thre"], directory=folder)


def test_every_declared_check_has_a_rule_in_its_header():
    declared = checks.declared()
    assert len(declared) >= 8
    for check in declared:
        text = check.path.read_text(encoding="utf-8")
        assert text.startswith(f"-- {check.name}: "), check.name
        assert "-- output : the offending rows" in text, check.name
        assert len(check.rule) > 20, check.name


@pytest.fixture
def built_store(demo_home, tmp_path):
    """A writable copy of the default build's store."""
    db = tmp_path / "placespend.duckdb"
    shutil.copy(paths.db_path(demo_home), db)
    con = duckdb.connect(str(db))
    yield con
    con.close()


def test_the_default_build_passes_every_check(built_store):
    assert checks.run_checks(built_store) == len(checks.declared())


@pytest.fixture
def damaged_store(built_store):
    """The default build, damaged: one payment repeated and one spend group whose money no
    longer arrives (what a bug in a step would leave)."""
    con = built_store
    con.execute("insert into payments select * from payments order by row_id limit 1")
    con.execute("update reconciliation set difference_pence = 7, allocated_pence = "
                "allocated_pence - 7 where (group_id, key) = (select (group_id, key) from "
                "reconciliation order by group_id, key limit 1)")
    return con


def test_a_damaged_store_raises_once_naming_every_failed_check(damaged_store):
    with pytest.raises(CheckError) as caught:
        reconcile.check(damaged_store)  # what a build runs before it swaps the store in
    failed = {f.check.name: f.rows for f in caught.value.failures}
    assert set(failed) == {"payment_ids_unique", "rows_conserved", "files_conserved",
                           "money_conserved", "groups_reconcile"}
    (first_id,) = damaged_store.execute("select min(row_id) from payments").fetchone()
    assert failed["payment_ids_unique"]["row_id"].tolist() == [first_id]
    assert failed["groups_reconcile"]["difference_pence"].tolist() == [7]
    (paid,) = damaged_store.execute(
        "select amount_pence from payments where row_id = ? limit 1", [first_id]).fetchone()
    assert failed["money_conserved"]["difference_pence"].tolist() == [paid]
    assert paid != 0
    assert failed["files_conserved"]["fails"].tolist() == [
        "payments rows = rows_accepted; payments pence = accepted_pence"]
    msg = str(caught.value)
    assert msg.startswith("5 of ") and msg.count("\n  - ") == 5
    for name in failed:
        assert f"  - {name}: " in msg
    assert "Rebuild, and report it if it persists." in msg


def test_unknown_places_and_repeated_keys_are_found(built_store):
    built_store.execute("create temp table spare as select * from place_spend limit 1")
    built_store.execute("update spare set target_id = 'nowhere'")
    built_store.execute("insert into place_spend select * from spare")
    built_store.execute("insert into place_spend select * from spare")
    failed = {f.check.name: f.rows for f in checks.failures(
        built_store, checks.declared(["place_spend_targets_known", "place_spend_unique"]))}
    assert failed["place_spend_targets_known"]["target_id"].tolist() == ["nowhere"]
    assert failed["place_spend_unique"]["copies"].tolist() == [2]


def test_the_ingest_checks_word_a_lost_row_as_ingest_does():
    """What ``placespend.ingest`` can run after loading spend instead of its own recount: the
    same rule, worded as its ReconciliationError words it."""
    from placespend.ingest import load_spend

    con = duckdb.connect()
    load_spend(con, [paths.REPO_DIR / "tests" / "data" / "camden_sample.csv"])
    assert checks.run_checks(con, ["files_conserved", "payment_ids_unique"]) == 2
    con.execute("delete from payments where row_id = (select min(row_id) from payments)")
    with pytest.raises(ReconciliationError, match="payments rows = rows_accepted") as caught:
        checks.run_checks(con, ["files_conserved", "payment_ids_unique"])
    assert [f.check.name for f in caught.value.failures] == ["files_conserved"]
