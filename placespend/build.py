"""One build: boundaries and spend in, a reconciled DuckDB store out.

The steps, each reported to ``on_step`` for progress display:

1. load and validate the service catalogue;
2. load and validate boundaries (shipped, or the user's wards / small areas / estates);
3. build atoms and key values (geopandas);
4. generate the synthetic demo spend, unless the user brought spend files;
5. ingest spend (accepted + quarantined) and the contracts register;
6. apportion (``pipelines/*.sql``) and reconcile, failing loudly on any lost penny;
7. swap the new store in atomically.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from placespend import (
    __version__,
    atoms,
    boundaries,
    capital,
    catalogue,
    column_mapping,
    demo,
    geography,
    geometry_cache,
    ingest,
    intervals,
    key_errors,
    money,
    paths,
    register,
    store,
    suppliers,
)
from placespend import contracts as contracts_mod
from placespend._sql import query
from placespend.apportion import apportion
from placespend.errors import InputFileError
from placespend.keys import CENSUS_KEYS, FALLBACK_KEY
from placespend.reconcile import Reconciliation, check
from placespend.store import write_table

StepReporter = Callable[[str], None]

class Step(StrEnum):
    """The steps a build reports, in order; each is the text shown while it runs."""

    CATALOGUE = "Loading the service catalogue"
    BOUNDARIES = "Loading boundaries"
    ATOMS = "Building atoms and keys"
    SPEND_FILES = "Preparing spend files"
    INGEST = "Ingesting spend and contracts"
    APPORTION = "Apportioning"
    RECONCILE = "Reconciling and saving"


STEPS: tuple[Step, ...] = tuple(Step)


@dataclass(frozen=True)
class BuildInputs:
    """What a build reads; ``None`` means the shipped default (demo spend for spend)."""

    spend: tuple[Path, ...] = ()
    contracts: Path | None = None
    contracts_mapping: Path | None = None
    boundaries: Path | None = None
    catalogue: Path | None = None
    estates: Path | None = None
    wards: Path | None = None
    small_areas: Path | None = None
    mapping: Path | None = None
    borough: Path | None = None
    wards_display: Path | None = None
    buildings: Path | None = None
    green_spaces: Path | None = None
    trees: Path | None = None
    roads: Path | None = None
    waste_points: Path | None = None
    nonresidential_land: Path | None = None
    borough_code: str | None = None
    borough_name: str | None = None
    capital_programme: Path | None = None

    def layer_files(self) -> dict[str, Path]:
        """The boundary layers given one by one (``wards``, ``trees``, …) -> their files."""
        return {name: getattr(self, name) for name in boundaries.LAYERS
                if getattr(self, name, None) is not None}


@dataclass
class BuildResult:
    """What a build produced."""

    db_path: Path
    is_demo: bool
    reconciliation: Reconciliation
    notes: list[str] = field(default_factory=list)


def build(
    home: Path | str | None = None,
    inputs: BuildInputs | None = None,
    *,
    db_path: Path | None = None,
    on_step: StepReporter | None = None,
    memory_limit: str | None = None,
    cache_dir: Path | Literal[False] | None = None,
) -> BuildResult:
    """Build the store in ``home`` (or at ``db_path``) from ``inputs``, with DuckDB's memory
    capped at ``memory_limit`` (default: ``PLACESPEND_MEMORY_LIMIT`` or 1 GB).

    The boundaries, atoms and keys are reused from ``cache_dir`` (default: ``cache/`` in the
    home folder) when an earlier build read the same boundary files with the same code (see
    :mod:`placespend.geometry_cache`); ``cache_dir=False`` computes them and keeps nothing.

    Raises
    ------
    PlacespendError
        For any problem with the inputs, naming the file, row and fix.
    """
    inputs = inputs or BuildInputs()
    report = on_step or (lambda _step: None)
    target = db_path or paths.db_path(home)
    memory_limit = store.memory_limit(memory_limit)  # a wrong size fails before any work
    with store.build_lock(target.parent):
        store.check_target(target)  # before the long steps, not at the swap
        report(Step.CATALOGUE)
        mapping = _mapping(inputs.mapping)
        register_mapping = _contracts_mapping(inputs)
        ingest.check_spend_files(inputs.spend, mapping)  # a wrong file fails in a second
        cat = catalogue.load_catalogue(inputs.catalogue)
        report(Step.BOUNDARIES)
        cache = None if cache_dir is False else cache_dir or paths.cache_dir(home)
        stage = geometry_cache.load_or_compute(inputs.boundaries, inputs.layer_files(), cache)
        bounds, atom_table = stage.bounds, stage.atom_table
        geo = geography.from_boundaries(bounds, inputs.borough_code, inputs.borough_name)
        report(Step.ATOMS)
        notes = [*bounds.notes, *_geography_notes(cat, bounds, atom_table, geo)]
        reused = stage.note(cache) if cache is not None else None
        if reused:
            notes.append(reused)
        report(Step.SPEND_FILES)
        spend, contracts, is_demo = _spend_files(home, inputs, cat, bounds)
        if is_demo:
            notes.insert(0, demo.DEMO_LABEL)
        with store.staged(target, memory_limit) as con:
            _write_reference(con, cat, bounds, atom_table)
            report(Step.INGEST)
            spend_report = ingest.load_spend(con, list(spend), mapping)
            ingest.refuse_unusable_files(con, spend_report)
            notes += spend_report.notes
            if register_mapping is None:
                register.load_contracts(con, contracts)
                register.check_contract_services(con, [s.id for s in cat.services])
                register.check_contract_scopes(
                    con, bounds.wards["ward_code"], bounds.estates["estate_id"]
                )
            else:
                assert contracts is not None  # _contracts_mapping refuses a mapping alone
                contracts_mod.load_register(con, contracts, register_mapping, cat,
                                            bounds.wards["ward_code"],
                                            bounds.estates["estate_id"])
            threshold = (register_mapping.near_match if register_mapping
                         else suppliers.NEAR_MATCH_THRESHOLD)
            matches = suppliers.match_suppliers(con, threshold)
            report(Step.APPORTION)
            apportion(con, borough_code=geo.borough_code)
            notes += overlap_notes(con)
            notes += contracts_mod.notes(con, matches)
            notes += capital.unread_notes(con)
            write_table(con, "capital_programme",
                        capital.programme_table(con, inputs.capital_programme, is_demo))
            report(Step.RECONCILE)
            result = check(con)
            _write_build_info(con, inputs, spend, is_demo, notes, geo)
    return BuildResult(target, is_demo, result, notes)


def overlap_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One build note per set of overlapping contracts that claim the same payments.

    Contracts for one supplier and service (or purpose) whose dates overlap and whose scopes
    differ cannot be told apart by a payment; ``04_int_spend_lines`` then sends those payments
    borough-wide (``link_status = 'ambiguous contract'``). The note names the contracts, the
    dates they share, the lines and pounds affected, and the rule, so nobody reads the
    borough-wide figure as a finding.
    """
    found = query(con, "contract_overlaps")
    if found.empty:
        return []
    contracts = con.execute(
        "select contract_id, supplier, coalesce(service_id, purpose) as service, scope_type, "
        "scope_code, start_date, end_date from contracts").df().set_index("contract_id")
    return [_overlap_note(contracts.loc[list(r.contract_ids)], r) for r in found.itertuples()]


