"""Crash safety: a build killed at any point, or a second build started alongside, never harms
the store readers use.

Each test drives the real command line in a subprocess (``python -m placespend build``) and
kills it with SIGKILL (no clean-up code runs) at several points: while it holds the lock but
has not started writing, as soon as its half-built file appears, and after seeded random delays
while it writes. The store must then be either byte-for-byte the previous one or, when the kill
landed after the atomic swap, the complete new one; either way it reconciles to the same
figures. A half-built file is never opened as the store, and the next build clears it away.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from placespend import paths, store
from placespend.cli import app
from placespend.errors import StoreError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and flock are POSIX")

BUILD_TIMEOUT_S = 180
BUILDING = f"{paths.DB_FILENAME}.building-"


def _env() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop(paths.HOME_ENV, None)
    return env


def _start_build(home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "placespend", "build", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=paths.REPO_DIR,
    )


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "placespend", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=paths.REPO_DIR,
        timeout=BUILD_TIMEOUT_S,
    )


def _figures(home: Path) -> dict:
    """``placespend reconcile --json`` (in-process: it only reads the store)."""
    result = CliRunner().invoke(app, ["reconcile", "--json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the build ended (status {proc.returncode}) before {what}: {err[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


def _holds_lock(home: Path, proc: subprocess.Popen):
    lock = home / ".build.lock"
    return lambda: lock.exists() and lock.read_text().strip() == str(proc.pid)


def _building_file(home: Path, proc: subprocess.Popen):
    temp = home / f"{BUILDING}{proc.pid}"
    return lambda: temp.exists()


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A home with a finished default build, its figures, and how long the build spent writing
    its new file (from the half-built file appearing to the end)."""
    home = tmp_path_factory.mktemp("crash_home")
    proc = _start_build(home)
    _wait_for(_building_file(home, proc), proc, "the half-built file")
    started = time.monotonic()
    _, err = proc.communicate(timeout=BUILD_TIMEOUT_S)
    assert proc.returncode == 0, err
    return home, _figures(home), time.monotonic() - started


def _kill_points(writing_s: float) -> list[tuple[str, float]]:
    """Where to kill: (marker to wait for, then a seeded random delay within the writing)."""
    rng = random.Random(6)
    return [
        ("lock", 0.0),
        ("building", 0.0),
        ("building", round(rng.uniform(0.1, 0.5) * writing_s, 2)),
        ("building", round(rng.uniform(0.5, 0.9) * writing_s, 2)),
    ]


def test_a_build_killed_at_any_point_leaves_the_previous_store_intact(built):
    home, figures, writing_s = built
    db = paths.db_path(home)
    digest = _digest(db)
    kills_while_writing, log = 0, []
    for trigger, delay in _kill_points(writing_s):
        proc = _start_build(home)
        wait = _holds_lock(home, proc) if trigger == "lock" else _building_file(home, proc)
        _wait_for(wait, proc, f"the {trigger} marker")
        time.sleep(delay)
        writing = (home / f"{BUILDING}{proc.pid}").exists()
        _kill(proc)
        where = f"killed at {trigger} + {delay} s"
        log.append((where, writing, proc.returncode))
        assert db.exists(), where
        assert _figures(home) == figures, where
        now = _digest(db)
        if now != digest:
            # The kill landed after the swap (or the build finished first, on a loaded
            # machine): the store is then the complete new one, and nothing was left half-done.
            assert not (home / f"{BUILDING}{proc.pid}").exists(), where
            digest = now
            continue
        kills_while_writing += writing and proc.returncode == -signal.SIGKILL
    assert kills_while_writing >= 2, f"too few kills landed while the store was written: {log}"


def test_the_next_build_clears_what_killed_builds_left_and_gives_the_same_figures(built):
    home, figures, _ = built
    proc = _start_build(home)
    _wait_for(_building_file(home, proc), proc, "the half-built file")
    _kill(proc)
    left = sorted(p.name for p in home.glob(f"{BUILDING}*"))
    assert left, "a killed build leaves its half-built file (no clean-up code runs)"
    result = _cli("build", home=home)
    assert result.returncode == 0, result.stderr
    assert not list(home.glob(f"{BUILDING}*")), "the next build removes abandoned files"
    assert _figures(home) == figures  # the demo spend is seeded: same inputs, same figures


def test_a_first_build_killed_half_way_leaves_no_store_to_mistake(tmp_path):
    proc = _start_build(tmp_path)
    _wait_for(_building_file(tmp_path, proc), proc, "the half-built file")
    time.sleep(0.3)
    _kill(proc)
    assert not paths.db_path(tmp_path).exists()
    result = _cli("reconcile", "--json", home=tmp_path)
    assert result.returncode == 2
    assert "No placespend database" in result.stderr and "placespend build" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_build_refuses_while_the_first_runs_and_readers_carry_on(built):
    home, figures, _ = built
    first = _start_build(home)
    try:
        _wait_for(_holds_lock(home, first), first, "the first build to take the lock")
        second = _cli("build", home=home)
        during = _figures(home)  # a reader while the first build writes
    finally:
        _, err = first.communicate(timeout=BUILD_TIMEOUT_S)
    assert second.returncode == 2
    assert "Another placespend build is running" in second.stderr
    assert f"process {first.pid}" in second.stderr and "--home" in second.stderr
    assert "Traceback" not in second.stderr
    assert during == figures
    assert first.returncode == 0, err
    assert (home / ".build.lock").read_text().strip() == str(first.pid)
    assert _figures(home) == figures


def test_a_build_works_within_the_memory_limit_it_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv(store.MEMORY_ENV, "300MB")
    with store.staged(tmp_path / "placespend.duckdb") as con:
        (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
    assert limit.startswith(("286", "300")), limit  # DuckDB shows 300MB as 286.1 MiB
    monkeypatch.delenv(store.MEMORY_ENV)
    with store.staged(tmp_path / "placespend.duckdb") as con:
        (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
    assert limit.startswith(("953", "1000")), limit  # the 1 GB default


def test_a_memory_limit_that_is_not_a_size_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(store.MEMORY_ENV, "1GB'; drop table x; --")
    target = tmp_path / "placespend.duckdb"
    with pytest.raises(StoreError, match=f"--memory-limit or {store.MEMORY_ENV}.*not a memory"):
        with store.staged(target):
            pass
    assert not list(tmp_path.iterdir())


def test_a_memory_limit_given_to_the_build_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(store.MEMORY_ENV, "2GB")
    with store.staged(tmp_path / "placespend.duckdb", "300MB") as con:
        (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
    assert limit.startswith(("286", "300")), limit


def test_the_cli_refuses_a_memory_limit_that_is_not_a_size_before_building(tmp_path):
    result = _cli("build", "--memory-limit", "lots", home=tmp_path)
    assert result.returncode == 2
    assert "Memory limit 'lots'" in result.stderr and "--memory-limit" in result.stderr
    assert "Traceback" not in result.stderr
    assert not paths.db_path(tmp_path).exists()
