"""Folders placespend writes into (the home folder, an export's ``--out``) and the file-system
faults of writing there, as messages that say what to do.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from pathlib import Path

from placespend.errors import PlacespendError

# A write refused for want of room: no space, a quota, or a file-size limit (``ulimit -f``).
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
FULL_TEXTS = ("No space left on device", "Disk quota exceeded", "File too large")
# A write refused by permissions or a read-only file system.
DENIED_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
DENIED_TEXTS = ("Permission denied", "Read-only file system", "Operation not permitted")


def not_a_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot be used as a folder (it, or a folder above it, is a file), or
    ``None`` when it is a folder or can be created."""
    for part in (folder, *folder.parents):
        if part.is_dir():
            return None
        if part.exists():
            return "is a file" if part == folder else f"lies inside {part}, which is a file"
    return None


def make(folder: Path, error: type[PlacespendError], fix: str) -> None:
    """Create ``folder`` (and its parents) or raise ``error`` saying why not, then ``fix``."""
    why = not_a_folder(folder)
    if why:
        msg = f"{folder} {why}, not a folder; {fix}."
        raise error(msg)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"Cannot create the folder {folder} ({exc.strerror or exc}); {fix}."
        raise error(msg) from None


def full_reason(exc: BaseException) -> str | None:
    """The reason a write failed for want of room (``No space left on device``), or ``None``.

    DuckDB reports a failed write as its own exception (IOException, FatalException or, on
    commit, TransactionException) carrying the operating system's message, so its text is
    searched; a Python write carries the error number.
    """
    if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
        return exc.strerror or str(exc)
    text = str(exc)
    return next((t for t in FULL_TEXTS if t in text), None)


def denied_reason(exc: BaseException, folder: Path) -> str | None:
    """The reason a write in ``folder`` was refused (``Permission denied``), or ``None``.

    Only errors about a path inside ``folder`` count: a spend file that cannot be read is the
    input's problem, reported by ingest.
    """
    if isinstance(exc, OSError):
        inside = exc.filename is not None and _inside(Path(str(exc.filename)), folder)
        return exc.strerror if inside and exc.errno in DENIED_ERRNOS else None
    text = str(exc)
    if str(folder) not in text:
        return None
    return next((t for t in DENIED_TEXTS if t in text), None)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@contextlib.contextmanager
def refused_writes(folder: Path, error: type[PlacespendError], option: str) -> Iterator[None]:
    """Turn an OSError writing into ``folder`` into ``error``: what happened and what to do
    (free space, make the folder writable, or choose another one with ``option``)."""
    try:
        yield
    except OSError as exc:
        full, denied = full_reason(exc), denied_reason(exc, folder)
        if full:
            msg = (f"Could not write in {folder}: {full} (the disk is full, or a quota or "
                   f"file-size limit was reached). Free space, then try again, or choose a "
                   f"folder on another disk with {option}.")
        elif denied:
            msg = (f"Cannot write in {folder} ({denied}): make the folder writable, or "
                   f"choose another folder with {option}.")
        elif exc.filename is not None and _inside(Path(str(exc.filename)), folder):
            msg = (f"Cannot write {exc.filename} ({exc.strerror or exc}): choose another "
                   f"folder with {option}.")
        else:
            raise
        raise error(msg) from exc
