"""One SQL runner (``placespend._sql``): the only module that reads the files of
``pipelines/``, and the one estate mart (``estate_spend``) the read queries build on."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import BOROUGH, contract_rows, payment_rows

from placespend import _sql, paths, store
from placespend.apportion import apportion
from placespend.errors import StoreError
from placespend.store import write_table

ROOT = Path(__file__).parents[1]
_READS_SQL = re.compile(r"""PIPELINES_DIR|\.sql["']|read_text\([^)]*\)\s*#\s*sql""")


def test_no_module_but_the_runner_reads_sql_files():
    sources = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "placespend").glob("*.py")}
    readers = sorted(name for name, text in sources.items() if _READS_SQL.search(text))
    assert set(readers) == {"_sql.py", "paths.py"}  # paths.py defines the folder


def test_the_runner_reads_every_folder_of_sql_files():
    folders = {p.parent for p in paths.PIPELINES_DIR.rglob("*.sql")}
    assert folders == {_sql.STEPS_DIR, _sql.QUERIES_DIR, _sql.CHECKS_DIR, _sql.ACCURACY_DIR}


def test_every_query_the_code_names_is_a_file():
    named = set()
    for p in [*(ROOT / "placespend").glob("*.py"), ROOT / "app.py"]:
        named |= set(re.findall(r'\bquery\([^,()]+, "([a-z_0-9]+)"', p.read_text(encoding="utf-8")))
    assert len(named) > 30
    assert sorted(n for n in named if not (_sql.QUERIES_DIR / f"{n}.sql").is_file()) == []


def test_a_file_gets_only_the_parameters_it_names_and_must_get_them_all():
    sql = "select $a + $b, $a"
    assert _sql.wanted(sql, {"a": 1, "b": 2, "c": 3}) == {"a": 1, "b": 2}
    assert _sql.wanted("select 1", {"a": 1}) is None
    with pytest.raises(KeyError, match="b"):
        _sql.wanted(sql, {"a": 1})


def test_a_step_logs_and_returns_its_table_row_count(tmp_path, caplog):
    step = _sql.Step(tmp_path / "05_int_numbers.sql")
    step.path.write_text("create table numbers as select range as n from range($n)", "utf-8")
    with caplog.at_level("INFO", logger="placespend._sql"):
        assert _sql.run_step(duckdb.connect(), step, {"n": 4, "unused": 1}) == 4
    assert step.table == "numbers"
    assert "05_int_numbers: 4 rows" in caplog.text


def test_the_header_gives_a_files_rule(tmp_path):
    path = tmp_path / "x.sql"
    path.write_text("-- x: one thing holds,\n-- and another.\n-- inputs : t\nselect 1", "utf-8")
    assert _sql.header(path) == "one thing holds, and another."


def test_the_estate_mart_is_place_spend_on_estates(two_ward_con):
    write_table(two_ward_con, "payments", payment_rows([("Acme", "Caretaking", 100_000),
                                                        ("Acme", "Caretaking", 333)]))
    write_table(two_ward_con, "contracts", contract_rows([]))
    counts = apportion(two_ward_con, borough_code=BOROUGH)
    mart = two_ward_con.execute(
        "select estate_id, group_id, amount_pence, low_pence, high_pence from estate_spend "
        "order by all").fetchall()
    estates = two_ward_con.execute(
        "select target_id, group_id, amount_pence, low_pence, high_pence from place_spend "
        "where target_type = 'estate' order by all").fetchall()
    assert mart == estates and {e for e, *_ in mart} == {"E1", "E2"}
    assert counts["estate_spend"] == len(mart)


def test_read_queries_that_want_estates_start_from_the_mart():
    """A query reading place_spend itself does so because it needs the residuals too (or
    every place, with the estates' part beside it)."""
    for path in sorted(_sql.QUERIES_DIR.glob("*.sql")):
        body = "\n".join(ln for ln in path.read_text("utf-8").splitlines()
                         if not ln.startswith("--"))
        if re.search(r"\bplace_spend\b", body):
            assert "residual" in body or "case when target_type" in body, path.name


def test_a_store_without_the_estate_mart_is_refused(demo_home, tmp_path):
    db = tmp_path / "placespend.duckdb"
    shutil.copy(paths.db_path(demo_home), db)
    with duckdb.connect(str(db)) as con:
        con.execute("drop view estate_spend")
    with pytest.raises(StoreError, match="lacks the table.*'estate_spend'.*placespend build"):
        store.connect(db).close()
