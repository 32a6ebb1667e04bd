"""Allocation side by side: placespend's SQL, ``tobler.area_interpolate`` and a pandas loop.

All three share the same totals over the same atoms by the same key (area). The input is every
apportioned (service × month × scope) total of a built store (``sql/compare_groups.sql``), a
borough-wide or ward-wide sum of pence, given to each method in its own shape beforehand
(untimed). What is timed:

* **placespend**: its own steps ``06_int_target_weights`` and ``07_int_allocation`` (``area``
  as every service's only key), which write the ``allocation`` table of integer pence per
  (group, target), a target being an estate or a ward's off-estate residual. That table is
  the engine's output; the benchmark reads it back afterwards, untimed;
* **tobler**: ``area_interpolate`` of one extensive variable per group from the scope polygons
  (the borough, as the union of the wards, and each ward) onto the atoms, then the sum of atoms
  to targets. tobler builds its overlap table in float32, which limits it to ~1e-7 relative,
  so it runs twice: as is, and with the same table built in float64 (its own intersection
  code, timed) passed through its ``table`` argument;
* **pandas**: the loop a user without either would write: for each group, the atoms in its
  scope, their areas, the shares; then one ``groupby`` to targets.

Agreement (:func:`agreement`): every method's figure for every (group, target) against
tobler-float64. placespend's pence are, by design, the largest-remainder rounding of the exact
share :math:`T w_t / W` (key values in billionths, ``docs/METHOD.md``), so they are compared
in pence (never 1p or more from the exact share, and equal to the same rounding of tobler's
shares), and the unrounded share :math:`T w_t / W` relatively.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from benchmarks.measure import Body, stage

SQL_DIR = Path(__file__).resolve().parent / "sql"
GRAIN = ["group_id", "target_type", "target_id"]
METHODS = ("alloc_placespend", "alloc_tobler", "alloc_tobler64", "alloc_pandas")


# -- input ---------------------------------------------------------------------------------------


def prepare_input(store: Path, out: Path, boundaries_dir: Path | None = None) -> dict[str, int]:
    """Write the comparison's input into ``out``: groups, atoms (with geometry) and scopes.

    ``store`` must have been built from the boundaries in ``boundaries_dir`` (default: the
    shipped ones), so that atom ids agree.
    """
    from placespend import atoms, boundaries, paths

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(store), read_only=True)
    groups = con.execute((SQL_DIR / "compare_groups.sql").read_text(encoding="utf-8")).df()
    borough = con.execute(
        "select any_value(scope_code) from spend_groups where scope_type = 'borough'"
    ).fetchone()[0]
    con.close()
    b = boundaries.load_boundaries(boundaries_dir or paths.BOUNDARIES_DIR)
    table = atoms.build_atoms(b)
    return write_input(out, groups, table.atoms, table.keys[["atom_id", "area"]], b.wards,
                       borough)


def write_input(out: Path, groups: pd.DataFrame, atom_frame: gpd.GeoDataFrame,
                area: pd.DataFrame, wards: gpd.GeoDataFrame, borough_code: str) -> dict[str, int]:
    """Write groups, atoms (``atom_id, ward_code, estate_id, area, geometry``) and scopes."""
    out.mkdir(parents=True, exist_ok=True)
    groups.to_parquet(out / "groups.parquet", index=False)
    frame = atom_frame[["atom_id", "ward_code", "estate_id", "geometry"]].merge(area,
                                                                                 on="atom_id")
    frame.to_parquet(out / "atoms.parquet", index=False)
    scopes = gpd.GeoDataFrame(
        {"scope_type": ["borough", *["ward"] * len(wards)],
         "scope_code": [borough_code, *wards["ward_code"].astype(str)]},
        geometry=[wards.geometry.union_all(), *wards.geometry.to_numpy()],
        crs=wards.crs,
    )
    scopes.to_parquet(out / "scopes.parquet", index=False)
    return {"groups": len(groups), "atoms": len(frame), "scopes": len(scopes)}


def _load(spec: dict[str, Any]) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    folder = Path(spec["compare_input"])
    groups = pd.read_parquet(folder / "groups.parquet")
    atom_frame = gpd.read_parquet(folder / "atoms.parquet")
    scopes = gpd.read_parquet(folder / "scopes.parquet")
    return groups, atom_frame, scopes


def _targets(atom_frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    on_estate = atom_frame["estate_id"].notna().to_numpy()
    kind = np.where(on_estate, "estate", "residual")
    ident = np.where(on_estate, atom_frame["estate_id"].astype(object),
                     atom_frame["ward_code"].astype(object))
    return kind, ident


# -- the three methods ---------------------------------------------------------------------------


@stage("alloc_placespend")
def alloc_placespend(spec: dict[str, Any]) -> tuple[Body, Any]:
    from placespend._sql import run_step, steps
    from placespend.keys import FALLBACK_KEY
    from placespend.store import write_table

    groups, atom_frame, _ = _load(spec)
    con = duckdb.connect()
    spend_groups = groups.rename(columns={"month": "financial_year"}).assign(
        basis="apportioned", key="area")
    write_table(con, "spend_groups", spend_groups)
    write_table(con, "service_keys", pd.DataFrame(
        {"service_id": groups["service_id"].unique(), "key": "area", "is_main": True}))
    write_table(con, "atoms", pd.DataFrame(atom_frame[["atom_id", "ward_code", "estate_id"]]))
    write_table(con, "atom_keys", pd.DataFrame(
        {"atom_id": atom_frame["atom_id"], "key": "area", "weight": atom_frame["area"]}))
    chosen = [s for s in steps() if s.name[:2] in ("06", "07")]
    params = {"borough_code": str(groups.loc[groups["scope_type"] == "borough", "scope_code"]
                                  .iloc[0]) if (groups["scope_type"] == "borough").any()
              else "BOROUGH", "fallback_key": FALLBACK_KEY}

    def body() -> dict[str, Any]:
        return {"rows": {step.table: run_step(con, step, params) for step in chosen}}

    def after() -> None:
        pence = con.execute(
            "select group_id, target_type, target_id, amount_pence as amount from allocation"
        ).df()
        pence.to_parquet(Path(spec["output"]) / "alloc_placespend.parquet")
        _exact_shares(con).to_parquet(Path(spec["output"]) / "alloc_placespend_exact.parquet")

    return body, after


def _exact_shares(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """placespend's unrounded shares T w_t / W, from its own integer target weights."""
    return con.execute(
        """
        with totals as (
            select scope_type, scope_code, key, sum(weight_units) as units
            from target_weights group by all
        )
        select g.group_id, w.target_type, w.target_id,
               g.total_pence::double * (w.weight_units::double / t.units::double) as amount
        from spend_groups as g
        inner join target_weights as w using (scope_type, scope_code)
        inner join totals as t
            on t.scope_type = w.scope_type and t.scope_code = w.scope_code and t.key = w.key
        where w.key = 'area'
        """
    ).df()


