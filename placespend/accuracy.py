"""How right is an estate figure? Every apportionment key tested against 2011 Census truth.

A ward-wide figure shared out by a key is an estimate. To measure how far off it may be, this
module takes counts known exactly for every output area (OA) in the shipped 2011 Census counts,
sums each to its ward as if it were a ward-wide contract, shares it back out with every key in
:data:`placespend.keys.KEYS` (in DuckDB, over the engine's own ``atoms`` and ``atom_keys``,
``pipelines/accuracy/``) and compares the result with the truth:

* per output area (exact truth);
* per census-cluster estate, as the union of the whole OAs mostly inside it (exact truth again;
  see :func:`estate_core_oas` for why not the trimmed estate itself).

The area key is also run through :func:`tobler.area_interpolate` as an outside reference.
:func:`refresh_accuracy` writes ``docs/ACCURACY.md`` (+ chart) and the shipped table
``placespend/data/key_errors.csv``, which :func:`key_error` and :func:`key_warnings` read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placespend import _accuracy_report, _sql, intervals, key_errors, paths
from placespend._sql import run_step, steps
from placespend.atoms import AtomTable, build_atoms
from placespend.boundaries import Boundaries, load_boundaries
from placespend.catalogue import Catalogue, load_catalogue
from placespend.errors import BoundaryError
from placespend.key_errors import (
    DEFAULT_SCOPE,
    ESTATE_CORE_SHARE,
    HEADLINE_BASIS,
    KEY_ERROR_COLUMNS,
    KEY_ERRORS_PATH,
    SCOPES,
    key_warnings,
)
from placespend.keys import CENSUS_KEYS, FALLBACK_KEY, KEYS
from placespend.store import write_table

log = logging.getLogger(__name__)

PIPELINE_DIR = _sql.ACCURACY_DIR
REPORT_PATH = paths.ACCURACY_REPORT_PATH
SOURCE = "placespend accuracy on 2011 Census, Camden"

#: Pooled bases: several counts at once, each leaving out the key's own count. Council
#: households stay out of "population": tenure is concentrated in a way no other count is, and
#: is tested on its own.
POOLS: dict[str, tuple[str, ...]] = {
    "population": tuple(k for k in CENSUS_KEYS if k != "council_households"),
    "age_groups": ("children_0_4", "residents_65_plus"),
}
LEVELS = ("oa", "estate")
N_WORST = 3

@dataclass
class AccuracyResult:
    """Everything :func:`run_accuracy` measured.

    Attributes
    ----------
    oa_errors : DataFrame
        ``quantity``, ``key``, ``area_code``, ``truth``, ``estimate``, ``error``,
        ``abs_error``, ``rel_error`` (NULL/NaN where the truth is 0), ``fell_back``.
    estate_errors : DataFrame
        The same per census-cluster estate (``estate_id``, ``n_oas``) over its core OAs.
    summary : DataFrame
        ``level``, ``basis``, ``key``, ``n_areas``, ``n_rated``, ``total_abs_error_share``,
        ``p50``, ``p90``, ``max_rel_error`` (fractions).
    worst : DataFrame
        The areas each key missed most (by absolute error) per level and count.
    tobler : DataFrame
        Per count: tobler's area-weighted errors and its largest difference from the SQL area
        key, with tobler's own float32 overlap table and with a float64 one.
    tobler_estimates : DataFrame
        ``quantity``, ``area_code``, ``sql``, ``tobler``, ``tobler_float64`` (area key).
    estate_oas : DataFrame
        ``estate_id``, ``area_code``: the OAs each tested cluster is compared on.
    estate_names : dict
        ``estate_id`` -> name.
    quantities : tuple of str
        The census counts tested.
    notes : list of str
        What was left out or fell back.
    scoped_errors : DataFrame
        ``level``, ``scope_type``, ``quantity``, ``key``, ``area_id``, ``truth``,
        ``estimate``, ``error``, ``abs_error``, ``rel_error``: every area at every scope
        (:attr:`oa_errors`, :attr:`estate_errors` and :attr:`worst` hold the ward scope).
    scope_pence : dict
        ``scope_type`` -> pence apportioned over that scope in the store the weights came from
        (``'estate'``: direct, no key); empty when no store was read.
    """

    oa_errors: pd.DataFrame
    estate_errors: pd.DataFrame
    summary: pd.DataFrame
    worst: pd.DataFrame
    tobler: pd.DataFrame
    tobler_estimates: pd.DataFrame
    estate_oas: pd.DataFrame
    estate_names: dict[str, str]
    quantities: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    scoped_errors: pd.DataFrame = field(default_factory=pd.DataFrame)
    scope_pence: dict[str, int] = field(default_factory=dict)
    split: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    distributions: pd.DataFrame = field(default_factory=pd.DataFrame)

    def figure(self, key: str, basis: str, level: str = "oa",
               scope: str = DEFAULT_SCOPE) -> pd.Series:
        """One row of :attr:`summary`."""
        s = self.summary
        return s[(s["key"] == key) & (s["basis"] == basis) & (s["level"] == level)
                 & (s["scope_type"] == scope)].iloc[0]

    def weighted_share(self, key: str, basis: str, level: str = "oa") -> float:
        """Total absolute error share weighted by the pounds each scope carries.

        :math:`\\sum_s w_s E_s(k, q) / \\sum_s w_s`, with :math:`w_s` the pence shared over
        scope :math:`s` in the store (:attr:`scope_pence`) and :math:`E_{\\text{estate}} = 0`
        (an estate's own contract is not shared out). NaN when no weights were read.
        """
        total = sum(self.scope_pence.values())
        if not total:
            return float("nan")
        return sum(w * float(self.figure(key, basis, level, s)["total_abs_error_share"])
                   for s, w in self.scope_pence.items() if s in SCOPES) / total

    def key_errors(self) -> pd.DataFrame:
        """The summary in the shape of ``key_errors.csv`` (fractions rounded to 4 places)."""
        out = self.summary.rename(columns={"scope_type": "scope"}).assign(source=SOURCE)
        for col in ("p50", "p90", "total_abs_error_share", "max_rel_error"):
            out[col] = out[col].astype(float).round(4)
        order = {"level": {v: i for i, v in enumerate(LEVELS)},
                 "scope": {v: i for i, v in enumerate(SCOPES)},
                 "key": {k: i for i, k in enumerate(KEYS)}}
        out = out.sort_values(["level", "scope", "key", "basis"],
                              key=lambda c: c.map(order[c.name]) if c.name in order else c)
        return out[list(KEY_ERROR_COLUMNS)].reset_index(drop=True)


def run_accuracy(boundaries: Boundaries | None = None, *, n_worst: int = N_WORST,
                 scope_pence: Mapping[str, int] | None = None) -> AccuracyResult:
    """Test every key against census truth at output-area and estate level.

    Parameters
    ----------
    boundaries : Boundaries, optional
        Layers to test on; the shipped Camden layers by default. Small areas need census
        counts (a count the file lacks is not tested).
    n_worst : int
        How many worst areas to keep per level, count and key.
    scope_pence : mapping, optional
        Pence shared over each scope (``'borough'``, ``'ward'``, ``'estate'``), to weight the
        headline error by where the money is (:func:`store_scope_pence` reads a store's).

    Returns
    -------
    AccuracyResult

    Raises
    ------
    BoundaryError
        If the small areas carry no census count at all.

    Notes
    -----
    For a count :math:`C` known on every output area :math:`i`, the ward total is
    :math:`T_w = \\sum_{a \\in w} C_a` over the ward's atoms. Shared back out with key
    :math:`k` (weight :math:`k_a` on atom :math:`a`, :math:`K_w = \\sum_{a \\in w} k_a`):

    .. math::

        \\hat C_i = \\sum_{a \\in i} T_{w(a)} \\frac{k_a}{K_{w(a)}}, \\qquad
        e_i = \\frac{|\\hat C_i - C_i|}{C_i} \\ (C_i > 0), \\qquad
        E = \\frac{\\sum_i |\\hat C_i - C_i|}{\\sum_i C_i}.

    A census key tested on its own count is exact: its atoms split :math:`C_i` and sum back
    to it, so :math:`\\hat C_i = C_i`. Where a ward holds none of a key, the key falls back to
    ``area`` as in the engine.
    """
    b = boundaries if boundaries is not None else load_boundaries()
    table = build_atoms(b)
    quantities = tested_counts(b, table)
    estate_oas = estate_core_oas(table.atoms, b.estates)
    frames = _run_sql(table, _truth(b.small_areas, quantities), estate_oas, quantities, n_worst)
    scoped = _scoped(frames)
    frames = {name: _ward_scope(f) if name != "accuracy_summary" else f
              for name, f in frames.items()}
    tobler_est = tobler_estimates(b, table, frames["accuracy_ward_totals"],
                                  frames["accuracy_oa_errors"])
    notes = _notes(table, b, frames, estate_oas)
    split, calib, dists = _interval_tests(b, table, scoped)
    return AccuracyResult(
        split=split,
        calibration=calib,
        distributions=dists,
        oa_errors=frames["accuracy_oa_errors"],
        estate_errors=frames["accuracy_estate_errors"],
        summary=frames["accuracy_summary"],
        worst=frames["accuracy_worst"],
        scoped_errors=scoped,
        scope_pence=dict(scope_pence or {}),
        tobler=tobler_check(tobler_est, frames["accuracy_oa_errors"]),
        tobler_estimates=tobler_est,
        estate_oas=estate_oas,
        estate_names=dict(zip(b.estates["estate_id"], b.estates["name"], strict=True)),
        quantities=quantities,
        notes=notes,
    )


def _interval_tests(b: Boundaries, table: AtomTable, scoped: pd.DataFrame
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The within-OA split test, the interval's calibration and its distributions (empty
    when the small areas are not the 2011 OAs the shipped zone table knows)."""
    oas = intervals.oa_frame(b, table, intervals.load_zones())
    if oas.empty:
        empty = pd.DataFrame()
        return empty, empty, empty
    test = intervals.split_test(oas)
    samples = intervals.stand_in_samples(scoped, oas)
    return (intervals.split_summary(test), intervals.calibration(test, samples),
            intervals.distributions(test, samples, intervals.drift_ratios(oas)))


def _ward_scope(frame: pd.DataFrame) -> pd.DataFrame:
    if "scope_type" not in frame.columns:
        return frame
    return frame[frame["scope_type"] == DEFAULT_SCOPE].reset_index(drop=True)


def _scoped(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    cols = ["scope_type", "quantity", "key", "area_id", "truth", "estimate", "error",
            "abs_error", "rel_error"]
    oa = frames["accuracy_oa_errors"].rename(columns={"area_code": "area_id"})
    est = frames["accuracy_estate_errors"].rename(columns={"estate_id": "area_id"})
    return pd.concat([oa[cols].assign(level="oa"), est[cols].assign(level="estate")],
                     ignore_index=True)[["level", *cols]]


def store_scope_pence(db_file: Path | str | None = None) -> dict[str, int]:
    """Pence shared over each scope in a built store (default: the default store).

    ``'borough'`` and ``'ward'``: apportioned groups; ``'estate'``: an estate's own contracts
    (direct). Signed totals, absolute values summed, so refunds do not cancel spend. Empty when
    there is no store.
    """
    path = Path(db_file) if db_file is not None else paths.db_path()
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select scope_type, sum(abs(total_pence))::bigint from spend_groups "
            "where basis in ('apportioned', 'direct') group by scope_type").fetchall()
    return {str(s): int(p) for s, p in rows}


def tested_counts(b: Boundaries, table: AtomTable) -> tuple[str, ...]:
    """The census counts the small areas really carry (not fallen back to area)."""
    found = tuple(k for k in CENSUS_KEYS
                  if k in b.small_areas.columns and k not in table.fallbacks)
    if not found:
        msg = (f"{b.sources.get('small_areas', 'small areas')}: no census counts "
               f"({', '.join(CENSUS_KEYS)}), so there is no truth to test the keys on; "
               "use small areas with 2011 Census counts (the shipped layer has them)")
        raise BoundaryError(msg)
    return found


def estate_core_oas(atoms: gpd.GeoDataFrame, estates: gpd.GeoDataFrame,
                    share: float = ESTATE_CORE_SHARE) -> pd.DataFrame:
    """The whole output areas each census-cluster estate is tested on.

    Census clusters were built as unions of OAs, then trimmed where an OSM estate overlaps
    them. The trimmed estate has no exact truth (its count is itself split by footprint), so
    each cluster is compared on the whole OAs at least ``share`` of whose area lies inside it:
    the OAs it was built from, less any an OSM estate took more than half of. Truth and
    estimate are both summed over those whole OAs.
    OSM estates cut across OAs and are not tested at estate level.

    Returns
    -------
    DataFrame
        ``estate_id``, ``area_code`` (empty when there are no derived estates).
    """
    if "source" not in estates.columns:
        return pd.DataFrame({"estate_id": pd.Series(dtype=object),
                             "area_code": pd.Series(dtype=object)})
    clusters = set(estates.loc[estates["source"] == "derived_from_blocks", "estate_id"])
    area = atoms.geometry.area
    oa_area = area.groupby(atoms["area_code"]).sum()
    on = atoms["estate_id"].isin(clusters)
    inside = area[on].groupby([atoms.loc[on, "estate_id"], atoms.loc[on, "area_code"]]).sum()
    frac = inside / oa_area.reindex(inside.index.get_level_values(1)).to_numpy()
    core = frac[frac >= share].reset_index()[["estate_id", "area_code"]]
    return core.sort_values(["estate_id", "area_code"], ignore_index=True)


def _truth(small_areas: gpd.GeoDataFrame, quantities: tuple[str, ...]) -> pd.DataFrame:
    counts = pd.DataFrame(small_areas[["area_code", *quantities]])
    long = counts.melt(id_vars="area_code", var_name="quantity", value_name="truth")
    return long.astype({"truth": float})


def _bases(quantities: tuple[str, ...]) -> pd.DataFrame:
    rows = [(q, q, False) for q in quantities]
    rows += [(name, q, True) for name, members in POOLS.items() for q in members
             if q in quantities]
    return pd.DataFrame(rows, columns=["basis", "quantity", "pooled"])


def _run_sql(table: AtomTable, truth: pd.DataFrame, estate_oas: pd.DataFrame,
             quantities: tuple[str, ...], n_worst: int) -> dict[str, pd.DataFrame]:
    inputs = {
        "atoms": pd.DataFrame(table.atoms.drop(columns="geometry")),
        "atom_keys": table.long_keys(),
        "accuracy_truth": truth,
        "accuracy_estate_oas": estate_oas,
        "accuracy_bases": _bases(quantities),
    }
    params = {"fallback_key": FALLBACK_KEY, "n_worst": n_worst}
    with duckdb.connect() as con:
        for name, frame in inputs.items():
            write_table(con, name, frame)
        out = {}
        for step in steps(PIPELINE_DIR, first=1):
            run_step(con, step, params)
            out[step.table] = con.execute(f'select * from "{step.table}"').df()
    return out


def overlap_table(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame):
    """Source × target intersection areas in float64 (tobler's own table is float32).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``[i, j]`` = area of source ``i`` ∩ target ``j`` in m².
    """
    from scipy.sparse import coo_matrix

    tgt, src = source.sindex.query(target.geometry.to_numpy(), predicate="intersects")
    areas = shapely.area(shapely.intersection(source.geometry.to_numpy()[src],
                                              target.geometry.to_numpy()[tgt]))
    shape = (len(source), len(target))
    return coo_matrix((areas, (src, tgt)), shape=shape, dtype=np.float64).tocsr()


def tobler_estimates(b: Boundaries, table: AtomTable, ward_totals: pd.DataFrame,
                     oa_errors: pd.DataFrame) -> pd.DataFrame:
    """The area-key test run through :func:`tobler.area_interpolate`, beside the SQL result.

    Source: the OA-aligned wards with the ward totals as extensive variables; target: the
    output areas. Three runs, to tell apart the two ways they can differ:

    * ``tobler``: tobler's defaults on the shipped OAs (its overlap table is float32);
    * ``tobler_float64``: the shipped OAs with a float64 overlap table (:func:`overlap_table`);
    * ``tobler_atoms``: a float64 table on the OAs as the atoms cover them (the atoms drop
      overlay slivers under :data:`placespend.atoms.MIN_ATOM_M2`), the geometry the engine uses.

    Returns
    -------
    DataFrame
        ``quantity``, ``area_code``, ``sql``, ``tobler``, ``tobler_float64``, ``tobler_atoms``.

    Notes
    -----
    tobler's extensive estimate (``allocate_total=True``) is
    :math:`\\hat C_j = \\sum_w T_w \\, a_{wj} / \\sum_k a_{wk}` with :math:`a_{wj}` the area
    of ward :math:`w` ∩ OA :math:`j`. As the wards are unions of OAs, :math:`a_{wj}` is the
    OA's area in its own ward and 0 (or a sliver) elsewhere, which is the SQL area key.
    """
    from tobler.area_weighted import area_interpolate

    if "scope_type" in ward_totals.columns:
        ward_totals = ward_totals[ward_totals["scope_type"] == DEFAULT_SCOPE]
    wide = ward_totals.pivot(index="ward_code", columns="quantity", values="ward_total")
    quantities = list(wide.columns)
    source = b.wards[["ward_code", "geometry"]].join(wide, on="ward_code")
    source[quantities] = source[quantities].fillna(0.0)
    shipped = b.small_areas[["area_code", "geometry"]].reset_index(drop=True)
    covered = table.atoms.dissolve(by="area_code").reset_index()[["area_code", "geometry"]]
    runs = {
        "tobler": (shipped, None),
        "tobler_float64": (shipped, overlap_table(source, shipped)),
        "tobler_atoms": (covered, overlap_table(source, covered)),
    }
    cols = []
    for name, (target, overlaps) in runs.items():
        got = area_interpolate(source, target, extensive_variables=quantities, table=overlaps)
        got = pd.DataFrame(got[quantities].to_numpy(), columns=quantities,
                           index=pd.Index(target["area_code"], name="area_code"))
        cols.append(got.stack().rename(name))
    est = pd.concat(cols, axis=1).reorder_levels([1, 0]).rename_axis(["quantity", "area_code"])
    sql = oa_errors[oa_errors["key"] == "area"].set_index(["quantity", "area_code"])["estimate"]
    est["sql"] = sql.reindex(est.index)
    est = est.reset_index().sort_values(["quantity", "area_code"], ignore_index=True)
    return est[["quantity", "area_code", "sql", *runs]]


def tobler_check(est: pd.DataFrame, oa_errors: pd.DataFrame) -> pd.DataFrame:
    """Per count: tobler's errors against the truth and its largest gap from the SQL area key.

    ``max_rel_diff_*`` is :math:`\\max_j |a_j - b_j| / \\max(|a_j|, |b_j|)` over the OAs.
    """
    truth = oa_errors.drop_duplicates(["quantity", "area_code"]).set_index(
        ["quantity", "area_code"])["truth"]
    rows = []
    for q, g in est.groupby("quantity", sort=False):
        t = truth.reindex(pd.MultiIndex.from_frame(g[["quantity", "area_code"]])).to_numpy()
        err = np.abs(g["tobler"].to_numpy() - t)
        rel = err[t > 0] / t[t > 0]
        rows.append({
            "quantity": q,
            "total_abs_error_share": err.sum() / t.sum(),
            "p50": float(np.quantile(rel, 0.5)),
            "p90": float(np.quantile(rel, 0.9)),
            "max_rel_diff": _max_rel_diff(g["sql"], g["tobler"]),
            "max_rel_diff_float64": _max_rel_diff(g["sql"], g["tobler_float64"]),
            "max_rel_diff_atoms": _max_rel_diff(g["sql"], g["tobler_atoms"]),
        })
    return pd.DataFrame(rows)


def _max_rel_diff(a: pd.Series, b: pd.Series) -> float:
    x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    scale = np.maximum(np.maximum(np.abs(x), np.abs(y)), 1e-12)
    return float(np.max(np.abs(x - y) / scale)) if len(x) else 0.0


def _notes(table: AtomTable, b: Boundaries, frames: dict[str, pd.DataFrame],
           estate_oas: pd.DataFrame) -> list[str]:
    notes = []
    fell = frames["accuracy_oa_errors"]
    fell = sorted(fell.loc[fell["fell_back"], "key"].unique())
    if fell:
        notes.append(f"key(s) {', '.join(fell)} are absent from some ward, which falls back "
                     f"to {FALLBACK_KEY} there, as in the engine")
    n_oa = b.small_areas["area_code"].nunique()
    tested = frames["accuracy_oa_errors"]["area_code"].nunique()
    if tested < n_oa:
        notes.append(f"{n_oa - tested} small area(s) lie outside every ward and are not tested")
    source = b.estates.get("source", pd.Series(dtype=object))
    clusters = int((source == "derived_from_blocks").sum())
    kept = estate_oas["estate_id"].nunique()
    if clusters > kept:
        notes.append(f"{clusters - kept} of {clusters} derived estates hold no OA with at "
                     f"least {ESTATE_CORE_SHARE:.0%} of its area inside them and are not "
                     "tested at estate level")
    return notes


def summary_lines(result: AccuracyResult, level: str = "oa") -> list[str]:
    """One line per key, best first, for the command line: residents and population error."""
    s = result.summary[(result.summary["level"] == level)
                       & (result.summary["scope_type"] == DEFAULT_SCOPE)]
    pop = s[s["basis"] == HEADLINE_BASIS].set_index("key").sort_values("total_abs_error_share")
    res = s[s["basis"] == "residents"].set_index("key")
    return [f"{k:<22} residents TAE {res.loc[k, 'total_abs_error_share']:>5.0%}   "
            f"population TAE {r.total_abs_error_share:>5.0%}, p90 {r.p90:>5.0%}"
            for k, r in zip(pop.index, pop.itertuples(), strict=True) if k in res.index]


# ---- the shipped table and what the engine and the app ask of it ----

def write_key_errors(result: AccuracyResult, path: Path | str = KEY_ERRORS_PATH) -> Path:
    """Write ``key_errors.csv``: one row per (level, key, basis), fractions, with its source."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    result.key_errors().to_csv(path, index=False, lineterminator="\n")
    key_errors.forget_loaded()
    return path


def refresh_accuracy(report_path: Path | str = REPORT_PATH,
                     key_errors_path: Path | str = KEY_ERRORS_PATH,
                     boundaries: Boundaries | None = None,
                     catalogue: Catalogue | None = None,
                     store: Path | str | None = None) -> AccuracyResult:
    """Run the test, then write the key error table and the report (+ chart).

    This is what ``placespend accuracy`` does.

    Parameters
    ----------
    report_path : Path or str
        The Markdown report (default ``docs/ACCURACY.md``); its chart goes beside it.
    key_errors_path : Path or str
        The key error table read by :func:`key_error` (default the shipped one).
    boundaries : Boundaries, optional
        Defaults to the shipped Camden layers.
    catalogue : Catalogue, optional
        Whose key warnings the report lists; the shipped catalogue by default.
    store : Path or str, optional
        The built store whose spend weights the headline by scope (the default store when
        omitted; no weighting when it does not exist).
    """
    result = run_accuracy(boundaries, scope_pence=store_scope_pence(store))
    write_key_errors(result, key_errors_path)
    if not result.distributions.empty and boundaries is None:
        intervals.write_distributions(result.distributions)
    write_report(result, report_path, catalogue)
    return result


def write_report(result: AccuracyResult, path: Path | str = REPORT_PATH,
                 catalogue: Catalogue | None = None) -> Path:
    """Write the Markdown report and its chart (``accuracy.png`` beside it).

    Parameters
    ----------
    result : AccuracyResult
    path : Path or str
        Where the Markdown goes (default ``docs/ACCURACY.md``).
    catalogue : Catalogue, optional
        Whose key warnings (main and alternative keys) the report lists, judged on this
        result rather than the shipped table; the shipped catalogue by default.

    Returns
    -------
    Path
        The report written.
    """
    cat = catalogue if catalogue is not None else load_catalogue()
    errors = result.key_errors()
    warnings = {"main": key_warnings(cat, errors),
                "alt": key_warnings(cat, errors, include_alt=True)}
    return _accuracy_report.write(result, Path(path), warnings)
