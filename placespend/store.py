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
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from placespend import __version__, _folders, _sql, paths, settings
from placespend.errors import PlacespendError, StoreError

# DuckDB fetches a missing extension from the network when a query needs one; placespend makes
# no network calls at run time, so a query that needed one fails instead. Set after opening
# (not as connect() config), so other connections to the same file need no matching config.
NO_DOWNLOADS = "set autoinstall_known_extensions = false"

# A build's working memory. DuckDB's own default is 80% of the machine's RAM, which a 10-year
# export at ten times Camden's size would take (about 6 GB); capped, DuckDB spills the rest to
# a folder beside the file being built (``<file>.tmp``), at some cost in time.
MEMORY_ENV = settings.MEMORY_LIMIT.name
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
    limit = (limit or "").strip() or settings.MEMORY_LIMIT.value() or DEFAULT_MEMORY_LIMIT
    if not MEMORY_SIZE.fullmatch(limit):
        msg = (f"Memory limit {limit!r} (--memory-limit or {MEMORY_ENV}) is not a memory size. "
               f"Use a size such as 1GB, 1500MB or 4GB, or leave it out for the default "
               f"{DEFAULT_MEMORY_LIMIT}.")
        raise StoreError(msg)
    return limit


@contextlib.contextmanager
def build_lock(home: Path) -> Iterator[None]:
    """Hold the home folder's build lock, or refuse at once if another build holds it.

    Raises
    ------
    StoreError
        Another build holds the lock, or ``home`` is a file or cannot be created or written.
    """
    lock_path = home / ".build.lock"
    make_folder(home)
    with writing(home):
        # "a+", not "w": a refused build must not blank the process id the running build wrote.
        handle = open(lock_path, "a+")  # noqa: SIM115 - closed by the with below
    with handle, writing(home):
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
        # A folder whose lock file is writable may still refuse new files: find out now, not
        # after the long steps.
        with tempfile.TemporaryFile(dir=home):
            pass
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def make_folder(home: Path) -> None:
    """Create the home folder if missing.

    Raises
    ------
    StoreError
        ``home`` is a file, lies inside one, or cannot be created.
    """
    _folders.make(home, StoreError, f"choose another folder with --home (or {paths.HOME_ENV})")


def check_target(target: Path) -> None:
    """Refuse, before any work, a store path that a build could not replace (a folder).

    Raises
    ------
    StoreError
        ``target`` is a folder.
    """
    if target.is_dir():
        msg = (f"{target} is a folder, not a placespend store, so a build cannot replace it. "
               "Move it away, then build again (or build into another folder with --home).")
        raise StoreError(msg)


@contextlib.contextmanager
def writing(folder: Path, target: Path | None = None) -> Iterator[None]:
    """Turn a write refused in ``folder`` (disk full, permission denied) into a
    :class:`StoreError` saying what to do; ``target`` is the store a build would replace.

    DuckDB reports a full disk as whichever of its exceptions the write happened in (an
    IOException, a FatalException at the checkpoint, a TransactionException on commit), never
    as an OSError, so its message is read for the operating system's reason.
    """
    try:
        yield
    except PlacespendError:
        raise
    except (OSError, duckdb.Error) as exc:
        target = target or folder / paths.DB_FILENAME
        kept = (f"The previous store {target} is kept unchanged" if target.exists()
                else "No store was written")
        full = _folders.full_reason(exc)
        if full:
            msg = (f"Could not write in {folder}: {full} (the disk is full, or a quota or "
                   f"file-size limit was reached). {kept}; free space, then build again (or "
                   "build into a folder on another disk with --home).")
            raise StoreError(msg) from exc
        denied = _folders.denied_reason(exc, folder)
        if denied:
            msg = (f"Cannot write in {folder} ({denied}): placespend keeps its store and build "
                   f"lock there. {kept}; make the folder writable, or choose another folder "
                   "with --home.")
            raise StoreError(msg) from exc
        raise