def _source_frame(groups: pd.DataFrame, scopes: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame,
                                                                           list[str]]:
    """One row per scope, one column per group holding its total (0 in other scopes)."""
    wide = groups.pivot_table(index=["scope_type", "scope_code"], columns="group_id",
                              values="total_pence", aggfunc="sum", fill_value=0)
    wide.columns = [f"g{c}" for c in wide.columns]
    source = scopes.merge(wide.astype(float), left_on=["scope_type", "scope_code"],
                          right_index=True, how="left").fillna(0.0)
    return source, list(wide.columns)


def _to_targets(values: pd.DataFrame, atom_frame: pd.DataFrame) -> pd.DataFrame:
    """Atom × group estimates (one column per group) summed to (group, target)."""
    kind, ident = _targets(atom_frame)
    values = values.assign(target_type=kind, target_id=ident)
    summed = values.groupby(["target_type", "target_id"]).sum()
    long = summed.stack().rename("amount").reset_index()
    long = long.rename(columns={long.columns[2]: "group_id"})
    long["group_id"] = long["group_id"].str[1:].astype("int64")
    return long[[*GRAIN, "amount"]]


def _tobler(spec: dict[str, Any], float64: bool) -> tuple[Body, Any]:
    from tobler.area_weighted import area_interpolate

    groups, atom_frame, scopes = _load(spec)
    target = atom_frame[["atom_id", "geometry"]]
    source, variables = _source_frame(groups, scopes)  # the input, in tobler's shape
    result: dict[str, pd.DataFrame] = {}

    def body() -> dict[str, Any]:
        table = overlap_table64(source, target) if float64 else None
        est = area_interpolate(source, target, extensive_variables=variables, table=table)
        result["out"] = _to_targets(pd.DataFrame(est[variables]), atom_frame)
        return {"cells": len(result["out"]), "variables": len(variables)}

    def after() -> None:
        name = "alloc_tobler64" if float64 else "alloc_tobler"
        result["out"].to_parquet(Path(spec["output"]) / f"{name}.parquet")

    return body, after


def overlap_table64(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame):
    """tobler's source × target intersection-area table, built as tobler does, in float64."""
    from scipy.sparse import coo_matrix

    ids_src, ids_tgt = target.sindex.query(source.geometry, predicate="intersects")
    areas = source.geometry.values[ids_src].intersection(target.geometry.values[ids_tgt]).area
    shape = (len(source), len(target))
    return coo_matrix((areas, (ids_src, ids_tgt)), shape=shape, dtype=np.float64).tocsr()


@stage("alloc_tobler")
def alloc_tobler(spec: dict[str, Any]) -> tuple[Body, Any]:
    return _tobler(spec, float64=False)


