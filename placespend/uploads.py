"""Data sets built from a user's uploaded files, beside the default store (the app's
*Upload* page): saved, built in a staging folder and swapped in only once the build has
succeeded; a spend header that fits no layout held with the mapping suggested for it.

The write side of the app: :mod:`placespend.views` only reads the stores this builds.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from placespend import build as build_mod
from placespend import paths, store, suggest
from placespend.errors import PlacespendError, UnknownLayoutError
from placespend.views import Dataset, default_dataset

BUILD_STEPS = build_mod.STEPS
UPLOAD_KINDS = ("spend", "contracts", "estates", "mapping", "contracts_mapping")


def ensure_default(
    on_step: Callable[[str], None] | None = None, home: Path | str | None = None
) -> build_mod.BuildResult | None:
    """Build the default store if there is none yet (the app's first start); else nothing."""
    if default_dataset(home).exists:
        return None
    return build_mod.build(home, on_step=on_step)


def upload_name(text: str | None, now: dt.datetime | None = None) -> str:
    """A safe folder name from what the user typed, or a timestamp."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", (text or "").strip()).strip("-_").lower()[:60]
    return slug or stamp


@dataclass(frozen=True)
class UploadedFile:
    """One uploaded file: which input it is, its name as uploaded, and its bytes."""

    kind: str  # one of UPLOAD_KINDS
    filename: str
    data: bytes


def build_upload(
    name: str,
    files: Sequence[UploadedFile],
    *,
    home: Path | str | None = None,
    on_step: Callable[[str], None] | None = None,
    base: build_mod.BuildInputs | None = None,
) -> Dataset:
    """Build a separate store from uploaded files under ``<home>/uploads/<name>/``.

    ``base`` gives the inputs the uploads do not replace (default: the shipped ones); the
    estate editor passes the source data set's.

    The default store is never touched. Without a spend file the synthetic demo spend is used
    (written inside the upload folder). The files are saved and built in a hidden staging
    folder beside it, which replaces ``<name>/`` only once the build has succeeded; on any
    failure the staging folder is removed and an earlier upload of that name stays as it was.
    Two files uploaded under one name are both kept (the second as ``name (2).csv``), so the
    build sees each of them.

    Raises
    ------
    PlacespendError
        From validation, with file names relative to the upload (row-level where possible).
    """
    unknown = sorted({f.kind for f in files} - set(UPLOAD_KINDS))
    if unknown:
        msg = f"Unknown upload kind(s) {unknown}: use {', '.join(UPLOAD_KINDS)}."
        raise PlacespendError(msg)
    if not files:
        msg = "Upload at least one file (a spend export, a contracts register or estates)."
        raise PlacespendError(msg)
    root = paths.uploads_dir(home)
    folder = root / upload_name(name)
    with store.writing(root, folder / paths.DB_FILENAME):  # a full disk or read-only home
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".incoming-{folder.name}-", dir=root))
    inputs_dir = staging / "inputs"
    try:
        with store.writing(staging, folder / paths.DB_FILENAME):
            saved = _save_uploads(inputs_dir, files)
        base = base or build_mod.BuildInputs()
        inputs = dataclasses.replace(
            base,
            spend=tuple(saved.get("spend", ())) or base.spend,
            contracts=_one(saved, "contracts") or base.contracts,
            estates=_one(saved, "estates") or base.estates,
            mapping=_one(saved, "mapping") or base.mapping,
            contracts_mapping=_one(saved, "contracts_mapping") or base.contracts_mapping,
        )
        try:
            build_mod.build(staging, inputs, db_path=staging / paths.DB_FILENAME,
                            on_step=on_step, cache_dir=paths.cache_dir(home))
        except PlacespendError as exc:
            raise _relative(exc, f"{inputs_dir}/") from None
        _record_final_folder(staging / paths.DB_FILENAME, staging, folder)
        _swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Dataset(folder.name, f"Upload: {folder.name}", folder / paths.DB_FILENAME)


def _relative(exc: PlacespendError, prefix: str) -> PlacespendError:
    """The same error with the staging folder cut from its file names (the user knows the
    names they uploaded), keeping what it carries, such as a suggested mapping."""
    clean = copy.copy(exc)
    clean.args = (str(exc).replace(prefix, ""),)
    if isinstance(clean, UnknownLayoutError):
        clean.headline = clean.headline.replace(prefix, "")
        clean.path = clean.path and Path(clean.path.name)
    return clean


# ---- a column mapping suggested for an upload, to review before building -------------------


@dataclass(frozen=True)
class MappingReview:
    """An upload whose spend header fits no known layout (nor the mapping uploaded with it),
    held with the mapping suggested for it until the user has checked it and builds."""

    name: str  # the data set name the user gave
    files: tuple[UploadedFile, ...]  # the upload, without any mapping file
    problem: str  # what the header lacks, in a sentence or two (no mapping text)
    yaml: str  # the suggested mapping, with its confidence and evidence in comments
    fields: pd.DataFrame  # one row per field: the column guessed, confidence, why

    def files_with(self, mapping_text: str) -> list[UploadedFile]:
        """The upload with ``mapping_text`` (the reviewed YAML) as its column mapping."""
        mapping = UploadedFile("mapping", REVIEWED_MAPPING_NAME, mapping_text.encode("utf-8"))
        return [*self.files, mapping]


REVIEWED_MAPPING_NAME = "mapping.yaml"


def mapping_review(name: str, files: Sequence[UploadedFile], exc: PlacespendError
                   ) -> MappingReview | None:
    """The review to offer for a build that stopped on ``exc``: ``None`` unless the spend
    header fit no layout and a mapping could be suggested for it."""
    guess = getattr(exc, "suggestion", None)
    if not isinstance(exc, UnknownLayoutError) or guess is None:
        return None
    return MappingReview(
        name=name,
        files=tuple(f for f in files if f.kind != "mapping"),
        problem=exc.headline,
        yaml=guess.yaml(),
        fields=suggestion_table(guess),
    )


def suggestion_table(guess: suggest.Suggestion) -> pd.DataFrame:
    """Every field of a mapping: the column suggested, how sure (0-1) and the evidence; a
    required field no column was found for says so."""
    rows: list[tuple[str, str, str, float | None, str]] = []
    for name in suggest.FIELDS:
        found = guess.guesses.get(name)
        need = "required" if name in suggest.REQUIRED else "optional"
        if found is None:
            rows.append((name, need, "(none found)", None, "name the column by hand"
                         if need == "required" else "leave it out, or name a column"))
        else:
            rows.append((name, need, found.column, found.confidence, found.why))
    return pd.DataFrame(rows, columns=["Field", "Needed", "Column", "Confidence", "Evidence"])


def _save_uploads(inputs_dir: Path, files: Sequence[UploadedFile]) -> dict[str, list[Path]]:
    """Write each upload under ``inputs/<kind>/`` by its base name, never over another."""
    saved: dict[str, list[Path]] = {}
    for f in files:
        folder = inputs_dir / f.kind
        folder.mkdir(parents=True, exist_ok=True)
        base = Path(Path(f.filename).name or f"{f.kind}.csv")
        target, n = folder / base.name, 1
        while target.exists():
            n += 1
            target = folder / f"{base.stem} ({n}){base.suffix}"
        target.write_bytes(f.data)
        saved.setdefault(f.kind, []).append(target)
    return saved


def _record_final_folder(db_file: Path, staging: Path, folder: Path) -> None:
    """Make the build's record of its input paths name the folder the store will live in."""
    con = store.connect(db_file, read_only=False)
    try:
        con.execute("update build_info set value = replace(value, $old, $new)",
                    {"old": str(staging), "new": str(folder)})
    finally:
        con.close()


def _swap_in(staging: Path, folder: Path) -> None:
    """Replace ``folder`` by ``staging``; the old folder is moved aside, then deleted."""
    old = None
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=f".replaced-{folder.name}-", dir=folder.parent))
        folder.rename(old / folder.name)
    staging.rename(folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _one(saved: dict[str, list[Path]], kind: str) -> Path | None:
    files = saved.get(kind, [])
    if len(files) > 1:
        msg = f"Upload one {kind} file, not {len(files)}."
        raise PlacespendError(msg)
    return files[0] if files else None
