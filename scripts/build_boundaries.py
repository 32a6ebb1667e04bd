"""Build the shipped ``boundaries/`` layers from the shared source data.

Usage: ``.venv/bin/python scripts/build_boundaries.py [--source /work/shared/data]``.
Re-runnable; the logic lives in :mod:`placespend._build_boundaries`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from placespend import _build_boundaries, paths

DEFAULT_SOURCE = Path("/work/shared/data")


def main() -> None:
    """Parse arguments, build, print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="shared source-data folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=paths.BOUNDARIES_DIR,
                        help="output folder (default: the package's boundaries/)")
    args = parser.parse_args()
    summary = _build_boundaries.build(args.source, args.out)
    print(_build_boundaries.format_summary(summary))


if __name__ == "__main__":
    main()
