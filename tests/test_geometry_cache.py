"""Issue 18 item 2: a build reuses the boundaries, atoms and keys of an earlier build with the
same boundary files and code, with results identical to a full build; any changed boundary
file or module is a new cache key."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pytest

from placespend import (
    _digest,
    atoms,
    boundaries,
    build,
    export,
    geometry_cache,
    paths,
    reads,
    store,
)

# build_info records when and from where a store was built; everything else must be equal.
RECORDS_THE_BUILD = {"build_info"}


def _differences(first: Path, second: Path) -> dict[str, int]:
    """Per table of either store (build_info aside): rows in one store and not in the other,
    counted as multisets, so row order does not matter but every value and column type does."""
    con = duckdb.connect()
    con.execute(f"attach '{first}' as a (read_only)")
    con.execute(f"attach '{second}' as b (read_only)")
    schema = ("select table_name, list(column_name || ' ' || data_type order by ordinal_position)"
              " from information_schema.columns where table_catalog = ? group by 1")
    a, b = (dict(con.execute(schema, [db]).fetchall()) for db in ("a", "b"))
    assert a == b  # the same tables, with the same columns and types
    found = {}
    for name in sorted(set(a) - RECORDS_THE_BUILD):
        (n,) = con.execute(
            f'select count(*) from ((select * from a."{name}" except all select * from b."{name}")'
            f' union all (select * from b."{name}" except all select * from a."{name}"))'
        ).fetchone()
        found[name] = n
    con.close()
    return found


def _exports(db: Path) -> tuple[bytes, bytes]:
    with store.connect(db) as con:
        label = reads.data_label(con)
        rows = export.export_table(reads.estate_rows(con), label)
        return export.csv_bytes(rows), export.geojson_bytes(con, None, label, "estates")


def _no_geometry_work(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("the geometry stage was computed, not reused")
    monkeypatch.setattr(atoms, "build_atoms", refuse)
    monkeypatch.setattr(boundaries, "load_boundaries", refuse)


def test_a_reused_build_equals_a_full_build_table_for_table_and_byte_for_byte(
        demo_home, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    shutil.copytree(paths.cache_dir(demo_home), cache)  # saved by the demo's full build
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 1
    _no_geometry_work(monkeypatch)
    again = build.build(tmp_path / "home", cache_dir=cache)

    assert any(n.startswith("Reused the boundaries, atoms and keys") for n in again.notes)
    differences = _differences(paths.db_path(demo_home), again.db_path)
    assert len(differences) > 20
    assert not {name: n for name, n in differences.items() if n}
    assert _exports(paths.db_path(demo_home)) == _exports(again.db_path)
    assert again.reconciliation.ok


def test_no_cache_computes_and_keeps_nothing(tmp_path):
    result = build.build(tmp_path / "home", cache_dir=False)
    assert not any("Reused" in n for n in result.notes)
    assert not paths.cache_dir(tmp_path / "home").exists()


def _copy_shipped(folder: Path) -> Path:
    shutil.copytree(paths.BOUNDARIES_DIR, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def test_a_changed_boundary_file_is_a_new_key_and_is_computed_again(tmp_path):
    layers = _copy_shipped(tmp_path / "layers")
    cache = tmp_path / "cache"
    first = geometry_cache.load_or_compute(layers, None, cache)
    assert not first.reused
    assert geometry_cache.load_or_compute(layers, None, cache).reused

    trees = gpd.read_parquet(layers / "trees.parquet")
    trees.iloc[1:].to_parquet(layers / "trees.parquet")  # one tree fewer
    changed = geometry_cache.load_or_compute(layers, None, cache)
    assert not changed.reused
    assert changed.key != first.key
    assert changed.atom_table.keys["trees"].sum() == pytest.approx(
        first.atom_table.keys["trees"].sum() - 1)
    assert geometry_cache.cache_key(layers) == changed.key


def test_the_key_follows_every_layer_the_code_and_the_layer_given(tmp_path, monkeypatch):
    layers = _copy_shipped(tmp_path / "layers")
    shipped = geometry_cache.cache_key(None)
    assert geometry_cache.cache_key(None) == shipped  # the same files, the same key
    assert geometry_cache.cache_key(layers) != shipped  # other paths, other notes and sources
    by_option = geometry_cache.cache_key(None, {"trees": layers / "trees.parquet"})
    assert by_option not in (shipped, geometry_cache.cache_key(layers))
    monkeypatch.setattr(_digest, "code_digest", lambda: "another version of the code")
    assert geometry_cache.cache_key(None) != shipped
    assert geometry_cache.cache_key(None, {"trees": tmp_path / "missing.parquet"}) is None


def test_an_unreadable_entry_is_computed_again_and_replaced(tmp_path):
    layers = _copy_shipped(tmp_path / "layers")
    cache = tmp_path / "cache"
    first = geometry_cache.load_or_compute(layers, None, cache)
    (cache / first.key / "atoms.parquet").write_bytes(b"not parquet")
    again = geometry_cache.load_or_compute(layers, None, cache)
    assert not again.reused
    pd.testing.assert_frame_equal(again.atom_table.keys, first.atom_table.keys)
    assert geometry_cache.load_or_compute(layers, None, cache).reused


def test_an_upload_of_spend_reuses_the_default_builds_geometry(demo_home_copy, monkeypatch):
    from placespend import uploads

    home = demo_home_copy("cache_upload")
    spend = next(paths.demo_dir(home).glob("*.csv"))
    _no_geometry_work(monkeypatch)
    data_set = uploads.build_upload("spend only", [uploads.UploadedFile(
        "spend", "payments.csv", spend.read_bytes())], home=home)
    with store.connect(data_set.db_path) as con:
        notes = build.read_build_info(con)["notes"]
    assert any(n.startswith("Reused the boundaries, atoms and keys") for n in notes)
