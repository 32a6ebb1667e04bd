"""The one place SQL files are read and run (every ``.sql`` file lives in ``pipelines/``).

Four shapes, one rule (values go in as ``$name`` parameters, never by string formatting; a
file gets only the parameters it names):

- **steps**: numbered files that each create one table (``NN_layer_table.sql``), run in
  file-name order by :func:`run_step`, which logs the table's row count;
- **statements**: any other file of ``pipelines/`` run for its effect (:func:`run`);
- **queries**: read-only files of ``pipelines/queries/``, returned as DataFrames
  (:func:`query`);
- **checks**: files of ``pipelines/checks/`` returning the rows that break an invariant
  (:func:`rows`; run all at once by :mod:`placespend.checks`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from placespend import paths

log = logging.getLogger(__name__)

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
STEPS_DIR = paths.PIPELINES_DIR
QUERIES_DIR = STEPS_DIR / "queries"
CHECKS_DIR = STEPS_DIR / "checks"
ACCURACY_DIR = paths.ACCURACY_PIPELINES_DIR


@functools.cache
def read(path: Path) -> str:
    """The text of a SQL file (read once per process: the files ship with the package)."""
    return path.read_text(encoding="utf-8")


def wanted(sql: str, params: Mapping[str, object]) -> dict[str, object] | None:
    """The parameters ``sql`` names, taken from ``params`` (``None`` when it names none).

    Raises ``KeyError`` naming the first parameter the file uses and the caller did not give.
    """
    chosen = {name: params[name] for name in dict.fromkeys(_PARAM.findall(sql))}
    return chosen or None


def execute(con: duckdb.DuckDBPyConnection, path: Path, params: Mapping[str, object]
            ) -> duckdb.DuckDBPyConnection:
    """Run the SQL file at ``path`` with the parameters it names; the connection, for fetching."""
    sql = read(path)
    return con.execute(sql, wanted(sql, params))


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
        return read(self.path)


def steps(directory: Path = STEPS_DIR, first: int = 2) -> list[Step]:
    """The numbered steps of ``directory`` in run order, from number ``first`` on (the default
    skips the ingest staging steps ``00*`` and ``01*``)."""
    found = sorted(directory.glob("[0-9][0-9]_*.sql"))
    return [Step(p) for p in found if int(p.name[:2]) >= first]


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str,
              params: Mapping[str, object] | None = None) -> tuple[Any, ...]:
    """The one row ``sql`` returns (an aggregate, or a lookup by key that must find a row)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        msg = f"A query of the store returned no row where one is always expected: {sql}"
        raise LookupError(msg)
    return row


def run_step(con: duckdb.DuckDBPyConnection, step: Step, params: Mapping[str, object]) -> int:
    """Run one step with the parameters it names; log and return the row count of its table."""
    execute(con, step.path, params)
    (n,) = fetch_one(con, f'select count(*) from "{step.table}"')
    log.info("%s: %d rows", step.name, n)
    return n


def run(con: duckdb.DuckDBPyConnection, name: str, directory: Path = STEPS_DIR,
        **params: object) -> duckdb.DuckDBPyConnection:
    """Run ``<directory>/<name>.sql`` with the parameters it names (a statement that makes no
    one table, or a result set read by the caller); the connection, for fetching."""
    result = execute(con, directory / f"{name}.sql", params)
    log.debug("ran %s", name)
    return result


def query(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """Run ``pipelines/queries/<name>.sql`` with the named parameters it uses."""
    return execute(con, QUERIES_DIR / f"{name}.sql", params).df()


def check_files(directory: Path = CHECKS_DIR) -> list[Path]:
    """The declared checks, in name order."""
    return sorted(directory.glob("*.sql"))


def rows(con: duckdb.DuckDBPyConnection, path: Path, params: Mapping[str, object] | None = None
         ) -> pd.DataFrame:
    """The rows a check file returns: those that break its rule (none when it holds)."""
    return execute(con, path, params or {}).df()


def header(path: Path) -> str:
    """The first sentence of a file's header comment, after its name (``-- name: what``),
    continued over the comment lines before the first ``-- word :`` field."""
    lines: list[str] = []
    for line in read(path).splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        if lines and re.match(r"^[a-z_]+\s*:", body):
            break
        lines.append(body)
    return " ".join(lines).split(":", 1)[-1].strip()
