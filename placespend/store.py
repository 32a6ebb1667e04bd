"""The DuckDB store: one file per home folder, built aside and swapped in atomically.

A build writes to a new file next to the store and renames it over the old one only once
every check has passed, so a build that fails or is killed leaves the previous store intact.
One build at a time holds an exclusive lock on ``<home>/.build.lock``; a second build refuses
with a clear message instead of corrupting anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from placespend.errors import StoreError


@contextlib.contextmanager
def build_lock(home: Path) -> Iterator[None]:
    """Hold the home folder's build lock, or refuse at once if another build holds it."""
    home.mkdir(parents=True, exist_ok=True)
    lock_path = home / ".build.lock"
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            msg = (
                f"Another placespend build is running in {home} (it holds {lock_path}). "
                "Wait for it to finish, or build into a separate folder with --home."
            )
            raise StoreError(msg) from None
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def staged(target: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a fresh file that replaces ``target`` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f"{target.name}.building-{os.getpid()}")
    _remove(temp)
    con = duckdb.connect(str(temp))
    try:
        yield con
        con.execute("checkpoint")
        con.close()
        os.replace(temp, target)
    except BaseException:
        con.close()
        _remove(temp)
        raise


def _remove(db_file: Path) -> None:
    for leftover in (db_file, db_file.with_name(db_file.name + ".wal")):
        leftover.unlink(missing_ok=True)


def connect(db_file: Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a built store; read-only unless asked, so readers never change it."""
    if not db_file.exists():
        msg = f"No placespend database at {db_file}. Run `placespend build` first (or pass --home)."
        raise StoreError(msg)
    try:
        return duckdb.connect(str(db_file), read_only=read_only)
    except duckdb.Error as exc:
        msg = f"Cannot open {db_file}: {exc}. Rebuild it with `placespend build`."
        raise StoreError(msg) from exc
