"""The dashboard as a user runs it, for the browser tests: ``streamlit run app.py`` on a free
localhost port, reading the store in ``home``, with Debian's Chromium (never a downloaded one).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from placespend import paths

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
NO_CHROMIUM = ("Debian's Chromium is not installed at /usr/bin/chromium (`.ci/run` installs it "
               "with apt-get; Playwright's own browser download is never used)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"streamlit exited early with status {proc.returncode}"
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    msg = f"streamlit did not answer on {url} within {timeout} s"
    raise RuntimeError(msg)


@contextlib.contextmanager
def running_app(home: Path, log_path: Path, timeout: float = 90
                ) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start the app on the store in ``home`` (its output to ``log_path``); yield its base URL
    and process once it answers its health check; stop it afterwards."""
    url = f"http://127.0.0.1:{_free_port()}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("streamlit")), "run",
             str(paths.REPO_DIR / "app.py"), "--server.port", url.rsplit(":", 1)[1],
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=paths.REPO_DIR,
            env={**os.environ, paths.HOME_ENV: str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(url, proc, timeout)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_idle(pg, settle_ms: int = 300) -> None:
    """Wait for Streamlit to finish the current run (its status widget gone), letting the page
    settle ``settle_ms`` before and after."""
    pg.wait_for_timeout(300)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30000)
    pg.wait_for_timeout(settle_ms)
