"""Run the named read-only queries kept in ``pipelines/queries/``."""

from __future__ import annotations

import functools
import re

import duckdb
import pandas as pd

from placespend import paths

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@functools.cache
def _text(name: str) -> str:
    return (paths.PIPELINES_DIR / "queries" / f"{name}.sql").read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """Run ``pipelines/queries/<name>.sql`` with the named parameters it uses."""
    sql = _text(name)
    wanted = {p: params[p] for p in dict.fromkeys(_PARAM.findall(sql))}
    return con.execute(sql, wanted or None).df()
