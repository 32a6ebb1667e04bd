"""Build the shipped ``boundaries/`` layers from the shared source data.

Usage: ``.venv/bin/python scripts/build_boundaries.py [--source DIR] [--out DIR]``. The source
folder is ``--source``, else ``$PLACESPEND_SOURCE_DATA``, else ``../shared/data`` next to the
repository. Re-runnable and reproducible (two runs write identical files); the logic lives in
:mod:`placespend._build_boundaries`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from placespend import _build_boundaries, paths, settings

SOURCE_ENV = settings.SOURCE_DATA.name
DEFAULT_SOURCE = paths.REPO_DIR.parent / "shared" / "data"


def main() -> None:
    """Parse arguments, build, print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(settings.SOURCE_DATA.value() or DEFAULT_SOURCE)
    parser.add_argument("--source", type=Path, default=default,
                        help=f"shared source-data folder (default: ${SOURCE_ENV}, else "
                             "../shared/data beside the repository; now %(default)s)")
    parser.add_argument("--out", type=Path, default=paths.BOUNDARIES_DIR,
                        help="output folder (default: the package's boundaries/)")
    args = parser.parse_args()
    summary = _build_boundaries.build(args.source, args.out)
    print(_build_boundaries.format_summary(summary))


if __name__ == "__main__":
    main()
