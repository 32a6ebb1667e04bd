"""SHA-256 digests of placespend's own code and of input files, for the keys of what a build
may reuse (:mod:`placespend.geometry_cache`, the demo files in :mod:`placespend.demo`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from placespend import paths


def code_digest() -> str:
    """SHA-256 of every module of the package, by relative path and bytes: any change to the
    code gives another digest."""
    digest = hashlib.sha256()
    for path in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        digest.update(str(path.relative_to(paths.PACKAGE_DIR)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file, or of every file under a folder (a layer may be a folder, e.g. a
    .gdb); a shapefile includes the files beside it that hold its attributes and projection.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    digest = hashlib.sha256()
    members = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    if path.suffix.lower() == ".shp":
        members += sorted(p for p in path.parent.glob(f"{path.stem}.*") if p != path)
    for member in members:
        digest.update(member.name.encode() + b"\0")
        with member.open("rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    return digest.hexdigest()
