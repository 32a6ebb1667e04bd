"""The DuckDB store: one file per home folder, built aside and swapped in atomically.

A build writes to a new file next to the store (``placespend.duckdb.building-<pid>``) and
renames it over the old one only once every check has passed, so a build that fails or is
killed leaves the previous store intact; readers only ever open ``placespend.duckdb``. A file
left behind by a killed build is removed by the next build. One build at a time holds an
exclusive lock on ``<home>/.build.lock``; a second build refuses with a clear message instead
of corrupting anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from placespend.errors import StoreError

# DuckDB fetches a missing extension from the network when a query needs one; placespend makes
# no network calls at run time, so a query that needed one fails instead. Set after opening
# (not as connect() config), so other connections to the same file need no matching config.
NO_DOWNLOADS = "set autoinstall_known_extensions = false"

# A build's working memory. DuckDB's own default is 80% of the machine's RAM, which a 10-year
# export at ten times Camden's size would take (about 6 GB); capped, DuckDB spills the rest to
# a folder beside the file being built (``<file>.tmp``), at some cost in time.
MEMORY_ENV = "PLACESPEND_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def limit_memory(con: duckdb.DuckDBPyConnection, limit: str | None = None) -> None:
    """Cap a building connection's memory as :func:`memory_limit` says."""
    con.execute(f"set memory_limit = '{memory_limit(limit)}'")  # checked: digits and a unit


def memory_limit(limit: str | None = None) -> str:
    """A build's memory cap: ``limit``, else ``PLACESPEND_MEMORY_LIMIT`` (e.g. ``4GB``), else
    1 GB.

    Raises
    ------
    StoreError
        The limit is not a memory size.
    """
    limit = (limit or os.environ.get(MEMORY_ENV, "")).strip() or DEFAULT_MEMORY_LIMIT
    if not MEMORY_SIZE.fullmatch(limit):
        msg = (f"Memory limit {limit!r} (--memory-limit or {MEMORY_ENV}) is not a memory size. "
               f"Use a size such as 1GB, 1500MB or 4GB, or leave it out for the default "
               f"{DEFAULT_MEMORY_LIMIT}.")
        raise StoreError(msg)
    return limit


@contextlib.contextmanager
def build_lock(home: Path) -> Iterator[None]:
    """Hold the home folder's build lock, or refuse at once if another build holds it."""
    home.mkdir(parents=True, exist_ok=True)
    lock_path = home / ".build.lock"
    # "a+", not "w": a refused build must not blank the process id the running build wrote.
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            by = f", process {holder}" if holder.isdigit() else ""
            msg = (
                f"Another placespend build is running in {home} (it holds {lock_path}{by}). "
                "Wait for it to finish, or build into a separate folder with --home."
            )
            raise StoreError(msg) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def staged(target: Path, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a fresh file that replaces ``target`` only if the block succeeds; its
    memory capped as :func:`limit_memory` says."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f"{target.name}{BUILDING}{os.getpid()}")
    _remove_abandoned(target)
    _remove(temp)
    con = duckdb.connect(str(temp))
    con.execute(NO_DOWNLOADS)
    try:
        limit_memory(con, memory_limit)
        yield con
        con.execute("checkpoint")
        con.close()
        _fsync(temp)
        # A WAL beside the old store could only come from a writer that crashed; replayed onto
        # the new file it would corrupt it.
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        os.replace(temp, target)
        _fsync(target.parent)
    except BaseException:
        con.close()
        _remove(temp)
        raise


BUILDING = ".building-"


def _remove(db_file: Path) -> None:
    for leftover in (db_file, db_file.with_name(db_file.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(db_file.with_name(db_file.name + ".tmp"), ignore_errors=True)  # spilled data


def _remove_abandoned(target: Path) -> None:
    """Delete half-built files of builds that were killed (their process no longer runs)."""
    for leftover in target.parent.glob(f"{target.name}{BUILDING}*"):
        pid = leftover.name.removeprefix(f"{target.name}{BUILDING}")
        pid = pid.removesuffix(".wal").removesuffix(".tmp")
        if pid.isdigit() and not _running(int(pid)):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (the rename), to disk before relying on it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def connect(db_file: Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a built store; read-only unless asked, so readers never change it."""
    if not db_file.exists():
        msg = f"No placespend database at {db_file}. Run `placespend build` first (or pass --home)."
        raise StoreError(msg)
    try:
        con = duckdb.connect(str(db_file), read_only=read_only)
    except duckdb.Error as exc:
        msg = f"Cannot open {db_file}: {exc}. Rebuild it with `placespend build`."
        raise StoreError(msg) from exc
    con.execute(NO_DOWNLOADS)
    return con