@stage("alloc_tobler64")
def alloc_tobler64(spec: dict[str, Any]) -> tuple[Body, Any]:
    return _tobler(spec, float64=True)


def pandas_loop(groups: pd.DataFrame, atom_frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Share each group over the atoms of its scope by area, one group at a time.

    Written as someone without placespend or tobler would: filter, measure, divide, collect.
    """
    atom_frame = atom_frame.copy()
    atom_frame["target_type"], atom_frame["target_id"] = _targets(atom_frame)
    pieces = []
    for g in groups.itertuples(index=False):
        if g.scope_type == "borough":
            inside = atom_frame
        else:
            inside = atom_frame[atom_frame["ward_code"] == g.scope_code]
        area = inside.geometry.area
        share = area / area.sum()
        pieces.append(pd.DataFrame({
            "group_id": g.group_id,
            "target_type": inside["target_type"],
            "target_id": inside["target_id"],
            "amount": g.total_pence * share,
        }))
    allocated = pd.concat(pieces, ignore_index=True)
    return allocated.groupby(GRAIN, as_index=False)["amount"].sum()


@stage("alloc_pandas")
def alloc_pandas(spec: dict[str, Any]) -> tuple[Body, Any]:
    groups, atom_frame, _ = _load(spec)
    result: dict[str, pd.DataFrame] = {}

    def body() -> dict[str, Any]:
        result["out"] = pandas_loop(groups, atom_frame)
        return {"cells": len(result["out"])}

    def after() -> None:
        result["out"].to_parquet(Path(spec["output"]) / "alloc_pandas.parquet")

    return body, after


# -- agreement -----------------------------------------------------------------------------------


def largest_remainder(frame: pd.DataFrame, totals: pd.Series) -> pd.Series:
    """Integer pence from float shares, as placespend rounds (ties to the lower target)."""
    base = np.floor(frame["amount"].abs())
    rem = frame["amount"].abs() - base
    order = frame.assign(base=base, rem=rem).sort_values(
        ["group_id", "rem", "target_type", "target_id"], ascending=[True, False, True, True])
    leftover = totals.abs().reindex(order["group_id"]).to_numpy() - order.groupby(
        "group_id")["base"].transform("sum").to_numpy()
    rank = order.groupby("group_id").cumcount().to_numpy() + 1
    pence = order["base"].to_numpy() + (rank <= leftover)
    sign = np.sign(totals.reindex(order["group_id"]).to_numpy())
    return pd.Series(sign * pence, index=order.index).reindex(frame.index)


def _joined(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return a.merge(b, on=GRAIN, how="outer", suffixes=("_a", "_b")).fillna(
        {"amount_a": 0.0, "amount_b": 0.0})


# Differences below a millionth of a penny are float noise, not disagreement: a geometric
# overlay leaves slivers of 1e-10 p in a cell the exact methods leave empty, and a relative
# difference of such a cell is 1.0 however small it is.
NOISE_PENCE = 1e-6


def relative_difference(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, float]:
    """Largest |a - b| / max(|a|, |b|) over (group, target) cells whose difference is above
    ``NOISE_PENCE``, and the largest |a - b|."""
    j = _joined(a, b)
    diff = (j["amount_a"] - j["amount_b"]).abs()
    scale = np.maximum(j["amount_a"].abs(), j["amount_b"].abs())
    rel = (diff / scale.where(scale > 0)).where(diff > NOISE_PENCE).fillna(0.0)
    return {"cells": int(len(j)), "max_rel": float(rel.max()), "max_abs_pence": float(diff.max())}


def agreement(output: Path, groups: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every method against tobler with a float64 table, on the (group, target) grain."""
    ref = pd.read_parquet(output / "alloc_tobler64.parquet")
    out: dict[str, dict[str, float]] = {}
    for name in ("alloc_pandas", "alloc_tobler", "alloc_placespend_exact"):
        path = output / f"{name}.parquet"
        if path.exists():
            out[name] = relative_difference(pd.read_parquet(path), ref)
    pence_path = output / "alloc_placespend.parquet"
    if pence_path.exists():
        pence = pd.read_parquet(pence_path)
        out["alloc_placespend"] = relative_difference(pence, ref)
        totals = groups.set_index("group_id")["total_pence"]
        rounded = ref.assign(amount=largest_remainder(ref, totals))
        j = _joined(pence, rounded)
        out["alloc_placespend"]["cells_equal_to_rounded_reference"] = int(
            (j["amount_a"] == j["amount_b"]).sum())
        sums = pence.groupby("group_id")["amount"].sum()
        out["alloc_placespend"]["groups_conserved"] = int((sums == totals.reindex(
            sums.index)).sum())
        out["alloc_placespend"]["groups"] = int(len(totals))
    return out