@contextlib.contextmanager
def staged(target: Path, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a fresh file that replaces ``target`` only if the block succeeds; its
    memory capped as :func:`limit_memory` says."""
    make_folder(target.parent)
    check_target(target)
    temp = target.with_name(f"{target.name}{BUILDING}{os.getpid()}")
    with writing(target.parent, target):
        _remove_abandoned(target)
        _remove(temp)
        con = duckdb.connect(str(temp))
    try:
        with writing(target.parent, target):
            con.execute(NO_DOWNLOADS)
            limit_memory(con, memory_limit)
            yield con
            con.execute("checkpoint")
            con.close()
            _fsync(temp)
            # A WAL beside the old store could only come from a writer that crashed; replayed
            # onto the new file it would corrupt it.
            target.with_name(target.name + ".wal").unlink(missing_ok=True)
            os.replace(temp, target)
            _fsync(target.parent)
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed write may have invalidated it
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


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Create or replace table ``name`` from a DataFrame (the connection's only way in for data)."""
    con.register("_incoming", frame)
    try:
        con.execute(f'create or replace table "{name}" as select * from _incoming')
    finally:
        con.unregister("_incoming")


def read_build_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The build's metadata (version, time, demo flag, inputs, notes), from ``build_info``."""
    rows = con.execute("select name, value from build_info").fetchall()
    return {name: json.loads(value) for name, value in rows}



def connect(db_file: Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a built store; read-only unless asked, so readers never change it.

    Raises
    ------
    StoreError
        There is no store at ``db_file``, or it is not one placespend can read: a file that is
        not a DuckDB database, a truncated copy, a DuckDB database without placespend's tables,
        or a store of another version lacking some of them. The message says to rebuild.
    """
    why = _folders.not_a_folder(db_file.parent)
    if why:
        msg = (f"The home folder {db_file.parent} {why}, not a folder. Give the folder holding "
               f"the store with --home (or {paths.HOME_ENV}).")
        raise StoreError(msg)
    if db_file.is_dir():
        msg = (f"{db_file} is a folder, not a placespend store. Move it away, then build the "
               "store with `placespend build`.")
        raise StoreError(msg)
    if not db_file.exists():
        msg = f"No placespend database at {db_file}. Run `placespend build` first (or pass --home)."
        raise StoreError(msg)
    con = _open(db_file, read_only)
    try:
        con.execute(NO_DOWNLOADS)
        check_store(con, db_file)
    except BaseException:
        con.close()
        raise
    return con


def _open(db_file: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(db_file), read_only=read_only)
    except duckdb.Error as exc:
        if "Conflicting lock" in str(exc):
            msg = (f"Cannot open {db_file}: another program has it open for writing "
                   f"({_first_line(exc)}). Close that program, then try again.")
        else:
            msg = (f"Cannot open {db_file}: {_first_line(exc)}. It is damaged or not a "
                   f"placespend store. Rebuild it with `placespend build`{_HOME_HINT}.")
        raise StoreError(msg) from exc


# What every reader of a store queries; a store lacking any of them is not one this version of
# placespend can show.
TABLES = (
    "build_info", "payments", "spend_quarantine", "possible_duplicates", "ingest_summary",
    "contracts", "classified",
    "linked", "spend_lines", "spend_groups", "target_weights", "allocation", "place_spend",
    "excluded_spend", "reconciliation", "services", "service_keys", "rules", "capital_rules",
    "links", "outcomes", "capital_programme", "atoms", "atom_keys", "key_errors", "estates",
    "wards", "estate_spend",
)
# DuckDB's file: three 4 KiB headers, then ``total_blocks`` blocks of ``block_size`` bytes.
_HEADER_BYTES = 3 * 4096
_HOME_HINT = " (it replaces the file; pass --home for another folder)"


def check_store(con: duckdb.DuckDBPyConnection, db_file: Path) -> None:
    """Refuse a store that is truncated, foreign or from another version of placespend.

    A truncated copy opens (DuckDB reads its header and catalogue first) and fails only when
    a query reaches a missing block, so its length is checked against the blocks its header
    declares.

    Raises
    ------
    StoreError
        Naming what is wrong and saying to rebuild with ``placespend build``.
    """
    try:
        block_size, blocks = _sql.fetch_one(
            con, "select block_size, total_blocks from pragma_database_size() "
            "where database_name = current_database()")
        tables = {name for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'main' union all select view_name from duckdb_views() "
            "where database_name = current_database() and schema_name = 'main'").fetchall()}
    except duckdb.Error as exc:
        msg = (f"Cannot read {db_file}: {_first_line(exc)}. It is damaged. Rebuild it with "
               f"`placespend build`{_HOME_HINT}.")
        raise StoreError(msg) from exc
    size, expected = db_file.stat().st_size, _HEADER_BYTES + block_size * blocks
    if size < expected:
        # ``con`` may hold another file than the one now at the path: one a build has since
        # replaced (DuckDB keeps one open instance per path in a process). Ask a fresh one.
        expected = _declared_bytes(db_file)
    if size < expected:
        msg = (f"{db_file} is truncated: it has {size:,} of the {expected:,} bytes its header "
               "declares (an interrupted copy or download, or a disk that filled up). Rebuild "
               f"it with `placespend build`{_HOME_HINT}, or copy it again in full.")
        raise StoreError(msg)
    missing = [t for t in TABLES if t not in tables]
    if len(missing) == len(TABLES):
        found = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        holds = f"its tables are {found}" if tables else "it has no tables"
        msg = (f"{db_file} is a DuckDB database but not a placespend store ({holds}). Rebuild "
               f"it with `placespend build`{_HOME_HINT}; move it away first if you need it.")
        raise StoreError(msg)
    if missing:
        version = _built_by(con) if "build_info" in tables else "an unknown version"
        listed = ", ".join(f"'{t}'" for t in missing[:8]) + (", …" if len(missing) > 8 else "")
        msg = (f"{db_file} was built by placespend {version} and lacks the table(s) {listed} "
               f"that placespend {__version__} reads. Rebuild it with `placespend build`"
               f"{_HOME_HINT}.")
        raise StoreError(msg)


def _declared_bytes(db_file: Path) -> int:
    """The length ``db_file``'s own header declares, read by a fresh DuckDB instance."""
    try:
        with duckdb.connect() as probe:
            probe.execute(NO_DOWNLOADS)
            probe.execute("attach ? as probe (read_only)", [str(db_file)])
            block_size, blocks = _sql.fetch_one(
                probe, "select block_size, total_blocks from pragma_database_size() "
                "where database_name = 'probe'")
    except duckdb.Error as exc:
        msg = (f"Cannot read {db_file}: {_first_line(exc)}. It is damaged. Rebuild it with "
               f"`placespend build`{_HOME_HINT}.")
        raise StoreError(msg) from exc
    return _HEADER_BYTES + block_size * blocks


def _built_by(con: duckdb.DuckDBPyConnection) -> str:
    try:
        row = con.execute(
            "select value from build_info where name = 'placespend_version'").fetchone()
    except duckdb.Error:
        return "an unknown version"
    return row[0].strip('"')[:40] if row else "an unknown version"


def _first_line(exc: BaseException) -> str:
    """An error's first line, at most 300 characters (DuckDB's can run to pages)."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300].rstrip(".!")
