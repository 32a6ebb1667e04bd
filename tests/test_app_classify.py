"""The app's Classify page, run headless with AppTest on a copy of the default build."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from placespend import catalogue, paths

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LABEL = "Share of spend (£) the rules classify"


@pytest.fixture(scope="module")
def home(demo_home_copy):
    folder = demo_home_copy("app_classify_home")
    before = os.environ.get(paths.HOME_ENV)
    os.environ[paths.HOME_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(paths.HOME_ENV, None)
    else:
        os.environ[paths.HOME_ENV] = before


def _share(at: AppTest) -> float:
    return float(next(m.value for m in at.metric if m.label == LABEL).rstrip("%"))


def test_confirming_a_label_writes_the_users_catalogue_and_raises_coverage(home):
    shipped = hashlib.sha256(paths.CATALOGUE_PATH.read_bytes()).hexdigest()
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["page"] = "Classify"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("labels the catalogue was written for" in c.value for c in at.caption)
    before = _share(at)
    at.selectbox(key="classify_choice_0").set_value("corporate_it")
    at.button(key="classify_confirm_0").click()
    at.run()  # writes the rule and rebuilds; the page then asks for a rerun
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    mine = home / "my_catalogue.yaml"
    assert catalogue.load_catalogue(mine).rules[-1].service == "corporate_it"
    assert _share(at) > before
    assert hashlib.sha256(paths.CATALOGUE_PATH.read_bytes()).hexdigest() == shipped
