"""Every environment setting placespend reads, as data with its help text, in one place.

The command line names the same variables for its options (``--home``, ``--memory-limit``),
the README lists each one (checked by ``tests/test_docs.py``), and nothing else reads
``PLACESPEND_*`` from the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, what it changes and what applies without it."""

    name: str
    help: str
    default: str  # in words: what applies when it is unset or blank
    who: str = "everyone"  # or "maintainers", "benchmarks"

    def value(self) -> str | None:
        """The variable's value, ``None`` when it is unset or blank."""
        return os.environ.get(self.name, "").strip() or None


HOME = Setting(
    "PLACESPEND_HOME",
    "Folder holding the DuckDB store, its cache, uploads and demo files (as --home).",
    "`.placespend/` in a checkout, else the user data folder",
)
MEMORY_LIMIT = Setting(
    "PLACESPEND_MEMORY_LIMIT",
    "Most memory a build's database may use, e.g. 4GB; beyond it, it spills to disk beside "
    "the store (as --memory-limit).",
    "1GB",
)
SOURCE_DATA = Setting(
    "PLACESPEND_SOURCE_DATA",
    "The shared source-data folder `scripts/build_boundaries.py` and "
    "`scripts/build_census_zones.py` read (as --source).",
    "`../shared/data` beside the repository",
    who="maintainers",
)
SHARED_DATA = Setting(
    "PLACESPEND_SHARED_DATA",
    "Where the London-wide benchmark finds its census geographies; the case is skipped, with "
    "a note, when they are not there.",
    "`../shared/data` beside the repository",
    who="benchmarks",
)
BENCH_COMMIT = Setting(
    "PLACESPEND_BENCH_COMMIT",
    "The commit a benchmark run is recorded against.",
    "the checkout's `git rev-parse --short HEAD`",
    who="benchmarks",
)

SETTINGS: tuple[Setting, ...] = (HOME, MEMORY_LIMIT, SOURCE_DATA, SHARED_DATA, BENCH_COMMIT)
