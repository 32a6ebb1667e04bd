"""Shared, hand-checkable fixtures.

The "two-ward borough" used by the allocation tests (numbers chosen so results can be worked
out on paper):

    atom  ward  estate  households  area_m2  trees
    1     W1    E1      30          100      0
    2     W1    -       10          300      0
    3     W2    E2      20          100      4
    4     W2    -       40          100      4

Ward W2 is only partly covered by estate E2: a W2-wide contract may send only E2's share to
estates, the rest is the "in ward, not on an estate" residual.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import settings

from placespend.build import build
from placespend.store import write_table

# Property tests check behaviour, not speed: a busy CI machine must not fail them on time.
settings.register_profile("placespend", deadline=None, print_blob=True)
settings.load_profile("placespend")

BOROUGH = "B1"


def _atoms() -> tuple[pd.DataFrame, pd.DataFrame]:
    atoms = pd.DataFrame(
        {
            "atom_id": [1, 2, 3, 4],
            "area_code": ["OA1", "OA1", "OA2", "OA2"],
            "ward_code": ["W1", "W1", "W2", "W2"],
            "estate_id": ["E1", None, "E2", None],
        }
    )
    wide = pd.DataFrame(
        {
            "atom_id": [1, 2, 3, 4],
            "households": [30.0, 10.0, 20.0, 40.0],
            "area": [100.0, 300.0, 100.0, 100.0],
            "trees": [0.0, 0.0, 4.0, 4.0],
        }
    )
    keys = wide.melt(id_vars="atom_id", var_name="key", value_name="weight")
    return atoms, keys


def catalogue_frames() -> dict[str, pd.DataFrame]:
    services = pd.DataFrame(
        {
            "service_id": ["caretaking", "trees", "levies"],
            "name": ["Caretaking", "Tree maintenance", "Levies"],
            "directorate": ["Housing", "Environment", "Finance"],
            "outcomes": ["empowered", "net_zero", ""],
            "primary_outcome": ["empowered", "net_zero", ""],
            "default_scope": ["borough", "borough", "borough"],
            "key": ["households", "trees", "area"],
            "delegable": [True, False, False],
            "place_based": [True, True, False],
            "capital": [False, False, False],
        }
    )
    service_keys = pd.DataFrame(
        {
            "service_id": ["caretaking", "caretaking", "trees", "trees", "levies"],
            "key": ["households", "area", "trees", "area", "area"],
            "is_main": [True, False, True, False, True],
        }
    )
    rules = pd.DataFrame(
        {
            "rule_no": [1, 2, 3],
            "service_id": ["caretaking", "trees", "levies"],
            "org_unit_pattern": [None, None, None],
            "purpose_pattern": ["caretak", "tree", "^levies paid$"],
            "payee_pattern": [None, None, None],
        }
    )
    capital_rules = pd.DataFrame(
        {
            "rule_no": pd.array([], dtype="int64"),
            "org_unit_pattern": pd.array([], dtype="object"),
            "purpose_pattern": pd.array([], dtype="object"),
            "capital_or_revenue": pd.array([], dtype="object"),
        }
    )
    return {"services": services, "service_keys": service_keys, "rules": rules,
            "capital_rules": capital_rules}


def payment_rows(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """Payments from (payee, purpose, amount_pence) triples, all dated 1 June 2024."""
    return pd.DataFrame(
        {
            "row_id": range(1, len(rows) + 1),
            "source_file": "fixture.csv",
            "source_row": range(2, len(rows) + 2),
            "transaction_id": [f"t{i}" for i in range(len(rows))],
            "payment_date": dt.date(2024, 6, 1),
            "financial_year": "2024-25",
            "payee": [r[0] for r in rows],
            "payee_key": [r[0].upper() for r in rows],
            "payee_redacted": False,
            "purpose": [r[1] for r in rows],
            "org_unit": "Unit",
            "capital_or_revenue_text": pd.array([None] * len(rows), dtype="object"),
            "amount_pence": pd.array([r[2] for r in rows], dtype="int64"),
        }
    )


def contract_rows(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Contracts from (supplier, service_id, scope_type, scope_code) tuples."""
    return pd.DataFrame(
        {
            "contract_id": pd.array([f"C{i}" for i in range(len(rows))], dtype="string"),
            "title": "fixture",
            "supplier": pd.array([r[0] for r in rows], dtype="string"),
            "supplier_key": pd.array([r[0].upper() for r in rows], dtype="string"),
            "service_id": pd.array([r[1] for r in rows], dtype="string"),
            "purpose": pd.array([None] * len(rows), dtype="string"),
            "scope_type": pd.array([r[2] for r in rows], dtype="string"),
            "scope_code": pd.array([r[3] for r in rows], dtype="string"),
            "annual_value_pence": pd.array([0] * len(rows), dtype="int64"),
            "start_date": dt.date(2020, 4, 1),
            "end_date": dt.date(2030, 3, 31),
        }
    )


@pytest.fixture
def two_ward_con():
    """A DuckDB connection holding the two-ward borough's atoms and catalogue tables."""
    con = duckdb.connect()
    atoms, keys = _atoms()
    write_table(con, "atoms", atoms)
    write_table(con, "atom_keys", keys)
    for name, frame in catalogue_frames().items():
        write_table(con, name, frame)
    yield con
    con.close()


# -- the default build, made once per test run -------------------------------------------------


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    """The default build (shipped boundaries, synthetic demo spend), built once for the whole
    run. Only read it: a module that changes its store, uploads into it or rebuilds it takes
    its own copy with ``demo_home_copy``."""
    home = tmp_path_factory.mktemp("demo_home")
    build(home)
    return home


@pytest.fixture(scope="session")
def demo_home_copy(demo_home, tmp_path_factory) -> Callable[[str], Path]:
    """``copy(name)``: a fresh home folder holding a copy of the default build."""

    def copy(name: str) -> Path:
        home = tmp_path_factory.mktemp(name) / "home"
        shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns(".build.lock"))
        return home

    return copy


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, with the flags the brief asks for, one per browser-test
    module (Playwright never downloads a browser here)."""
    from _app_server import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(home):
    """The dashboard (``streamlit run app.py``) on the test module's ``home`` store: its URL.
    A browser-test module gives the ``home`` fixture; the app logs to ``home/streamlit.log``."""
    from _app_server import running_app

    with running_app(home, home / "streamlit.log") as (url, _proc):
        yield url
