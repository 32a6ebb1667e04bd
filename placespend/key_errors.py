"""What the shipped key error table says: how far each apportionment key has missed 2011
Census truth, and the sentences and warnings the build, the reports and the app quote from it.

:mod:`placespend.accuracy` measures the keys and writes ``placespend/data/key_errors.csv``;
this module only reads that table (pandas, no geometry), so code that reads a built store can
quote a key's error without loading the accuracy test.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from placespend import paths
from placespend.errors import PlacespendError
from placespend.keys import CENSUS_KEYS, KEYS

if TYPE_CHECKING:
    from placespend.catalogue import Catalogue, Service

KEY_ERRORS_PATH = paths.KEY_ERRORS_PATH

#: The table's headline basis: a key as a stand-in for a population (see :func:`key_error`).
HEADLINE_BASIS = "population"
#: The scopes a contract is shared over: ward-wide and borough-wide (tested); an estate's own
#: contract goes whole to it ('estate', no apportionment, so no key error).
SCOPES = ("ward", "borough")
DEFAULT_SCOPE = "ward"
ESTATE_CORE_SHARE = 0.5  # an OA belongs to a cluster's test area when this much of it is inside
#: Keys measuring a physical asset (the spend follows the asset, not a population).
ASSET_KEYS: tuple[str, ...] = ("green_space", "trees", "road_length", "waste_points")
#: A key standing in for a count is weak when its total absolute error share is above both:
WEAK_RATIO = 2.0  # twice that of the best stand-in for that count,
WEAK_FLOOR = 0.25  # and a quarter of the count (an eighth of it placed in the wrong areas).

KEY_ERROR_COLUMNS = ("key", "basis", "level", "scope", "p50", "p90", "total_abs_error_share",
                     "max_rel_error", "n_areas", "n_rated", "source")


@dataclass(frozen=True)
class MeasuredKeyError:
    """How far a key has missed census truth (one row of ``key_errors.csv``).

    Fractions: ``p90 = 0.35`` means 9 areas in 10 were missed by at most 35%.
    """

    key: str
    basis: str
    level: str
    p50: float
    p90: float
    total_abs_error_share: float
    max_rel_error: float
    n_areas: int
    source: str

    def sentence(self) -> str:
        """E.g. ``key area has missed population counts by up to 99% per output area …``."""
        where = "output area" if self.level == "oa" else "estate"
        what = {"population": "population counts",
                "age_groups": "age-group counts"}.get(self.basis, f"{self.basis} counts")
        return (f"key {self.key} has missed {what} by up to {self.p90:.0%} per {where} "
                f"(9 in 10 areas; median {self.p50:.0%}) — {self.source}")


def forget_loaded() -> None:
    """Read the table afresh next time (after :func:`placespend.accuracy.write_key_errors`)."""
    _load.cache_clear()


def load_key_errors(path: Path | str = KEY_ERRORS_PATH) -> pd.DataFrame:
    """The measured key errors (see :func:`write_key_errors`); a copy, safe to change."""
    return _load(str(path)).copy()


@functools.cache
def _load(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        msg = f"{p}: no key error table; run `placespend accuracy` to measure the keys"
        raise PlacespendError(msg)
    frame = pd.read_csv(p)
    missing = sorted(set(KEY_ERROR_COLUMNS) - set(frame.columns))
    if missing:
        msg = (f"{p}: missing column(s) {', '.join(missing)}; regenerate it with "
               "`placespend accuracy`")
        raise PlacespendError(msg)
    return frame


def key_error(key: str, basis: str = HEADLINE_BASIS, level: str = "oa", *,
              errors: pd.DataFrame | None = None, scope: str = DEFAULT_SCOPE) -> MeasuredKeyError:
    """How far ``key`` has missed census truth.

    Parameters
    ----------
    key : str
        A key from :data:`placespend.keys.KEYS`.
    basis : str
        ``"population"`` (default: residents, households, dwellings, children 0–4 and
        residents 65+, leaving out the key's own count, i.e. the key as a stand-in for a
        population), ``"age_groups"`` (children 0–4 and residents 65+, own count left out), or
        one count such as ``"council_households"`` (a census key on its own count gives 0).
    level : str
        ``"oa"`` (output areas, about 125 households each) or ``"estate"`` (derived estates).
    errors : DataFrame, optional
        A key error table; the shipped ``key_errors.csv`` by default.
    scope : str
        The scope the count was shared over: ``"ward"`` (default) or ``"borough"``.

    Returns
    -------
    MeasuredKeyError

    Raises
    ------
    PlacespendError
        If the table has no such row, naming what it does have.
    """
    table = errors if errors is not None else load_key_errors()
    if "scope" in table.columns:
        table = table[table["scope"] == scope]
    row = table[(table["key"] == key) & (table["basis"] == basis) & (table["level"] == level)]
    if row.empty:
        msg = (f"key error table: no row for key '{key}', basis '{basis}', level '{level}'. "
               f"Keys: {', '.join(sorted(table['key'].unique()))}; bases: "
               f"{', '.join(sorted(table['basis'].unique()))}; levels: "
               f"{', '.join(sorted(table['level'].unique()))}")
        raise PlacespendError(msg)
    r = row.iloc[0]
    return MeasuredKeyError(key=key, basis=basis, level=level, p50=float(r["p50"]),
                     p90=float(r["p90"]),
                     total_abs_error_share=float(r["total_abs_error_share"]),
                     max_rel_error=float(r["max_rel_error"]), n_areas=int(r["n_areas"]),
                     source=str(r["source"]))


def service_quantity(service: Service) -> str | None:
    """The census count a service's spend follows, as far as the catalogue says.

    The main key when it is a census count; for a generic main key (``area``,
    ``residential_footprint``) the first census count among the alternatives, else
    ``residents``; ``None`` when the main key measures an asset (green space, trees, roads,
    bins): that spend follows the asset, which census truth cannot judge.
    """
    return stands_for(service.key, service.alt_keys)


def stands_for(key: str, alt_keys: tuple[str, ...] | list[str] = ()) -> str | None:
    """What a service keyed on ``key`` (alternatives ``alt_keys``) follows: see
    :func:`service_quantity`, which this is for a service known only by its keys."""
    if key in CENSUS_KEYS:
        return key
    if key in ASSET_KEYS:
        return None
    return next((k for k in alt_keys if k in CENSUS_KEYS), "residents")


def key_sentence(key: str, quantity: str | None, level: str = "estate", *,
                 errors: pd.DataFrame | None = None, measured: bool = True) -> str:
    """What census truth says of ``key`` used for a service that follows ``quantity``.

    ``measured`` false (a store on another council's geography): the key errors were measured
    on the shipped Camden boundaries only, so none is quoted; the sentence says so.

    Each key is scored only against what it stands for, as ``docs/ACCURACY.md`` does: a census
    key on its own count is that count (exact per output area; the split inside an output area
    is tested on its own); another key is scored on the count it stands in for; an asset key
    (``quantity`` None) is not judged by census truth at all.
    """
    label = "age groups" if quantity == "age_groups" else (quantity or "")
    if quantity is None:
        mapped = " (mapped in OpenStreetMap)" if measured else ""
        return (f"key {key} follows an asset{mapped}: census truth cannot test it. See "
                "docs/ACCURACY.md.")
    if key == quantity:
        return (f"key {key} is the count the service stands for "
                f"({KEYS[key].label.lower()}): exact per output area on 2011 Census; inside an "
                "output area an estate edge cuts, it is split by residential footprint "
                "(tested in docs/ACCURACY.md).")
    if not measured:
        return (f"key {key} stands in for {label}: how far it misses was measured on 2011 "
                "Census truth for the shipped boundaries only, not on this geography.")
    e = key_error(key, quantity, level, errors=errors)
    where = "output area" if level == "oa" else "estate"
    return (f"key {key} stands in for {label}: on 2011 Census it missed them by a total "
            f"absolute error of {e.total_abs_error_share:.0%} of the count per {where} "
            f"(9 {where}s in 10 within {e.p90:.0%}) — {e.source}")


def key_warnings(catalogue: Catalogue, errors: pd.DataFrame | None = None, *,
                 stands_for: Mapping[str, str] | None = None, include_alt: bool = False,
                 level: str = "oa") -> list[str]:
    """Warn where a service's key tests weak for the count it stands in for.

    Parameters
    ----------
    catalogue : Catalogue
        The services to check (those not place-based are skipped: their key is unused).
    errors : DataFrame, optional
        A key error table; the shipped ``key_errors.csv`` by default.
    stands_for : mapping, optional
        ``service_id`` -> the count (or pool, e.g. ``"age_groups"``) the service really
        follows, where the catalogue's keys do not say it (youth services keyed on residents
        stand for teenagers: ``"age_groups"`` tests residents as a stand-in for an age group).
        Default: :func:`service_quantity`.
    include_alt : bool
        Also check the alternative keys (they give the figures 'with another key'). Off by
        default: an alternative is often a deliberately different population (dwellings
        beside council households), which this test would call weak.
    level : str
        ``"oa"`` or ``"estate"``.

    Returns
    -------
    list of str
        One sentence per weak (service, key), in catalogue order.

    Notes
    -----
    For the count :math:`q` a service stands for, key :math:`k \\ne q` is weak when

    .. math::

        E(k, q) > \\max\\left(0.25,\\ 2 \\min_{j \\ne q} E(j, q)\\right),

    with :math:`E = \\sum_i |\\hat C_i - C_i| / \\sum_i C_i` the total absolute error share
    (twice the share of the count placed in the wrong areas, as ward totals are kept): above a
    quarter of the count and above twice the best stand-in's (``WEAK_FLOOR``, ``WEAK_RATIO``).
    The share is used rather than the 90th-percentile relative error because the latter is
    driven by areas with a handful of the count (2 council households estimated as 20 is a
    900% miss).
    """
    table = errors if errors is not None else load_key_errors()
    table = table[table["level"] == level]
    if "scope" in table.columns:
        table = table[table["scope"] == DEFAULT_SCOPE]
    chosen = dict(stands_for or {})
    out = []
    for s in catalogue.services:
        q = chosen.get(s.id) or service_quantity(s)
        if not s.place_based or q is None:
            continue
        rows = table[table["basis"] == q].set_index("key")
        stand_ins = rows["total_abs_error_share"].drop(q, errors="ignore")
        if stand_ins.empty:
            continue
        limit = max(WEAK_FLOOR, WEAK_RATIO * float(stand_ins.min()))
        keys = [("key", s.key)] + [("alternative key", a) for a in s.alt_keys if include_alt]
        for role, k in keys:
            if k != q and k in stand_ins.index and float(stand_ins[k]) > limit:
                out.append(_warning(s, role, rows.loc[k], q, str(stand_ins.idxmin()),
                                    float(stand_ins.min()), level))
    return out


def _warning(s: Service, role: str, row: pd.Series, q: str, best: str, best_share: float,
             level: str) -> str:
    where = "output area" if level == "oa" else "estate"
    what = "age groups" if q == "age_groups" else q
    return (f"{s.id} ({s.name}): {role} {row.name} stands in for {what} but missed it on "
            f"2011 Census truth by a total absolute error of {row['total_abs_error_share']:.0%} "
            f"of the count (9 {where}s in 10 within {row['p90']:.0%}); {best} would miss by "
            f"{best_share:.0%}. See docs/ACCURACY.md.")
