"""Every path placespend uses, resolved in one place (nothing depends on the working directory)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from placespend import settings

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def _shipped(name: str) -> Path:
    """A top-level folder of the checkout (``pipelines``, ``boundaries``, ``docs``), which an
    installed wheel carries inside the package instead (see ``pyproject.toml``)."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else REPO_DIR / name


IN_CHECKOUT = (REPO_DIR / "pyproject.toml").is_file() and (REPO_DIR / "pipelines").is_dir()
BOUNDARIES_DIR = _shipped("boundaries")
PIPELINES_DIR = _shipped("pipelines")
DOCS_DIR = _shipped("docs")
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
CATALOGUE_PATH = PACKAGE_DATA_DIR / "catalogue.yaml"
KEY_ERRORS_PATH = PACKAGE_DATA_DIR / "key_errors.csv"
CENSUS_ZONES_PATH = PACKAGE_DATA_DIR / "census_zones.csv"
ERROR_DISTRIBUTIONS_PATH = PACKAGE_DATA_DIR / "error_distributions.csv"
ACCURACY_PIPELINES_DIR = PIPELINES_DIR / "accuracy"
ACCURACY_REPORT_PATH = DOCS_DIR / "ACCURACY.md"
CLASSIFICATION_REPORT_PATH = DOCS_DIR / "CLASSIFICATION.md"
BOUNDARIES_README_PATH = BOUNDARIES_DIR / "README.md"
#: Real councils' published spend with hand labels (a checkout's tests; not in a wheel).
REAL_SPEND_DIR = REPO_DIR / "tests" / "data" / "real"

# Streamlit serves ``static/`` beside app.py at ``app/static/`` (server.enableStaticServing):
# the map's context layers are written there once per store (generated, git-ignored).
APP_STATIC_DIR = REPO_DIR / "static"
MAP_FILES_DIR = APP_STATIC_DIR / "map"
MAP_FILES_URL = "app/static/map"

DB_FILENAME = "placespend.duckdb"
UPLOADS_DIRNAME = "uploads"
USER_CATALOGUE_NAME = "my_catalogue.yaml"  # rules confirmed on the Classify page
HOME_ENV = settings.HOME.name


def default_home() -> Path:
    """``.placespend/`` in a checkout (git-ignored, so a clone works without configuration);
    once installed, the user's data folder (``~/.local/share/placespend`` on Linux)."""
    if IN_CHECKOUT:
        return REPO_DIR / ".placespend"
    return Path(platformdirs.user_data_dir("placespend", appauthor=False))


def home_dir(home: Path | str | None = None) -> Path:
    """The folder holding the store: ``home``, else ``$PLACESPEND_HOME``, else
    :func:`default_home`."""
    chosen = home or settings.HOME.value() or default_home()
    return Path(chosen).expanduser().resolve()


def db_path(home: Path | str | None = None) -> Path:
    """The default DuckDB file inside the home folder."""
    return home_dir(home) / DB_FILENAME


def cache_dir(home: Path | str | None = None) -> Path:
    """Where builds keep what they can reuse (boundaries, atoms and keys)."""
    return home_dir(home) / "cache"


def uploads_dir(home: Path | str | None = None) -> Path:
    """Where stores built from uploaded files live: ``<home>/uploads/``."""
    return home_dir(home) / UPLOADS_DIRNAME


def beside_store(db_file: Path | str, name: str) -> Path:
    """A file or folder kept with a data set: ``name`` in its store's folder (scenarios,
    priorities, the user's own catalogue)."""
    return Path(db_file).parent / name


def doc_path(name: str) -> Path:
    """``docs/<name>``, or the shipped boundaries' README for ``"boundaries"``."""
    return BOUNDARIES_README_PATH if name == "boundaries" else DOCS_DIR / name


def demo_dir(home: Path | str | None = None) -> Path:
    """Where the synthetic demo spend and contracts are generated."""
    return home_dir(home) / "demo"
