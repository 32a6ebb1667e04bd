"""Store and file-system faults, and financial years without spend.

A damaged, foreign or older store, a full disk during a build, a read-only home, a file where
a folder belongs (``--home``, ``--out``, ``--report``), a folder that cannot be created, a year
with no spend: each is a :class:`~placespend.errors.StoreError` or
:class:`~placespend.errors.OutputError` (a ``PlacespendError``) saying what happened and what
to do, exit status 2 from the command line, never a traceback; and the previous store is never
touched (same bytes, same modification time). Every case runs through the library and through
the real command line (``python -m placespend ...`` in a subprocess).

Faults are made for real where the machine allows it without root mounts: a file-size limit
(``ulimit -f``, RLIMIT_FSIZE) makes the kernel refuse the build's writes part-way, and a
read-only folder is enforced even for root by dropping the capability that overrides file
permissions. A full disk (ENOSPC) itself is injected where DuckDB or Python would see it.

The case ids are those of the "Store and file-system faults" and "Financial years" sections of
``docs/HOSTILE_INPUTS.md`` (a test checks they agree).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from placespend import build as build_mod
from placespend import demo, export, paths, reads, safe_text, store, views
from placespend.errors import OutputError, PlacespendError, StoreError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and limits")

CAMDEN_SAMPLE = Path(__file__).parent / "data" / "camden_sample.csv"
DOC = paths.REPO_DIR / "docs" / "HOSTILE_INPUTS.md"
READERS = {  # every command that opens a store, with what it needs besides --home
    "estates": [],
    "reconcile": [],
    "quarantine": [],
    "coverage": [],
    "export": ["--out", "{out}"],
}
REBUILD = "Rebuild it with `placespend build`"
FREE_SPACE = "free space, then build again"


# -- helpers --------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    env.pop(paths.HOME_ENV, None)
    return env


def run_cli(*args: str, preexec: Callable[[], None] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "placespend", *args], capture_output=True,
                          text=True, env=_env(), cwd=paths.REPO_DIR, timeout=timeout,
                          preexec_fn=preexec)


def assert_refused(result: subprocess.CompletedProcess, *texts: str) -> None:
    """Exit status 2, one short error naming every text, and no traceback anywhere."""
    err = result.stderr
    assert result.returncode == 2, (result.returncode, err[-3000:], result.stdout[-2000:])
    assert "Traceback" not in err and "Traceback" not in result.stdout, err[-3000:]
    assert err.count("error:") == 1, err
    flat = " ".join(err.split())  # the message is never re-wrapped, but be safe
    for text in texts:
        assert text in flat, f"{text!r} not in stderr:\n{err}"
    assert len(err) < 5000


def fingerprint(path: Path) -> tuple[str, int, int]:
    """(sha256, size, mtime in ns): what "untouched" means for a store or a file."""
    info = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), info.st_size, info.st_mtime_ns


def leftovers(home: Path) -> list[str]:
    return sorted(p.name for p in home.iterdir() if store.BUILDING in p.name)


def figures(home: Path) -> dict:
    result = run_cli("reconcile", "--json", "--home", str(home))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def file_size_limit(limit_bytes: int) -> Callable[[], None]:
    """A child's ``ulimit -f``: the kernel refuses writes past ``limit_bytes`` with EFBIG
    (Python ignores SIGXFSZ, so the write fails instead of killing the process)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def obey_permissions() -> None:
    """A child that obeys file permissions even when the tests run as root: the capabilities
    that override them are dropped from its bounding set before it starts."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) refused")


@pytest.fixture(scope="module")
def permissions_enforced(tmp_path_factory) -> None:
    """Skip unless a child started with :func:`obey_permissions` is refused a read-only
    folder (a container may forbid dropping capabilities)."""
    folder = tmp_path_factory.mktemp("probe") / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    probe = f"open({str(folder / 'x')!r}, 'w')"
    try:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                preexec_fn=obey_permissions)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot start a process without root's file-permission override: {exc}")
    finally:
        folder.chmod(0o755)
    if result.returncode == 0:
        pytest.skip("this machine lets the test process write into a read-only folder")


@contextlib.contextmanager
def read_only(folder: Path):
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


# -- damaged, foreign and older stores ------------------------------------------------------------


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _last_block_missing(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[:-100_000])


def _header_only(db: Path) -> None:
    db.write_bytes(db.read_bytes()[:8192])


def _not_a_database(db: Path) -> None:
    db.write_bytes(b"not a database\n" * 100)


def _foreign(db: Path) -> None:
    db.unlink()
    with duckdb.connect(str(db)) as con:
        con.execute("create table customers as select 1 as id, 'Ada' as name")


def _empty_duckdb(db: Path) -> None:
    db.unlink()
    duckdb.connect(str(db)).close()


def _older_version(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("drop table links")
        con.execute("drop table key_errors")
        con.execute("update build_info set value = '\"0.0.9\"' "
                    "where name = 'placespend_version'")


DAMAGED = {
    "truncated-store": (_truncated, ["is truncated: it has", "bytes its header declares",
                                     REBUILD, "copy it again in full"]),
    "store-missing-its-last-block": (_last_block_missing, ["is truncated", REBUILD]),
    "store-cut-inside-its-header": (_header_only, ["Cannot open", "It is damaged or not a "
                                                   "placespend store", REBUILD]),
    "not-a-database": (_not_a_database, ["Cannot open", "not a valid DuckDB database file",
                                         REBUILD]),
    "foreign-duckdb-database": (_foreign, ["is a DuckDB database but not a placespend store",
                                           "its tables are customers", REBUILD,
                                           "move it away first if you need it"]),
    "empty-duckdb-database": (_empty_duckdb, ["not a placespend store (it has no tables)",
                                              REBUILD]),
    "store-of-another-version": (_older_version, [
        "was built by placespend 0.0.9 and lacks the table(s) 'links', 'key_errors'", REBUILD]),
}


@pytest.fixture(scope="module")
def damaged(demo_home, tmp_path_factory) -> dict[str, tuple[Path, tuple]]:
    """One home per damaged store: (home, fingerprint of its store after the damage)."""
    homes = {}
    for case_id, (damage, _) in DAMAGED.items():
        home = tmp_path_factory.mktemp(case_id)
        db = paths.db_path(home)
        shutil.copyfile(paths.db_path(demo_home), db)
        damage(db)
        homes[case_id] = (home, fingerprint(db))
    return homes


@pytest.mark.parametrize("case_id", DAMAGED)
def test_a_damaged_or_foreign_store_is_refused_by_the_library(damaged, case_id):
    home, before = damaged[case_id]
    db = paths.db_path(home)
    for opener in (store.connect, views.open_store):
        with pytest.raises(StoreError) as info:
            opener(db)
        for text in DAMAGED[case_id][1]:
            assert text in str(info.value), (text, str(info.value))
        assert str(db) in str(info.value)
    assert fingerprint(db) == before


@pytest.fixture(scope="module")
def damaged_cli(damaged, tmp_path_factory):
    """Every command that opens a store, on every damaged store, a few at a time."""
    out = tmp_path_factory.mktemp("damaged_out")

    def one(item):
        case_id, command = item
        home, _ = damaged[case_id]
        extra = [a.format(out=out / f"{case_id}-{command}") for a in READERS[command]]
        return item, run_cli(command, *extra, "--home", str(home))

    items = [(c, cmd) for c in DAMAGED for cmd in READERS]
    with ThreadPoolExecutor(max_workers=3) as pool:
        return out, dict(pool.map(one, items))


@pytest.mark.parametrize("case_id", DAMAGED)
@pytest.mark.parametrize("command", READERS)
def test_a_damaged_or_foreign_store_is_refused_by_every_command(damaged, damaged_cli, case_id,
                                                                 command):
    out, results = damaged_cli
    assert_refused(results[(case_id, command)], *DAMAGED[case_id][1])
    home, before = damaged[case_id]
    assert fingerprint(paths.db_path(home)) == before
    assert not (out / f"{case_id}-{command}").exists(), "an export wrote nothing"


def test_a_store_rebuilt_while_the_old_one_is_open_is_not_taken_for_a_truncated_one(
        demo_home, tmp_path):
    """DuckDB keeps one open instance per path in a process, so a reader (the app) that opens
    the store again after a rebuild gets the old file, whose header declares more blocks than
    the smaller new file at the path holds. That is not a truncated store."""
    home = tmp_path / "home"
    build_mod.build(home, build_mod.BuildInputs(spend=(CAMDEN_SAMPLE,)))
    small = paths.db_path(home)
    target = tmp_path / "store.duckdb"
    shutil.copyfile(paths.db_path(demo_home), target)
    with store.connect(target) as old:
        replacement = tmp_path / "new.duckdb"
        shutil.copyfile(small, replacement)
        os.replace(replacement, target)
        assert target.stat().st_size < 12288 + 262144 * old.execute(
            "select total_blocks from pragma_database_size()").fetchone()[0]
        with store.connect(target) as again:
            assert again.execute("select count(*) from build_info").fetchone()[0] > 0
    with store.connect(target) as fresh:  # once the old one is closed: the new store
        assert fresh.execute("select count(*) from payments").fetchone()[0] < 100


@pytest.mark.parametrize("case_id", ["truncated-store", "foreign-duckdb-database"])
def test_the_app_reports_a_damaged_store_as_a_message(damaged, case_id, monkeypatch):
    from streamlit.testing.v1 import AppTest

    home, before = damaged[case_id]
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    at = AppTest.from_file(str(paths.REPO_DIR / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # what the reader sees: the message without the Markdown escapes that keep it text
    escaped = " ".join(e.value for e in at.error)
    shown = re.sub(r"\\(.)", r"\1", escaped).replace(safe_text.WORD_JOINER, "")
    assert DAMAGED[case_id][1][0] in shown and REBUILD in shown, shown
    assert fingerprint(paths.db_path(home)) == before


# -- a file or a folder where the other belongs ---------------------------------------------------


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a folder\n")
    return path


@pytest.mark.parametrize("command", [*READERS, "build"])
def test_a_file_given_as_home_is_refused_by_every_command(a_file, tmp_path, command):
    before = fingerprint(a_file)
    extra = [a.format(out=tmp_path / "out") for a in READERS.get(command, [])]
    for home, why in ((a_file, f"{a_file} is a file, not a folder"),
                      (a_file / "sub", f"lies inside {a_file}, which is a file")):
        result = run_cli(command, *extra, "--home", str(home))
        assert_refused(result, why, "--home")
    assert fingerprint(a_file) == before
    assert not (tmp_path / "out").exists()


def test_a_file_given_as_home_is_refused_by_the_library(a_file):
    before = fingerprint(a_file)
    with pytest.raises(StoreError, match="is a file, not a folder"):
        store.connect(paths.db_path(a_file))
    with pytest.raises(StoreError, match="is a file, not a folder; choose another folder"):
        build_mod.build(a_file)
    with pytest.raises(StoreError, match="which is a file"):
        views.open_store(paths.db_path(a_file / "sub"))
    assert fingerprint(a_file) == before


def test_a_folder_where_the_store_file_belongs_is_refused(tmp_path):
    paths.db_path(tmp_path).mkdir()
    with pytest.raises(StoreError, match="is a folder, not a placespend store"):
        store.connect(paths.db_path(tmp_path))
    for command in ("reconcile", "build"):
        assert_refused(run_cli(command, "--home", str(tmp_path)),
                       "is a folder, not a placespend store", "Move it away")
    assert paths.db_path(tmp_path).is_dir() and not leftovers(tmp_path)


def test_a_home_that_cannot_be_created_is_refused(tmp_path, permissions_enforced):
    parent = tmp_path / "locked"
    parent.mkdir()
    with read_only(parent):
        result = run_cli("build", "--home", str(parent / "home"), preexec=obey_permissions)
    assert_refused(result, f"Cannot create the folder {parent / 'home'} (Permission denied)",
                   "choose another folder with --home")
    assert not (parent / "home").exists()


# -- a full disk during a build -------------------------------------------------------------------


@pytest.fixture
def built_home(demo_home_copy) -> tuple[Path, tuple]:
    home = demo_home_copy("faults")
    return home, fingerprint(paths.db_path(home))


class _Checkpoint:
    """A DuckDB connection whose checkpoint fails as a full disk makes it fail."""

    def __init__(self, con: duckdb.DuckDBPyConnection, error: Exception) -> None:
        self._con, self._error = con, error

    def execute(self, sql: str, *args):
        if sql.strip().lower() == "checkpoint":
            raise self._error
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def _no_space_at_checkpoint(monkeypatch, home: Path) -> None:
    real = duckdb.connect
    error = duckdb.IOException(f'IO Error: Could not write file "{home}/placespend.duckdb.'
                               'building-1": No space left on device')

    def connect(*args, **kwargs):
        con = real(*args, **kwargs)
        building = args and store.BUILDING in str(args[0])
        return _Checkpoint(con, error) if building else con

    monkeypatch.setattr(store.duckdb, "connect", connect)


def _no_space_at_commit(monkeypatch, home: Path) -> None:
    def apportion(con, **_):
        msg = ('TransactionContext Error: Failed to commit: Could not write file "'
               f'{home}/placespend.duckdb.building-1": No space left on device')
        raise duckdb.TransactionException(msg)

    monkeypatch.setattr(build_mod, "apportion", apportion)


def _no_space_for_the_demo_spend(monkeypatch, home: Path) -> None:
    def write_demo(folder, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "spend.csv"))

    monkeypatch.setattr(demo, "write_demo", write_demo)
    # the files the last build wrote are kept only while their stamp matches: without it (as
    # after a change to the catalogue) the demo spend must be written again
    (paths.demo_dir(home) / demo.STAMP_FILENAME).unlink()


DISK_FULL = {
    "disk-full-at-the-checkpoint": _no_space_at_checkpoint,
    "disk-full-at-commit": _no_space_at_commit,
    "disk-full-writing-the-demo-spend": _no_space_for_the_demo_spend,
}


@pytest.mark.parametrize("case_id", DISK_FULL)
def test_a_full_disk_during_a_build_keeps_the_previous_store(built_home, monkeypatch, case_id):
    home, before = built_home
    DISK_FULL[case_id](monkeypatch, home)
    with pytest.raises(StoreError) as info:
        build_mod.build(home)
    message = str(info.value)
    for text in ("No space left on device", "the disk is full", FREE_SPACE,
                 f"The previous store {paths.db_path(home)} is kept unchanged"):
        assert text in message, (text, message)
    assert "TransactionContext" not in message and "IO Error" not in message
    assert fingerprint(paths.db_path(home)) == before
    assert not leftovers(home), "the half-built file is removed, freeing its space"


def test_a_file_size_limit_hit_by_a_real_build_keeps_the_previous_store(built_home):
    """The kernel refuses the build's writes past 1 MB (EFBIG, as a full disk refuses them with
    ENOSPC): DuckDB fails inside its checkpoint with a FatalException."""
    home, before = built_home
    result = run_cli("build", "--spend", str(CAMDEN_SAMPLE), "--home", str(home),
                     preexec=file_size_limit(1_000_000))
    assert_refused(result, f"Could not write in {home}: File too large", FREE_SPACE,
                   f"The previous store {paths.db_path(home)} is kept unchanged")
    assert "FatalException" not in result.stderr
    assert fingerprint(paths.db_path(home)) == before
    assert not leftovers(home)
    assert figures(home)["ok"] is True


# -- a read-only home -----------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", ["read-only-home", "read-only-home-with-a-writable-lock"])
def test_a_read_only_home_refuses_a_build_and_still_serves_readers(built_home, case_id,
                                                                    permissions_enforced):
    home, before = built_home
    if case_id.endswith("lock"):  # the lock opens; the new store file is what fails
        (home / ".build.lock").touch()
        (home / ".build.lock").chmod(0o666)
    library = ("from placespend.build import build\n"
               "from placespend.errors import StoreError\n"
               f"try:\n    build({str(home)!r})\n"
               "except StoreError as exc:\n    print('StoreError:', exc)\n")
    with read_only(home):
        cli = run_cli("build", "--spend", str(CAMDEN_SAMPLE), "--home", str(home),
                      preexec=obey_permissions)
        lib = subprocess.run([sys.executable, "-c", library], capture_output=True, text=True,
                             env=_env(), cwd=paths.REPO_DIR, preexec_fn=obey_permissions)
        read = run_cli("reconcile", "--json", "--home", str(home), preexec=obey_permissions)
    texts = (f"Cannot write in {home} (Permission denied)",
             f"The previous store {paths.db_path(home)} is kept unchanged",
             "make the folder writable, or choose another folder with --home")
    assert_refused(cli, *texts)
    assert lib.returncode == 0 and "Traceback" not in lib.stderr, lib.stderr[-3000:]
    assert lib.stdout.startswith("StoreError:") and all(t in lib.stdout for t in texts)
    assert read.returncode == 0 and json.loads(read.stdout)["ok"] is True, read.stderr
    assert fingerprint(paths.db_path(home)) == before
    assert not leftovers(home)


# -- export folders -------------------------------------------------------------------------------


def test_a_file_given_as_export_out_is_refused(demo_home, a_file):
    before = fingerprint(a_file)
    for out, why in ((a_file, f"{a_file} is a file, not a folder"),
                     (a_file / "sub", f"lies inside {a_file}, which is a file")):
        with pytest.raises(OutputError, match="choose another folder with --out"):
            export.check_output_folder(out)
        with pytest.raises(OutputError, match="which is a file|is a file"):
            export.write_file(b"x", out / "estates.csv")
        result = run_cli("export", "--out", str(out), "--home", str(demo_home))
        assert_refused(result, why, "choose another folder with --out")
    assert fingerprint(a_file) == before


def test_an_export_folder_that_cannot_be_created_is_refused(demo_home, tmp_path,
                                                            permissions_enforced):
    parent = tmp_path / "locked"
    parent.mkdir()
    with read_only(parent):
        result = run_cli("export", "--out", str(parent / "out"), "--home", str(demo_home),
                         preexec=obey_permissions)
        readonly = run_cli("export", "--out", str(parent), "--home", str(demo_home),
                           preexec=obey_permissions)
    assert_refused(result, f"Cannot create the folder {parent / 'out'} (Permission denied)",
                   "choose another folder with --out")
    assert_refused(readonly, f"Cannot write in {parent} (Permission denied)",
                   "make the folder writable, or choose another folder with --out")
    assert not list(parent.iterdir())


def test_a_full_disk_during_an_export_leaves_no_half_file(demo_home, tmp_path, monkeypatch):
    out = tmp_path / "out"
    result = run_cli("export", "--out", str(out), "--home", str(demo_home),
                     preexec=file_size_limit(64_000))
    assert_refused(result, f"Could not write in {out}: File too large", "Free space",
                   "choose a folder on another disk with --out")
    assert not list(out.iterdir()), "no partial file is left behind"

    class Full:
        """A file on a full disk: every write fails with ENOSPC."""

        def __init__(self, fd: int, *_):
            self.fd = fd

        def __enter__(self):
            return self

        def __exit__(self, *_):
            os.close(self.fd)
            return False

        def write(self, _data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export.os, "fdopen", Full)
    with pytest.raises(OutputError, match="No space left on device.*Free space"):
        export.write_file(b"x" * 10, out / "estates.csv")
    assert not list(out.iterdir())


def test_a_report_path_inside_a_file_is_refused_before_the_work(a_file):
    for option in ("--report", "--key-errors"):
        result = run_cli("accuracy", option, str(a_file / "report.md"), timeout=60)
        assert_refused(result, f"{a_file} is a file, not a folder", option)
    with pytest.raises(OutputError, match="is a folder, not a file"):
        export.check_output_file(a_file.parent, "--report")


# -- financial years ------------------------------------------------------------------------------

YEARS = "Years with spend: 2024-25, 2023-24"  # the demo store's


@pytest.mark.parametrize("command", ["estates", "export"])
def test_a_year_without_spend_is_refused_with_the_years_there_are(demo_home, tmp_path, command):
    out = ["--out", str(tmp_path / "out")] if command == "export" else []
    result = run_cli(command, "--year", "2099-00", *out, "--home", str(demo_home))
    assert_refused(result, "The store has no spend in financial year 2099-00", YEARS)
    assert not (tmp_path / "out").exists(), "no files of zeros"
    with store.connect(paths.db_path(demo_home)) as con, pytest.raises(
            PlacespendError, match="no spend in financial year 2099-00"):
        reads.check_year(con, "2099-00")


@pytest.mark.parametrize("year", ["2024", "24-25", "2024/25", "2024-26", "last year"])
def test_a_year_not_written_as_a_financial_year_is_refused(demo_home, tmp_path, year):
    with store.connect(paths.db_path(demo_home)) as con, pytest.raises(
            PlacespendError, match="is not a UK financial year: write it as 2024-25"):
        reads.check_year(con, year)
    if year in ("2024", "2024/25"):  # the command line, twice is enough
        for command in ("estates", "export"):
            out = ["--out", str(tmp_path / "out")] if command == "export" else []
            result = run_cli(command, "--year", year, *out, "--home", str(demo_home))
            assert_refused(result, f"--year '{year}' is not a UK financial year",
                           "write it as 2024-25", "Years with spend in this store: 2024-25")


def _payments(rows: list[tuple[str, str, int]]) -> duckdb.DuckDBPyConnection:
    """An in-memory store holding only payments: (financial_year, date, pence)."""
    con = duckdb.connect()
    con.execute("create table payments (financial_year varchar, payment_date date, "
                "amount_pence bigint)")
    if rows:
        con.executemany("insert into payments values (?, ?, ?)", rows)
    return con


def _months(year: int, n: int) -> list[tuple[str, str, int]]:
    """One £100 payment on the 15th of each of the first ``n`` months of financial year
    ``year`` (April ``year`` onwards)."""
    fy = f"{year}-{(year + 1) % 100:02d}"
    dates = [pd.Timestamp(year, 4, 15) + pd.DateOffset(months=k) for k in range(n)]
    return [(fy, str(d.date()), 10_000) for d in dates]


def test_the_default_year_is_the_latest_full_year_of_data():
    # Two full years: the latest.
    assert reads.default_year(_payments(_months(2023, 12) + _months(2024, 12))).year == "2024-25"
    # A year of payments in 2 months, after a full one, is passed over and named.
    choice = reads.default_year(_payments(_months(2023, 12) + _months(2024, 2)))
    assert choice.year == "2023-24"
    assert "2024-25 has payments in 2 months (2 lines, £200.00)" in choice.reason
    assert "at least 6 months" in choice.reason and "Pass --year" in choice.reason
    # One stray payment years ahead, beside a year of 3 months: the 3 months win.
    choice = reads.default_year(_payments(_months(2024, 3) + [("2099-00", "2100-01-01", 1)]))
    assert choice.year == "2024-25" and "2099-00 has payments in 1 month (1 line" in choice.reason
    # Nothing but sparse years: the latest of those with the most months.
    assert reads.default_year(_payments(_months(2022, 1) + _months(2023, 1))).year == "2023-24"
    assert reads.default_year(_payments([])).year is None


def test_estates_defaults_to_the_latest_full_year_and_says_so(tmp_path):
    """A year of monthly payments in 2023-24 and one payment in 2024-25: ``estates`` shows
    2023-24 and says why, through the library and the command line."""
    lines = [",".join(["London Borough of Camden", "u", date, "m", "y", "f", "ACME CLEANING LTD",
                       "Estate cleaning", "Housing", "100.00", "0", "f", "y", "m", f"id-{i}"])
             for i, date in enumerate([*(f"15/{m:02d}/2023" for m in range(4, 13)),
                                       *(f"15/{m:02d}/2024" for m in range(1, 4)),
                                       "01/06/2024"])]
    header = CAMDEN_SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    spend = tmp_path / "spend.csv"
    spend.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    built = run_cli("build", "--spend", str(spend), "--home", str(home))
    assert built.returncode == 0, built.stderr[-3000:]
    with store.connect(paths.db_path(home)) as con:
        choice = reads.default_year(con)
        assert views.default_year(con) == choice  # what the app shows first
    assert choice.year == "2023-24"
    result = run_cli("estates", "--home", str(home))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    text = " ".join(result.stdout.split())
    assert "Financial year 2023-24, the latest with a full year of data" in text
    assert "2024-25 has payments in 1 month (1 line, £100.00)" in text
    assert "Spend by estate, financial year 2023-24" in text


# -- the documentation lists every case -----------------------------------------------------------

CASE_IDS = [
    *DAMAGED, "home-is-a-file", "home-inside-a-file", "store-path-is-a-folder",
    "home-that-cannot-be-created", *DISK_FULL, "file-size-limit-during-a-build",
    "read-only-home", "read-only-home-with-a-writable-lock", "export-out-is-a-file",
    "export-out-inside-a-file", "export-out-that-cannot-be-created", "export-out-read-only",
    "disk-full-during-an-export", "accuracy-report-inside-a-file",
]
YEAR_CASE_IDS = ["a-year-without-spend", "a-year-not-written-as-a-financial-year",
                 "a-sparse-latest-year"]


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_the_doc_lists_every_store_fault_and_year_case():
    faults, years = _section("Store and file-system faults"), _section("Financial years")
    missing = [c for c in CASE_IDS if f"`{c}`" not in faults]
    missing += [c for c in YEAR_CASE_IDS if f"`{c}`" not in years]
    assert not missing, f"docs/HOSTILE_INPUTS.md lacks {missing}"
