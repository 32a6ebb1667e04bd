"""Concurrent readers: the dashboard under 20 simultaneous browser sessions, and a rebuild
underneath them.

``streamlit run app.py`` serves a store built in a temporary home on a free localhost port;
Debian's Chromium, driven by Playwright's async API (one browser, one tab per session: each
tab is its own Streamlit session), opens 20 sessions at once. Each loads the map, its own
estate's page and the exports page, where it downloads the estate's CSV. Halfway through,
``placespend build`` rebuilds the store underneath them (build aside, atomic swap). Every page
must render with no Streamlit exception box, no error alert, no browser console error and no
request off localhost; each download must be the CSV ``placespend export`` writes. Latencies
(from navigation until the page has rendered and Streamlit is idle) are printed with their
p50/p95 and written to ``test-artifacts/load_test.json``.

While the app holds the store, another process can still open it read-only: DuckDB would
refuse if the app held it read-write.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from _app_server import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM, running_app

from placespend import paths, store, views

ARTIFACTS = paths.REPO_DIR / "test-artifacts"
SESSIONS = 20
PAGE_TIMEOUT_MS = 120_000
RUN_TIMEOUT_S = 420
YEAR = "2024-25"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)
async_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("load_home")  # rebuilt during the test


@pytest.fixture(scope="module")
def server(home):
    log_path = home / "streamlit.log"
    with running_app(home, log_path) as (url, proc):
        yield url, proc, log_path


# -- one session -----------------------------------------------------------------------------


IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


class Session:
    """One browser context: its timings and every problem it saw."""

    def __init__(self, number: int, estate: str) -> None:
        self.number = number
        self.estate = estate
        self.timings: list[tuple[str, float]] = []
        self.problems: list[str] = []
        self.outside: list[str] = []
        self.download: bytes | None = None

    def watch(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:",
                                                               "blob:"))
                else self.outside.append(r.url))

    async def load(self, page, name: str, url: str, ready) -> None:
        started = time.monotonic()
        await page.goto(url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
        await ready(page)
        await page.wait_for_timeout(200)
        await page.wait_for_function(IDLE, timeout=PAGE_TIMEOUT_MS)
        self.timings.append((name, time.monotonic() - started))
        await self.check(page, name)

    async def check(self, page, name: str) -> None:
        for test_id in ("stException", "stAlertContentError"):
            boxes = page.get_by_test_id(test_id)
            if await boxes.count():
                text = await boxes.first.inner_text()
                self.problems.append(f"{name}: {test_id}: {text[:300]}")


def _ready_map(page):
    async def ready(pg) -> None:
        await pg.get_by_text("Total £").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        await pg.locator("[data-testid='stDeckGlJsonChart'] canvas").first.wait_for(
            timeout=PAGE_TIMEOUT_MS)
    return ready


def _ready_heading(name: str):
    async def ready(pg) -> None:
        await pg.get_by_role("heading", name=name, level=2).first.wait_for(
            timeout=PAGE_TIMEOUT_MS)
    return ready


def _ready_button(label: str):
    async def ready(pg) -> None:
        await pg.get_by_role("button", name=label).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    return ready


async def _journey(context, base: str, session: Session, rebuilt: asyncio.Event) -> None:
    page = await context.new_page()
    try:
        session.watch(page)
        estate = urllib.parse.quote_plus(session.estate)
        await session.load(page, "map", f"{base}/?page=Map&year={YEAR}", _ready_map(page))
        await session.load(page, "estate", f"{base}/?page=Estate&estate={estate}&year={YEAR}",
                           _ready_heading(session.estate))
        if session.number % 2:  # half the sessions read on while the store is rebuilt
            await rebuilt.wait()
        await session.load(page, "exports",
                           f"{base}/?page=Exports&estate={estate}&year={YEAR}",
                           _ready_button("Spend by service (CSV)"))
        started = time.monotonic()
        async with page.expect_download(timeout=PAGE_TIMEOUT_MS) as info:
            await page.get_by_role("button", name="Spend by service (CSV)").first.click()
        download = await info.value
        session.download = Path(await download.path()).read_bytes()
        session.timings.append(("download", time.monotonic() - started))
        await session.check(page, "exports after download")
    except Exception as exc:  # a timeout or a closed page is a failed session, not a crash
        session.problems.append(f"{type(exc).__name__}: {str(exc)[:500]}")
    finally:
        await page.close()


async def _warm_up(context, base: str) -> None:
    """One map load before the sessions (not measured): a running app has its caches, and a
    browser its copy of the app's scripts."""
    page = await context.new_page()
    try:
        await page.goto(f"{base}/?page=Map&year={YEAR}", timeout=PAGE_TIMEOUT_MS)
        await _ready_map(page)(page)
        await page.wait_for_function(IDLE, timeout=PAGE_TIMEOUT_MS)
    finally:
        await page.close()