def _overlap_note(claims: pd.DataFrame, found) -> str:
    ids = [str(i) for i in claims.index]
    named = ", ".join(f"'{i}'" for i in ids[:-1]) + f" and '{ids[-1]}'"
    scopes = "; ".join(
        f"'{i}' {c.scope_type}" + (f" {c.scope_code}" if c.scope_type != "borough" else "")
        for i, c in claims.iterrows())
    starts, ends = claims["start_date"].dropna(), claims["end_date"].dropna()
    since = str(pd.Timestamp(starts.max()).date()) if len(starts) else "their start"
    until = str(pd.Timestamp(ends.min()).date()) if len(ends) else "open-ended"
    first, last = found.first_payment.date(), found.last_payment.date()
    paid = f"paid {first}" if first == last else f"paid {first} to {last}"
    lines = (f"{found.lines:,} payment line{'s' if found.lines != 1 else ''} of "
             f"{money.exact(found.amount_pence)} ({paid})")
    each = "both" if len(ids) == 2 else f"all {len(ids)}"
    match, they = ("matches", "it is") if found.lines == 1 else ("match", "they are")
    return (
        f"Contracts {named} ({claims['supplier'].iloc[0]}, {claims['service'].iloc[0]}) overlap "
        f"from {since} to {until} with different scopes ({scopes}). {lines} {match} {each}, "
        "so by the linking rule (a payment matching contracts with different scopes goes "
        f"borough-wide) {they} shared borough-wide as 'ambiguous contract'. To place the "
        "money, give each contract its own service or purpose, or dates that do not overlap."
    )


