"""Declared invariants: ``pipelines/checks/*.sql``, each returning the rows that break it.

A check is one SQL file whose header names its rule (``-- name: rule``) and whose result is
the offending rows: zero rows means the rule holds. :func:`run_checks` runs them all and raises
once, listing every failed check with its rule and a few sample rows, so a broken build shows
everything wrong with it at the same time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from placespend import _sql
from placespend.errors import CheckError

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class Check:
    """One declared check: a SQL file of ``pipelines/checks/``."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def rule(self) -> str:
        """What the check asserts, from the file's header."""
        return _sql.header(self.path)


@dataclass(frozen=True)
class Failure:
    """A check that found rows breaking its rule."""

    check: Check
    rows: pd.DataFrame

    def describe(self, sample: int = SAMPLE_ROWS) -> str:
        n = len(self.rows)
        shown = f", the first {sample}" if n > sample else ""
        table = self.rows.head(sample).to_string(index=False, max_colwidth=60)
        body = "\n".join(f"      {line}" for line in table.splitlines())
        return (f"{self.check.name}: {self.check.rule} "
                f"({n:,} offending row{'s' if n != 1 else ''}{shown}):\n{body}")


def declared(names: Iterable[str] | None = None, directory: Path = _sql.CHECKS_DIR
             ) -> list[Check]:
    """The checks of ``directory`` (all, or those named), in name order.

    Raises ``ValueError`` for a name no file declares (a caller's typo, not a user's).
    """
    found = [Check(p) for p in _sql.check_files(directory)]
    if names is None:
        return found
    wanted = list(names)
    unknown = sorted(set(wanted) - {c.name for c in found})
    if unknown:
        msg = f"no such check in {directory}: {', '.join(unknown)}"
        raise ValueError(msg)
    return [c for c in found if c.name in wanted]


def failures(con: duckdb.DuckDBPyConnection, checks: Iterable[Check],
             params: Mapping[str, object] | None = None) -> list[Failure]:
    """Run each check; the ones that returned rows."""
    found = []
    for check in checks:
        rows = _sql.rows(con, check.path, params)
        if len(rows):
            found.append(Failure(check, rows))
    return found


def run_checks(con: duckdb.DuckDBPyConnection, names: Iterable[str] | None = None, *,
               params: Mapping[str, object] | None = None,
               directory: Path = _sql.CHECKS_DIR) -> int:
    """Run the declared checks (all, or those named) and raise once if any fails.

    Returns the number of checks run.

    Raises
    ------
    CheckError
        Naming every failed check, its rule and a few of the rows that break it.
    """
    checks = declared(names, directory)
    failed = failures(con, checks, params)
    if failed:
        raise CheckError(message(failed, len(checks)), failed)
    return len(checks)


def message(failed: list[Failure], checked: int) -> str:
    """The one message for every failed check."""
    listed = "\n".join(f"  - {f.describe()}" for f in failed)
    return (
        f"{len(failed)} of {checked} checks of the store failed:\n{listed}\n"
        "Money or rows were lost or counted twice: this is a bug or a damaged database. "
        "Rebuild, and report it if it persists."
    )
