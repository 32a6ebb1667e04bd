"""Calibrated intervals: how far an estate figure may be off, measured on census truth.

An apportioned figure is :math:`c = T\\,k_E / K_S` (contract total :math:`T`, the key's value
on the estate :math:`k_E` and on the scope :math:`K_S`). Had the money followed what the service
stands for (count :math:`q`), the figure would be :math:`c\\,R` with
:math:`R = (q_E/Q_S)/(k_E/K_S)`. The interval is :math:`[c\\,R_{0.1},\\ c\\,R_{0.9}]`, the 10th
and 90th percentiles of :math:`R` as measured on census truth for that kind of error (nominal
80%). Three kinds:

* ``split``: a census key on its own count. Exact per output area (OA); the error is in the
  split of a cut OA by residential footprint. Measured by holding out each OA an estate edge
  cuts and estimating it from its LSOA by footprint (:func:`split_test`): ratio
  :math:`\\rho = C_i / \\hat C_i`. An estate with a share :math:`s` of its key from cut OAs
  gets :math:`R = (1 - s) + s\\,\\rho`.
* ``stand_in``: another key standing in for :math:`q`: the ratio truth / estimate for places
  of the estate's size pushed down from the same scope (ward or borough).
* ``asset``: a key that measures an asset (green space, trees, roads, bins). Census truth
  cannot test it; it borrows the distribution of the one OSM layer that has a truth, building
  footprint standing in for dwellings, at the same scope and size. Not calibrated.

Census-based kinds are multiplied by the drift from 2011 to 2020 (:math:`\\delta`, an LSOA's
share of the mid-2020 population over its share of 2011 residents): spend follows today's
people, the truth is 2011's. Distributions ship as 99 percentiles each
(``placespend/data/error_distributions.csv``); a product of two is taken over all 99 × 99
pairs, so nothing is random.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placespend import paths
from placespend.errors import PlacespendError
from placespend.keys import CENSUS_KEYS, FALLBACK_KEY, KEYS

if TYPE_CHECKING:
    from placespend.atoms import AtomTable
    from placespend.boundaries import Boundaries

NOMINAL = 0.8
LOW_Q, HIGH_Q = (1 - NOMINAL) / 2, 1 - (1 - NOMINAL) / 2
PERCENTILES = np.arange(1, 100) / 100
PCT_COLUMNS = [f"p{i:02d}" for i in range(1, 100)]
ZONES_PATH = paths.CENSUS_ZONES_PATH
DISTRIBUTIONS_PATH = paths.ERROR_DISTRIBUTIONS_PATH
ASSET_KEYS: tuple[str, ...] = ("green_space", "trees", "road_length", "waste_points")
BORROWED = ("residential_footprint", "dwellings")  # the asset kind's stand-in distribution
SPLIT_KEY = "residential_footprint"  # the engine's rule for splitting an OA
SIZES = ("oa", "lsoa", "msoa")  # place sizes: about 130, 700 and 3,500 households
SIZE_LIMITS = (300.0, 2000.0)  # households: below the first an OA, below the second an LSOA
MIN_SAMPLES = 30
DIST_COLUMNS = ["component", "key", "quantity", "scope", "size", "n", *PCT_COLUMNS]


def load_zones(path: Path | str = ZONES_PATH) -> pd.DataFrame:
    """Each OA's LSOA and MSOA and its LSOA's mid-2020 population (shipped, 2011 codes)."""
    p = Path(path)
    if not p.exists():
        msg = f"{p}: no census zone table; run scripts/build_census_zones.py"
        raise PlacespendError(msg)
    return pd.read_csv(p)


def oa_frame(b: Boundaries, table: AtomTable, zones: pd.DataFrame) -> pd.DataFrame:
    """Per OA inside the wards: its census counts, area and footprint, LSOA, MSOA, and
    ``cut`` (an estate edge splits it among targets)."""
    atoms = table.atoms[["atom_id", "area_code", "ward_code", "estate_id"]].merge(
        table.keys[["atom_id", "area", SPLIT_KEY]], on="atom_id")
    target = atoms["estate_id"].fillna("~" + atoms["ward_code"].astype(str))
    cut = target.groupby(atoms["area_code"]).nunique().gt(1) & atoms["estate_id"].notna(
    ).groupby(atoms["area_code"]).any()
    geo = atoms.groupby("area_code")[["area", SPLIT_KEY]].sum()
    counts = pd.DataFrame(b.small_areas.drop(columns="geometry")).drop_duplicates("area_code")
    counts = counts.set_index("area_code")[[k for k in CENSUS_KEYS if k in counts.columns]]
    out = geo.join(counts, how="inner").join(zones.set_index("area_code"), how="inner")
    out["cut"] = cut.reindex(out.index).fillna(False).astype(bool)
    return out.reset_index()


def split_test(oas: pd.DataFrame) -> pd.DataFrame:
    """Coarser zones as known sources, pushed down to their OAs by each key.

    For source level :math:`Z` (LSOA or MSOA), count :math:`q` and key :math:`k`:
    :math:`\\hat C_i = C_Z(q)\\,k_i / K_Z`, with :math:`k_i` the OA's own value of the key (its
    census count, area or footprint); a zone with none of the key falls back to area, and the
    footprint key falls back to area in a zone without footprint, as the engine splits an OA.
    The footprint rows are the engine's within-OA split, one level up.

    Returns
    -------
    DataFrame
        ``source``, ``quantity``, ``key``, ``area_code``, ``msoa_code``, ``cut``, ``truth``,
        ``estimate``, ``ratio`` (truth / estimate, NaN where the estimate is 0).
    """
    quantities = [k for k in CENSUS_KEYS if k in oas.columns]
    keys = ["area", SPLIT_KEY, *quantities]
    rows = []
    for source in ("lsoa", "msoa"):
        zone = oas[f"{source}_code"]
        for k in keys:
            total = oas[k].groupby(zone).transform("sum")
            area_share = oas["area"] / oas["area"].groupby(zone).transform("sum")
            share = np.where(total > 0, oas[k] / total.where(total > 0), area_share)
            for q in quantities:
                if k == q:
                    continue
                est = oas[q].groupby(zone).transform("sum").to_numpy() * share
                rows.append(pd.DataFrame({
                    "source": source, "quantity": q, "key": k, "area_code": oas["area_code"],
                    "msoa_code": oas["msoa_code"], "cut": oas["cut"],
                    "truth": oas[q].to_numpy(dtype=float), "estimate": est}))
    out = pd.concat(rows, ignore_index=True)
    out["ratio"] = out["truth"] / out["estimate"].where(out["estimate"] > 0)
    return out


def split_summary(test: pd.DataFrame) -> pd.DataFrame:
    """TAE and spread of :func:`split_test` per source, key and count, all OAs and cut OAs."""
    frames = []
    for which, t in (("all", test), ("cut", test[test["cut"]])):
        g = t.assign(abs_error=(t["estimate"] - t["truth"]).abs(),
                     rel=(t["estimate"] - t["truth"]).abs() / t["truth"].where(t["truth"] > 0))
        agg = g.groupby(["source", "key", "quantity"]).agg(
            n=("truth", "size"), abs_error=("abs_error", "sum"), truth=("truth", "sum"),
            p50=("rel", "median"), p90=("rel", lambda x: x.quantile(0.9)))
        agg["total_abs_error_share"] = agg["abs_error"] / agg["truth"]
        frames.append(agg.drop(columns=["abs_error", "truth"]).assign(oas=which))
    return pd.concat(frames).reset_index()


def drift_ratios(oas: pd.DataFrame) -> np.ndarray:
    """Per LSOA: its share of the mid-2020 population over its share of 2011 residents."""
    lsoa = oas.groupby("lsoa_code").agg(res=("residents", "sum"),
                                        pop=("lsoa_population_mid2020", "first"))
    lsoa = lsoa[(lsoa["res"] > 0) & (lsoa["pop"] > 0)]
    return ((lsoa["pop"] / lsoa["pop"].sum()) / (lsoa["res"] / lsoa["res"].sum())).to_numpy()


def size_of(households: float | np.ndarray) -> np.ndarray:
    """The size class (``oa``, ``lsoa``, ``msoa``) of places with these households."""
    return np.array(SIZES)[np.searchsorted(SIZE_LIMITS, np.asarray(households, dtype=float),
                                           side="right")]


def stand_in_samples(scoped_errors: pd.DataFrame, oas: pd.DataFrame) -> pd.DataFrame:
    """Truth / estimate per place for every key and count, each scope and place size.

    Places: OAs, and their LSOAs and MSOAs (truth and estimate summed), from the accuracy
    test's push-down from each ward and from the borough (``AccuracyResult.scoped_errors``).
    """
    e = scoped_errors[scoped_errors["level"] == "oa"].rename(columns={"area_id": "area_code"})
    e = e.merge(oas[["area_code", "lsoa_code", "msoa_code"]], on="area_code")
    frames = [e.assign(size="oa", place=e["area_code"])]
    for size in ("lsoa", "msoa"):
        g = e.groupby(["scope_type", "quantity", "key", f"{size}_code"])[
            ["truth", "estimate"]].sum().reset_index()
        frames.append(g.rename(columns={f"{size}_code": "place"}).assign(size=size))
    cols = ["scope_type", "quantity", "key", "size", "place", "truth", "estimate"]
    out = pd.concat([f[cols] for f in frames], ignore_index=True)
    msoa = {**dict(zip(oas["area_code"], oas["msoa_code"], strict=True)),
            **dict(zip(oas["lsoa_code"], oas["msoa_code"], strict=True)),
            **dict(zip(oas["msoa_code"], oas["msoa_code"], strict=True))}
    out["msoa_code"] = out["place"].map(msoa)
    out["ratio"] = out["truth"] / out["estimate"].where(out["estimate"] > 0)
    return out


def _pcts(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return np.quantile(v, PERCENTILES) if len(v) else np.full(len(PERCENTILES), np.nan)


def _split_ratios(test: pd.DataFrame, q: str) -> pd.Series:
    t = test[(test["source"] == "lsoa") & (test["key"] == SPLIT_KEY) & (test["quantity"] == q)]
    cut = t[t["cut"]]["ratio"].dropna()
    return cut if len(cut) >= MIN_SAMPLES else t["ratio"].dropna()


def distributions(test: pd.DataFrame, samples: pd.DataFrame, drift: np.ndarray
                  ) -> pd.DataFrame:
    """Every error distribution the intervals use, as 99 percentiles of truth / estimate."""
    rows = [{"component": "drift", "key": "", "quantity": "residents", "scope": "", "size": "",
             "n": len(drift), **dict(zip(PCT_COLUMNS, _pcts(drift), strict=True))}]
    for q in sorted(test["quantity"].unique()):
        r = _split_ratios(test, q)
        rows.append({"component": "split", "key": q, "quantity": q, "scope": "", "size": "",
                     "n": len(r), **dict(zip(PCT_COLUMNS, _pcts(r), strict=True))})
    s = samples[samples["key"] != samples["quantity"]].dropna(subset=["ratio"])
    for (scope, k, q, size), g in s.groupby(["scope_type", "key", "quantity", "size"]):
        rows.append({"component": "stand_in", "key": k, "quantity": q, "scope": scope,
                     "size": size, "n": len(g),
                     **dict(zip(PCT_COLUMNS, _pcts(g["ratio"]), strict=True))})
    return pd.DataFrame(rows)[DIST_COLUMNS]


def write_distributions(frame: pd.DataFrame, path: Path | str = DISTRIBUTIONS_PATH) -> Path:
    """Write the distributions table (percentiles rounded to 6 places)."""
    path = Path(path)
    out = frame.copy()
    out[PCT_COLUMNS] = out[PCT_COLUMNS].astype(float).round(6)
    path.write_text(out.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    _load.cache_clear()
    return path


def load_distributions(path: Path | str = DISTRIBUTIONS_PATH) -> pd.DataFrame:
    """The shipped error distributions (see :func:`distributions`); a copy."""
    return _load(str(path)).copy()


@functools.cache
def _load(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        msg = f"{p}: no error distribution table; run `placespend accuracy` to measure it"
        raise PlacespendError(msg)
    return pd.read_csv(p, keep_default_na=False, na_values=[""]).fillna(
        {"key": "", "scope": "", "size": ""})


# ---- calibration: held-out zones and held-out counts ----

def _covered(truth: np.ndarray, est: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (truth >= est * lo) & (truth <= est * hi)


def calibration(test: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """How often the nominal 80% interval holds the truth, on what it was not fitted on.

    * ``split`` / ``zones``: the footprint split's ratio fitted on the cut OAs of every other
      MSOA, tested on each MSOA's cut OAs in turn (per count);
    * ``stand_in`` / ``zones``: each key's ratio for a count, scope and place size fitted on
      places in other MSOAs, tested on this MSOA's OAs and LSOAs;
    * ``stand_in`` / ``counts``: fitted on the key's other counts (pooled), tested on the
      held-out count.

    Returns
    -------
    DataFrame
        ``component``, ``held_out``, ``n``, ``covered`` (fraction), ``below``, ``above``.
    """
    rows = []
    split = test[(test["source"] == "lsoa") & (test["key"] == SPLIT_KEY) & test["cut"]
                 & (test["estimate"] > 0)]
    rows += _zone_folds(split, ["quantity"], "split")
    s = samples[(samples["key"] != samples["quantity"]) & (samples["estimate"] > 0)
                & samples["size"].isin(["oa", "lsoa"])]
    rows += _zone_folds(s, ["scope_type", "key", "quantity", "size"], "stand_in")
    for _, g in s[s["size"] == "oa"].groupby(["scope_type", "key", "size"]):
        for q, held in g.groupby("quantity"):
            rest = g[g["quantity"] != q]["ratio"].dropna()
            if len(rest) < MIN_SAMPLES:
                continue
            lo, hi = np.quantile(rest, [LOW_Q, HIGH_Q])
            rows.append(_fold_row("stand_in", "counts", held, lo, hi))
    frame = pd.DataFrame(rows)
    return frame.groupby(["component", "held_out"]).sum(numeric_only=True).reset_index().assign(
        covered=lambda f: f["n_covered"] / f["n"], below=lambda f: f["n_below"] / f["n"],
        above=lambda f: f["n_above"] / f["n"])


def _fold_row(component: str, held_out: str, held: pd.DataFrame, lo: float, hi: float) -> dict:
    t, e = held["truth"].to_numpy(dtype=float), held["estimate"].to_numpy(dtype=float)
    return {"component": component, "held_out": held_out, "n": len(t),
            "n_covered": int(_covered(t, e, lo, hi).sum()), "n_below": int((t < e * lo).sum()),
            "n_above": int((t > e * hi).sum())}


def _zone_folds(frame: pd.DataFrame, by: list[str], component: str) -> list[dict]:
    rows = []
    for _, g in frame.groupby(by):
        for msoa, held in g.groupby("msoa_code"):
            rest = g[g["msoa_code"] != msoa]["ratio"].dropna()
            if len(rest) < MIN_SAMPLES:
                continue
            lo, hi = np.quantile(rest, [LOW_Q, HIGH_Q])
            rows.append(_fold_row(component, "zones", held, lo, hi))
    return rows


# ---- intervals for the targets of a build ----

@dataclass(frozen=True)
class Interval:
    """Low and high ratio (figure × ratio) of one target, key and count."""

    kind: str
    low_ratio: float
    high_ratio: float


def _index(dists: pd.DataFrame) -> dict[tuple[str, ...], np.ndarray]:
    values = dists[PCT_COLUMNS].to_numpy(dtype=float)
    keys = dists[["component", "key", "quantity", "scope", "size"]].astype(str).itertuples(
        index=False, name=None)
    return {k: v for k, v in zip(keys, values, strict=True) if np.isfinite(v).all()}


def _row(dists: pd.DataFrame | dict, component: str, key: str = "", quantity: str = "",
         scope: str = "", size: str = "") -> np.ndarray | None:
    index = dists if isinstance(dists, dict) else _index(dists)
    return index.get((component, key, quantity, scope, size))


def ratio_interval(kind: str, key: str, quantity: str | None, scope: str, size: str,
                   cut_share: float, dists: pd.DataFrame | dict) -> Interval:
    """The 10th and 90th percentile of :math:`R` for one figure (see the module notes)."""
    drift = _row(dists, "drift", quantity="residents")
    base: float | np.ndarray | None
    if kind == "split":
        rho = _row(dists, "split", key, key)
        base = 1.0 if rho is None else (1 - cut_share) + cut_share * rho
    elif kind == "stand_in":
        base = _row(dists, "stand_in", key, quantity or "", scope, size)
    else:
        base = _row(dists, "stand_in", BORROWED[0], BORROWED[1], scope, size)
        drift = None
    base = np.atleast_1d(np.asarray(1.0 if base is None else base, dtype=float))
    ratios = np.outer(base, drift).ravel() if drift is not None else base
    lo, hi = np.quantile(ratios, [LOW_Q, HIGH_Q])
    return Interval(kind, float(lo), float(hi))


def kind_of(key: str, quantity: str | None) -> str:
    """``split`` (a census key on its own count), ``asset`` or ``stand_in``."""
    if key in ASSET_KEYS or quantity is None:
        return "asset"
    return "split" if key == quantity else "stand_in"


def target_intervals(table: AtomTable, dists: pd.DataFrame | None = None) -> pd.DataFrame:
    """Interval ratios for every target (estate, ward residual), scope type, key and count.

    Returns
    -------
    DataFrame
        ``target_type``, ``target_id``, ``scope_type``, ``key``, ``quantity`` ('' for an
        asset), ``kind``, ``error_group`` (what errors go together: the count, or the asset
        key), ``low_ratio``, ``high_ratio``.
    """
    d = _index(dists if dists is not None else load_distributions())
    atoms = table.atoms[["atom_id", "area_code", "ward_code", "estate_id"]].merge(
        table.keys, on="atom_id")
    atoms["target_type"] = np.where(atoms["estate_id"].notna(), "estate", "residual")
    atoms["target_id"] = atoms["estate_id"].fillna(atoms["ward_code"])
    n_targets = atoms.groupby("area_code")["target_id"].transform("nunique")
    atoms["cut"] = n_targets > 1
    rows = []
    for (ttype, tid), g in atoms.groupby(["target_type", "target_id"]):
        size = str(size_of(g["households"].sum()))
        for key in KEYS:
            total = g[key].sum()
            cut_share = float(g.loc[g["cut"], key].sum() / total) if total > 0 else 0.0
            quantities = ([key] if key in CENSUS_KEYS else [""] if key in ASSET_KEYS
                          else list(CENSUS_KEYS))
            for q in quantities:
                kind = kind_of(key, q or None)
                for scope in ("borough", "ward"):
                    iv = ratio_interval(kind, key, q or None, scope, size, cut_share, d)
                    rows.append((ttype, tid, scope, key, q, kind, q or key, iv.low_ratio,
                                 iv.high_ratio))
    return pd.DataFrame(rows, columns=["target_type", "target_id", "scope_type", "key",
                                       "quantity", "kind", "error_group", "low_ratio",
                                       "high_ratio"])


def combine(lines: pd.DataFrame) -> tuple[int, int]:
    """Low and high of a sum of figures, each with its interval (integer pence).

    Figures in one ``error_group`` (the same count, or the same asset key) err together, so
    their distances to low and high add; the groups' errors are taken as independent, so
    their distances add in quadrature:
    :math:`\\text{high} = \\sum c + \\sqrt{\\sum_g (\\sum_{l \\in g} (h_l - c_l))^2}`, and so
    for low. Lines need ``amount_pence``, ``low_pence``, ``high_pence``, ``error_group``.
    """
    if lines.empty:
        return 0, 0
    g = lines.assign(up=lines["high_pence"] - lines["amount_pence"],
                     down=lines["amount_pence"] - lines["low_pence"])
    g = g.groupby(g["error_group"].fillna(""))[["up", "down"]].sum()
    total = int(lines["amount_pence"].sum())
    return (total - int(np.floor(np.sqrt((g["down"].astype(float) ** 2).sum()))),
            total + int(np.floor(np.sqrt((g["up"].astype(float) ** 2).sum()))))


__all__ = ["FALLBACK_KEY", "NOMINAL", "calibration", "combine", "distributions",
           "drift_ratios", "load_distributions", "load_zones", "oa_frame", "ratio_interval",
           "size_of", "split_summary", "split_test", "stand_in_samples", "target_intervals",
           "write_distributions"]