def _spend_files(
    home, inputs: BuildInputs, cat, bounds
) -> tuple[tuple[Path, ...], Path | None, bool]:
    if inputs.spend:
        return inputs.spend, inputs.contracts, False
    files, _kept = demo.ensure_demo(
        paths.demo_dir(home),
        cat,
        ward_codes=sorted(bounds.wards["ward_code"]),
        estate_ids=sorted(bounds.estates["estate_id"]),
    )
    return (files.spend,), inputs.contracts or files.contracts, True


def _mapping(path: Path | None):
    return None if path is None else column_mapping.ColumnMapping.from_file(path)


def _contracts_mapping(inputs: BuildInputs) -> contracts_mod.ContractsMapping | None:
    if inputs.contracts_mapping is None:
        return None
    if inputs.contracts is None:
        msg = ("a contracts mapping was given without a contracts register; pass the register "
               "with --contracts, or leave out --contracts-mapping")
        raise InputFileError(msg)
    return contracts_mod.load_contracts_mapping(inputs.contracts_mapping)


def _geography_notes(cat, bounds, atom_table, geo: geography.Geography) -> list[str]:
    """The atoms' notes with every key fall-back named with its services, then the key
    advice: measured errors where they were measured, else a note that they were not."""
    counts = {k for k in atom_table.fallbacks if k in CENSUS_KEYS}
    plain = {atoms.count_fallback_note(k) for k in counts}
    notes = [n for n in atom_table.notes if n not in plain and n not in bounds.notes]
    notes += geography.fallback_notes(cat.services, dict.fromkeys(counts, FALLBACK_KEY),
                                      boundaries.missing_key_layers(bounds))
    if geo.user_geography:
        notes.append(f"Borough: {geo.borough_label}; source: {geo.borough_source}.")
        return [*notes, geography.NOT_MEASURED]
    return [*notes, *key_errors.key_warnings(cat)]


def _write_reference(con: duckdb.DuckDBPyConnection, cat, bounds, atom_table) -> None:
    """Catalogue, atoms and boundary attributes (estate geometry as WKB) into the store."""
    for name, frame in cat.to_frames().items():
        write_table(con, name, frame)
    write_table(con, "atoms", pd.DataFrame(atom_table.atoms.drop(columns="geometry")))
    write_table(con, "atom_keys", atom_table.long_keys())
    write_table(con, "key_errors", key_errors.load_key_errors())
    write_table(con, "target_intervals", intervals.target_intervals(atom_table))
    write_table(con, "service_quantities", pd.DataFrame(
        [(s.id, key_errors.service_quantity(s) or "") for s in cat.services],
        columns=["service_id", "quantity"]))
    write_table(con, "estates", _with_wkb(bounds.estates))
    write_table(con, "wards", _with_wkb(bounds.wards))


def _with_wkb(frame) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns="geometry"))
    out["geometry_wkb"] = frame.geometry.to_wkb()
    return out


def _write_build_info(con, inputs: BuildInputs, spend, is_demo: bool, notes: list[str],
                      geo: geography.Geography) -> None:
    info = {
        "placespend_version": __version__,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "is_demo": is_demo,
        "spend_files": [str(p) for p in spend],
        "inputs": {k: str(v) for k, v in vars(inputs).items() if v not in (None, ())},
        "notes": notes,
        "geography": geography.to_info(geo),
    }
    frame = pd.DataFrame({"name": list(info), "value": [json.dumps(v) for v in info.values()]})
    write_table(con, "build_info", frame)


read_build_info = store.read_build_info  # where builds' callers have always found it
