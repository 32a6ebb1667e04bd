"""What the browser tests share: one headless Debian Chromium per test module (Playwright never
downloads a browser here; the tests skip when /usr/bin/chromium is missing)."""

from __future__ import annotations

import pytest
from _app_server import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, with the flags the brief asks for."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
