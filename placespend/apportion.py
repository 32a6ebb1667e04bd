"""Run the SQL steps in ``pipelines/`` that turn payments into place-based spend.

The steps are plain SQL files, one table each, executed in file-name order against a DuckDB
connection that already holds the input tables listed in ``docs/ARCHITECTURE.md``
(``payments``, ``contracts``, ``services``, ``service_keys``, ``rules``, ``atoms``,
``atom_keys``). Values go in as named parameters; Python never formats SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import duckdb

from placespend import _sql, suppliers
from placespend._sql import Step
from placespend.keys import FALLBACK_KEY

log = logging.getLogger(__name__)


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
    for step in _sql.steps():
        if on_step is not None:
            on_step(step)
        if step.table == "classified":
            match_rules(con)
        counts[step.table] = _sql.run_step(con, step, params)
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


def match_rules(con: duckdb.DuckDBPyConnection, directory: Path = _sql.STEPS_DIR) -> int:
    """Find the labels each catalogue rule pattern matches, for ``02_int_classified``.

    Runs ``02a_rule_labels`` (the distinct labels of ``payments`` and the rules' patterns),
    then ``02b_rule_hits_append`` once per pattern, with the pattern as a parameter: RE2 then
    compiles it once, where a pattern read from a column is compiled again for every row
    (~50 µs each, which made classification the slowest step). Returns the hits found.
    """
    _sql.run(con, "02a_rule_labels", directory)
    patterns = con.table("rule_patterns").fetchall()
    for rule_no, field_name, pattern in patterns:
        _sql.run(con, "02b_rule_hits_append", directory,
                 rule_no=rule_no, field=field_name, pattern=pattern)
    (n,) = _sql.fetch_one(con, "select count(*) from rule_hits")
    log.info("02a/02b rule patterns: %d patterns, %d label hits", len(patterns), n)
    return n
