"""The one exception family of placespend.

Every error a user can cause is a :class:`PlacespendError`: its message names the file, the
row (where there is one) and what to do. Only the CLI and ``app.py`` turn these into messages
for people; anything else is a bug and stays a traceback.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from pathlib import Path

QUOTED_CHARS = 80


class PlacespendError(Exception):
    """A problem with the user's input or set-up that the user can fix."""


class InputFileError(PlacespendError):
    """A spend export, contracts register or mapping cannot be read as given."""


class UnknownLayoutError(InputFileError):
    """A spend file whose header fits no layout placespend knows, nor the mapping given.

    ``path`` is the file. Where a column mapping could be guessed from its header and values,
    ``suggestion`` holds it (a :class:`placespend.suggest.Suggestion`) and ``headline`` says,
    in a sentence or two without the mapping's text, what the header lacks; the message holds
    both and the fix. Without a suggestion, ``headline`` is the message.
    """

    def __init__(self, msg: str, *, path: Path | None = None, suggestion: object = None,
                 headline: str | None = None) -> None:
        super().__init__(msg)
        self.path = path
        self.suggestion = suggestion
        self.headline = msg if headline is None else headline


class CatalogueError(PlacespendError):
    """The service catalogue is invalid."""


class BoundaryError(PlacespendError):
    """A boundary file (wards, small areas, estates, context layers) is unusable."""


class ReconciliationError(PlacespendError):
    """Money was not conserved: a bug or a corrupted database, never silently ignored."""


class CheckError(ReconciliationError):
    """A declared check of a store (``pipelines/checks/``) found rows that break its rule.

    ``failures`` holds each failed check with its offending rows
    (:class:`placespend.checks.Failure`); the message lists them all.
    """

    def __init__(self, msg: str, failures: Iterable[object] = ()) -> None:
        super().__init__(msg)
        self.failures = tuple(failures)


class StoreError(PlacespendError):
    """The DuckDB store is missing, locked or from an incompatible build."""


def where(path: Path | str | None, row: int | None = None) -> str:
    """Format a location prefix such as ``spend.csv, row 12: ``."""
    if path is None:
        return ""
    loc = str(path) if row is None else f"{path}, row {row}"
    return f"{loc}: "


def quoted(value: object, limit: int = QUOTED_CHARS) -> str:
    """A value from a user's file, fit to quote in a message: its Python literal, cut short.

    Text longer than ``limit`` characters keeps its first ``limit`` and says how long it was
    (``'xxxx'… (3,000,000 characters)``); control characters show as escapes (``\\x1b``).
    Lists and mappings are shown through :mod:`reprlib`, so however big or deep a value is,
    formatting it costs little and the message stays short.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    try:
        text = _SHORT_REPR.repr(value)
    except ValueError:  # holds an int too long to print (Python stops at 4,300 digits)
        text = f"<a {type(value).__name__} too long to show>"
    return text if len(text) <= limit else f"{text[:limit]}…"


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = QUOTED_CHARS
_SHORT_REPR.maxother = QUOTED_CHARS
_SHORT_REPR.maxlist = _SHORT_REPR.maxdict = _SHORT_REPR.maxtuple = _SHORT_REPR.maxset = 6
_SHORT_REPR.maxlevel = 3


def collected(cls: type[PlacespendError], title: str, problems: Iterable[str], limit: int = 20):
    """Build one exception listing many problems (shows at most ``limit``).

    Validation collects every problem first and raises once, so a user fixes a file in one go.
    """
    items = list(problems)
    shown = "\n".join(f"  - {p}" for p in items[:limit])
    more = f"\n  … and {len(items) - limit} more" if len(items) > limit else ""
    msg = f"{title} ({len(items)} problem{'s' if len(items) != 1 else ''}):\n{shown}{more}"
    return cls(msg)


class OutputError(PlacespendError):
    """An export or report cannot be written where asked (a file given as the folder, a folder
    that cannot be created, a full disk)."""