async def _rebuild(home: Path, sessions: list[Session], rebuilt: asyncio.Event) -> float:
    """Once half the sessions have loaded their map, rebuild the store underneath them."""
    while sum(1 for s in sessions if s.timings) < len(sessions) // 2:
        await asyncio.sleep(0.2)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "placespend", "build", "--home", str(home),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, cwd=paths.REPO_DIR)
    _, err = await proc.communicate()
    rebuilt.set()
    assert proc.returncode == 0, err.decode()[-2000:]
    return time.monotonic() - started


async def _run(base: str, home: Path, estates: list[str]) -> tuple[list[Session], float]:
    sessions = [Session(i, estates[i % len(estates)]) for i in range(SESSIONS)]
    rebuilt = asyncio.Event()
    async with async_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=[*CHROMIUM_ARGS, "--disable-dev-shm-usage"])
        try:
            # One browser window, one tab per session: each tab is its own Streamlit session
            # (its own websocket and script runs); the tabs share the browser's cache.
            context = await browser.new_context(viewport={"width": 1100, "height": 800},
                                                accept_downloads=True)
            # Twenty tabs share two cores: a click waits as long as a page load may.
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            await _warm_up(context, base)
            rebuild = asyncio.create_task(_rebuild(home, sessions, rebuilt))
            await asyncio.wait_for(
                asyncio.gather(*(_journey(context, base, s, rebuilt) for s in sessions)),
                timeout=RUN_TIMEOUT_S)
            rebuild_s = await rebuild
        finally:
            await browser.close()
    return sessions, rebuild_s


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux), to tell the server's cost from the
    browser's on a small machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(sessions: list[Session], wall_s: float, rebuild_s: float,
             server_cpu_s: float | None) -> dict:
    by_kind: dict[str, list[float]] = {}
    for s in sessions:
        for kind, seconds in s.timings:
            by_kind.setdefault(kind, []).append(seconds)
    every = [t for kind, ts in by_kind.items() if kind != "download" for t in ts]

    def stats(values: list[float]) -> dict:
        return {"n": len(values), "p50_s": round(statistics.median(values), 3),
                "p95_s": round(_percentile(values, 0.95), 3), "max_s": round(max(values), 3)}

    return {
        "sessions": len(sessions),
        "cpus": os.cpu_count(),
        "wall_s": round(wall_s, 1),
        "rebuild_during_run_s": round(rebuild_s, 1),
        "server_cpu_s": None if server_cpu_s is None else round(server_cpu_s, 1),
        "page_loads": stats(every),
        "by_page": {kind: stats(values) for kind, values in sorted(by_kind.items())},
        "errors": sum(len(s.problems) for s in sessions),
    }


def test_twenty_concurrent_sessions_read_through_a_rebuild_without_errors(server, home):
    base, proc, log_path = server
    with store.connect(paths.db_path(home)) as con:
        ids = dict(con.execute(  # names that are unique, so the URL names one estate
            "select name, any_value(estate_id) from estates group by name "
            "having count(*) = 1 order by name").fetchall())
        estates = list(ids)[:SESSIONS]
        expected = {name: views.export_csv(con, ids[name], YEAR) for name in estates}
        n_estates = con.execute("select count(*) from estates").fetchone()[0]
    # While the app holds the store, another reader can open it: the app's lock is shared.
    assert urllib.request.urlopen(f"{base}/_stcore/health", timeout=5).status == 200
    started, cpu_before = time.monotonic(), _cpu_seconds(proc.pid)
    sessions, rebuild_s = asyncio.run(_run(base, home, estates))
    cpu_after = _cpu_seconds(proc.pid)
    server_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    summary = _summary(sessions, time.monotonic() - started, rebuild_s, server_cpu)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load_test.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("\nload test:", json.dumps(summary, indent=2))

    problems = [f"session {s.number} ({s.estate}): {p}" for s in sessions for p in s.problems]
    assert not problems, "\n".join(problems[:20])
    assert not [u for s in sessions for u in s.outside], "requests left localhost"
    assert all(len(s.timings) == 4 for s in sessions)
    for s in sessions:  # the download is exactly what the library (and the CLI) writes
        assert s.download == expected[s.estate], s.estate
    assert proc.poll() is None, "the server is still up"
    with store.connect(paths.db_path(home)) as con:  # read-only, beside the app
        assert con.execute("select count(*) from estates").fetchone()[0] == n_estates
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-3000:]
