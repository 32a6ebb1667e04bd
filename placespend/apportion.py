"""Run the SQL steps in ``pipelines/`` that turn payments into place-based spend.

The steps are plain SQL files, one table each, executed in file-name order against a DuckDB
connection that already holds the input tables listed in ``docs/ARCHITECTURE.md``
(``payments``, ``contracts``, ``services``, ``service_keys``, ``rules``, ``atoms``,
``atom_keys``). Values go in as named parameters; Python never formats SQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from placespend import paths, suppliers
from placespend.keys import FALLBACK_KEY

log = logging.getLogger(__name__)

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Step:
    """One pipeline step: a SQL file that creates one table."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def table(self) -> str:
        """The table a step creates: its name without the number and layer prefix."""
        return re.sub(r"^\d+_(stg|int|mart)_", "", self.name)

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def steps(directory: Path = paths.PIPELINES_DIR, first: int = 2) -> list[Step]:
    """The apportionment steps, in run order (``first`` skips the ingest staging steps)."""
    found = sorted(directory.glob("[0-9][0-9]_*.sql"))
    return [Step(p) for p in found if int(p.name[:2]) >= first]


def run_step(con: duckdb.DuckDBPyConnection, step: Step, params: Mapping[str, object]) -> int:
    """Run one step with the parameters it names; return the row count of its table."""
    sql = step.sql()
    wanted = {name: params[name] for name in _PARAM.findall(sql)}
    con.execute(sql, wanted or None)
    (n,) = con.execute(f'select count(*) from "{step.table}"').fetchone()
    log.info("%s: %d rows", step.name, n)
    return n


def apportion(
    con: duckdb.DuckDBPyConnection,
    *,
    borough_code: str,
    on_step: Callable[[Step], None] | None = None,
) -> dict[str, int]:
    """Run every apportionment step; return each output table's row count.

    Parameters
    ----------
    con
        A connection holding the input tables.
    borough_code
        The code used as ``scope_code`` of borough-wide spend.
    on_step
        Called before each step (for progress display).
    """
    params = {"borough_code": borough_code, "fallback_key": FALLBACK_KEY}
    _default_intervals(con)
    _default_links(con)
    counts: dict[str, int] = {}
    for step in steps():
        if on_step is not None:
            on_step(step)
        if step.table == "classified":
            match_rules(con)
        counts[step.table] = run_step(con, step, params)
    return counts


def _default_intervals(con: duckdb.DuckDBPyConnection) -> None:
    """Empty interval tables where the caller wrote none: every range is then the figure
    itself (a build always writes them, see ``placespend.intervals``)."""
    con.execute("create table if not exists service_quantities "
                "(service_id varchar, quantity varchar)")
    con.execute("create table if not exists target_intervals (target_type varchar, "
                "target_id varchar, scope_type varchar, key varchar, quantity varchar, "
                "kind varchar, error_group varchar, low_ratio double, high_ratio double)")


def _default_links(con: duckdb.DuckDBPyConnection) -> None:
    """Supplier matches at the default threshold, and empty contract details, where the
    caller wrote none (a build always writes them, see ``placespend.build``)."""
    tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    if "supplier_matches" not in tables:
        suppliers.match_suppliers(con)
    con.execute("create table if not exists contract_details (contract_id varchar, "
                "source_file varchar, source_row bigint, description varchar, department "
                "varchar, value_pence bigint, value_basis varchar, service_source varchar)")


def match_rules(con: duckdb.DuckDBPyConnection, directory: Path = paths.PIPELINES_DIR) -> int:
    """Find the labels each catalogue rule pattern matches, for ``02_int_classified``.

    Runs ``02a_rule_labels`` (the distinct labels of ``payments`` and the rules' patterns),
    then ``02b_rule_hits_append`` once per pattern, with the pattern as a parameter: RE2 then
    compiles it once, where a pattern read from a column is compiled again for every row
    (~50 µs each, which made classification the slowest step). Returns the hits found.
    """
    con.execute((directory / "02a_rule_labels.sql").read_text(encoding="utf-8"))
    append = (directory / "02b_rule_hits_append.sql").read_text(encoding="utf-8")
    patterns = con.table("rule_patterns").fetchall()
    for rule_no, field_name, pattern in patterns:
        con.execute(append, {"rule_no": rule_no, "field": field_name, "pattern": pattern})
    (n,) = con.execute("select count(*) from rule_hits").fetchone()
    log.info("02a/02b rule patterns: %d patterns, %d label hits", len(patterns), n)
    return n


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Create or replace table ``name`` from a DataFrame (the connection's only way in for data)."""
    con.register("_incoming", frame)
    try:
        con.execute(f'create or replace table "{name}" as select * from _incoming')
    finally:
        con.unregister("_incoming")
