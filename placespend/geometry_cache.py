"""The geometry stage of a build, kept between builds.

Reading and validating the boundary layers, cutting the atoms and measuring their keys depend
only on the boundary files and on placespend's code, yet take most of a rebuild that brings new
spend. So a build saves their result in a cache folder, under a key that is the SHA-256 of:

- every layer's file: its layer name, whether it is the shipped one, its path and its bytes;
- the source of every module of the package (any change to the code is a new key);
- the versions of the libraries that shape geometry (geopandas, shapely, pyproj, pandas,
  numpy, pyarrow).

A build whose key is already in the cache reads the result back instead of computing it: a
rebuild with new spend files, a new contracts register or catalogue, or an upload that brings
only spend. The entries are GeoParquet and JSON (never pickle), written to a temporary folder
and renamed into place, so a build that is cut off leaves no half entry; an entry that cannot be
read is set aside and the stage computed again. The newest :data:`KEEP` entries are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import pandas as pd

from placespend import _digest, atoms, boundaries

KEEP = 4
STALE_SECONDS = 3600
LIBRARIES = ("geopandas", "shapely", "pyproj", "pandas", "numpy", "pyarrow")
FORMAT = 1  # the layout of an entry; bump when it changes
_META = "meta.json"


@dataclass
class Geometry:
    """The boundaries (estates with their estimates), the atoms and whether they were reused."""

    bounds: boundaries.Boundaries
    atom_table: atoms.AtomTable
    reused: bool = False
    key: str | None = None

    def note(self, cache_dir: Path) -> str | None:
        """The build note saying what was reused, or None."""
        if not self.reused or self.key is None:
            return None
        return (f"Reused the boundaries, atoms and keys of an earlier build with the same "
                f"boundary files and code (cache entry {self.key[:12]} in {cache_dir}); "
                "pass --no-cache to compute them again.")


def compute(directory: Path | str | None,
            layers: Mapping[str, Path | str | None] | None = None) -> Geometry:
    """Read the boundaries, cut the atoms, put the estimates on the estates."""
    bounds = boundaries.load_boundaries(directory, layers=layers)
    table = atoms.build_atoms(bounds)
    bounds.estates = atoms.estate_estimates(bounds, table)
    return Geometry(bounds, table)


def load_or_compute(directory: Path | str | None,
                    layers: Mapping[str, Path | str | None] | None,
                    cache_dir: Path | None) -> Geometry:
    """The geometry stage from ``cache_dir`` when an entry has this key, else computed (and
    saved there). ``cache_dir=None`` always computes and saves nothing."""
    key = None if cache_dir is None else cache_key(directory, layers)
    if cache_dir is None or key is None:
        return compute(directory, layers)
    entry = cache_dir / key
    if entry.is_dir():
        found = _read(entry)
        if found is not None:
            with contextlib.suppress(OSError):  # the newest-used entries are the ones kept
                os.utime(entry)
            return Geometry(*found, reused=True, key=key)
        _set_aside(entry)
    result = compute(directory, layers)
    _save(cache_dir, key, result)
    result.key = key
    return result


def cache_key(directory: Path | str | None,
              layers: Mapping[str, Path | str | None] | None = None) -> str | None:
    """The key of the files the build would read, or None when one of them cannot be read
    (the build then reports the problem as usual)."""
    files, from_shipped, problems = boundaries.layer_files(directory, layers)
    if problems:
        return None
    digest = hashlib.sha256(f"placespend geometry cache {FORMAT}\n".encode())
    try:
        for name in boundaries.LAYERS:
            path = files.get(name)
            origin = "shipped" if name in from_shipped else "given"
            if path is None:
                digest.update(f"{name}\t-\n".encode())
                continue
            digest.update(f"{name}\t{origin}\t{Path(path).resolve()}\t".encode())
            digest.update(_digest.file_digest(Path(path)).encode() + b"\n")
    except OSError:
        return None
    digest.update(_digest.code_digest().encode())
    for lib in LIBRARIES:
        digest.update(f"{lib}={importlib.metadata.version(lib)}\n".encode())
    return digest.hexdigest()


_LAYER_FIELDS = tuple(boundaries.LAYERS)


def _save(cache_dir: Path, key: str, result: Geometry) -> None:
    """Write the entry to a temporary folder beside it, then rename it into place. A cache
    that cannot be written (a full disk, a read-only folder) only costs the next build time."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=cache_dir))
    except OSError:
        return
    try:
        b, table = result.bounds, result.atom_table
        for name in _LAYER_FIELDS:
            getattr(b, name).to_parquet(tmp / f"{name}.parquet")
        table.atoms.to_parquet(tmp / "atoms.parquet")
        table.keys.to_parquet(tmp / "keys.parquet")
        meta = {
            "format": FORMAT,
            "bounds": {f.name: getattr(b, f.name) for f in fields(b)
                       if f.name not in _LAYER_FIELDS},
            "atoms": {"notes": table.notes, "fallbacks": table.fallbacks},
        }
        (tmp / _META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        os.replace(tmp, cache_dir / key)
    except (OSError, ValueError, TypeError, NotImplementedError):
        # another build saved the same key first, the disk is full, or a user's layer holds a
        # column Parquet cannot store: the build goes on, only the next one is not faster
        shutil.rmtree(tmp, ignore_errors=True)
        return
    _prune(cache_dir)


def _read(entry: Path) -> tuple[boundaries.Boundaries, atoms.AtomTable] | None:
    """The entry's boundaries and atoms, or None if any part is missing or unreadable."""
    try:
        meta = json.loads((entry / _META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            return None
        layers = {name: gpd.read_parquet(entry / f"{name}.parquet") for name in _LAYER_FIELDS}
        extra = meta["bounds"]
        extra["shipped_layers"] = tuple(extra["shipped_layers"])
        bounds = boundaries.Boundaries(**layers, **extra)
        table = atoms.AtomTable(gpd.read_parquet(entry / "atoms.parquet"),
                                pd.read_parquet(entry / "keys.parquet"),
                                notes=meta["atoms"]["notes"],
                                fallbacks=meta["atoms"]["fallbacks"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return bounds, table


def _set_aside(entry: Path) -> None:
    shutil.rmtree(entry, ignore_errors=True)


def _prune(cache_dir: Path) -> None:
    """Keep the :data:`KEEP` most recently used entries, and no temporary folder of a build
    that was cut off more than an hour ago."""
    now = time.time()
    entries = []
    for p in cache_dir.iterdir():
        if not p.is_dir():
            continue
        if not p.name.startswith("."):
            entries.append(p)
        elif now - p.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(p, ignore_errors=True)
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
