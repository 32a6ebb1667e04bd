"""Every path placespend uses, resolved in one place (nothing depends on the working directory)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
BOUNDARIES_DIR = REPO_DIR / "boundaries"
PIPELINES_DIR = REPO_DIR / "pipelines"
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
CATALOGUE_PATH = PACKAGE_DATA_DIR / "catalogue.yaml"

DB_FILENAME = "placespend.duckdb"
HOME_ENV = "PLACESPEND_HOME"


def home_dir(home: Path | str | None = None) -> Path:
    """The folder holding the store: ``home``, else ``$PLACESPEND_HOME``, else ``.placespend/``.

    The default sits beside the package so a fresh checkout works without configuration; it is
    git-ignored.
    """
    chosen = home or os.environ.get(HOME_ENV) or (REPO_DIR / ".placespend")
    return Path(chosen).expanduser().resolve()


def db_path(home: Path | str | None = None) -> Path:
    """The default DuckDB file inside the home folder."""
    return home_dir(home) / DB_FILENAME


def demo_dir(home: Path | str | None = None) -> Path:
    """Where the synthetic demo spend and contracts are generated."""
    return home_dir(home) / "demo"
