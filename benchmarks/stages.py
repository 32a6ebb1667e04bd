"""The measured stages of a build, each ``setup(spec) -> body`` run by :mod:`benchmarks.measure`.

``spec`` carries the generated files (``spend``, ``contracts``), the prepared stores
(``store``: a complete build of that spend; ``ref``: only the catalogue, atoms and boundary
tables a build writes before ingest) and a private ``scratch`` folder. Setup copies whatever
store the stage starts from and drops the tables the stage (and everything after it) makes,
so the timed body does exactly what a build does at that point, on a file-backed store.

Stages and what they time:

============== ===============================================================================
floor          DuckDB reading the CSV and summing Amount GBP by Organisational Unit and month
ingest         ``load_spend`` + ``load_contracts`` + ``check_contract_scopes`` (00*, 01* steps)
classify       ``match_rules`` (02a, 02b) + ``pipelines/02_int_classified.sql``
link           ``pipelines/04_int_spend_lines.sql`` (the contract links, in the spend lines)
boundaries     ``load_boundaries`` (reading and validating the shipped layers)
atoms          ``build_atoms`` + ``estate_estimates`` + ``long_keys`` (atoms and keys)
allocate       ``pipelines/05..09`` (groups, target weights, allocation, marts)
reconcile      ``pipelines/10_mart_reconciliation.sql`` + ``reconcile.check``
export         CSV (every estate, year, service, basis, key) + GeoJSON, as ``placespend export``
spend_pipeline CSV -> reconciled estate table on a store holding only the reference tables:
               ingest, contracts, apportion (02..10), check, checkpoint
build          ``placespend.build.build`` from scratch (catalogue, boundaries, atoms, ingest,
               apportion, reconcile, atomic swap)
careful_ingest ``load_spend`` of the 150 MB Windows-1252 export (``spec["spend"]``; the careful
               reader streams it) on a file-backed store under the build's memory cap
careful_build  ``placespend.build.build`` from scratch on that export
============== ===============================================================================
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.measure import Body, stage

SQL_DIR = Path(__file__).resolve().parent / "sql"

# Tables a build writes after the reference tables, in the order it writes them.
SPEND_TABLES = (
    "payments", "spend_quarantine", "ingest_summary", "contracts", "classified", "spend_lines",
    "linked", "spend_groups", "target_weights", "allocation", "place_spend",
    "excluded_spend", "reconciliation",
)
STEP_PREFIXES = {"classify": ("02",), "link": ("04",),  # spend_lines links the contracts
                 "allocate": ("05", "06", "07", "08", "09"), "reconcile": ("10",)}
VIEWS = ("linked",)  # of spend_lines (pipelines/05_int_linked.sql)


def _params(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    from placespend.keys import FALLBACK_KEY

    (code,) = con.execute(
        "select coalesce(any_value(scope_code), 'BOROUGH') from spend_groups "
        "where scope_type = 'borough'"
    ).fetchone() if _has(con, "spend_groups") else ("BOROUGH",)
    return {"borough_code": code, "fallback_key": FALLBACK_KEY}


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [table]).fetchone()[0])


def _copy_store(spec: dict[str, Any], source: str) -> duckdb.DuckDBPyConnection:
    target = Path(spec["scratch"]) / "store.duckdb"
    from placespend import store

    shutil.copyfile(spec[source], target)
    con = duckdb.connect(str(target))
    store.limit_memory(con)  # as a build is
    return con


def _drop_from(con: duckdb.DuckDBPyConnection, first: str) -> None:
    for table in SPEND_TABLES[SPEND_TABLES.index(first):]:
        kind = "view" if table in VIEWS else "table"
        con.execute(f'drop {kind} if exists "{table}"')
    con.execute("checkpoint")


def _steps_body(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> Body:
    from placespend import _sql, apportion

    chosen = [s for s in _sql.steps() if s.name[:2] in STEP_PREFIXES[name]]
    prepare = getattr(apportion, "match_rules", None)  # the rule patterns, before 02

    def body() -> dict[str, Any]:
        rows = {}
        for step in chosen:
            if step.table == "classified" and prepare is not None:
                rows["rule_hits"] = prepare(con)
            rows[step.table] = _sql.run_step(con, step, params)
        return {"rows": rows}

    return body


@stage("floor")
def floor(spec: dict[str, Any]) -> Body:
    con = duckdb.connect()
    sql = (SQL_DIR / "floor.sql").read_text(encoding="utf-8")

    def body() -> dict[str, Any]:
        rows = con.execute(sql, {"path": spec["spend"]}).fetchall()
        return {"groups": len(rows), "total_gbp": float(sum(r[-1] for r in rows))}

    return body


@stage("ingest")
def ingest_stage(spec: dict[str, Any]) -> Body:
    from placespend import ingest, store

    con = duckdb.connect(str(Path(spec["scratch"]) / "store.duckdb"))
    store.limit_memory(con)  # as a build is
    ref = duckdb.connect(spec["ref"], read_only=True)
    wards = [r[0] for r in ref.execute("select ward_code from wards").fetchall()]
    estates = [r[0] for r in ref.execute("select estate_id from estates").fetchall()]
    ref.close()

    def body() -> dict[str, Any]:
        report = ingest.load_spend(con, [Path(spec["spend"])])
        ingest.load_contracts(con, Path(spec["contracts"]))
        ingest.check_contract_scopes(con, wards, estates)
        return {"rows_read": report.rows_read, "rows_accepted": report.rows_accepted,
                "reader": report.files[0].reader}

    return body


@stage("classify")
def classify(spec: dict[str, Any]) -> Body:
    con = _copy_store(spec, "store")
    params = _params(con)
    _drop_from(con, "classified")
    return _steps_body(con, "classify", params)


@stage("link")
def link(spec: dict[str, Any]) -> Body:
    con = _copy_store(spec, "store")
    params = _params(con)
    _drop_from(con, "spend_lines")
    return _steps_body(con, "link", params)


@stage("allocate")
def allocate(spec: dict[str, Any]) -> Body:
    con = _copy_store(spec, "store")
    params = _params(con)
    _drop_from(con, "linked")
    return _steps_body(con, "allocate", params)


@stage("reconcile")
def reconcile_stage(spec: dict[str, Any]) -> Body:
    from placespend import reconcile

    con = _copy_store(spec, "store")
    params = _params(con)
    _drop_from(con, "reconciliation")
    steps_body = _steps_body(con, "reconcile", params)

    def body() -> dict[str, Any]:
        info = steps_body()
        result = reconcile.check(con)
        return {**info, "ok": result.ok, "groups_checked": result.groups_checked}

    return body


@stage("boundaries")
def boundaries_stage(spec: dict[str, Any]) -> Body:
    from placespend import boundaries, paths

    folder = Path(spec.get("boundaries") or paths.BOUNDARIES_DIR)

    def body() -> dict[str, Any]:
        b = boundaries.load_boundaries(folder)
        return {"small_areas": len(b.small_areas), "wards": len(b.wards),
                "estates": len(b.estates)}

    return body


@stage("atoms")
def atoms_stage(spec: dict[str, Any]) -> Body:
    from placespend import atoms, boundaries, paths

    b = boundaries.load_boundaries(Path(spec.get("boundaries") or paths.BOUNDARIES_DIR))

    def body() -> dict[str, Any]:
        table = atoms.build_atoms(b)
        atoms.estate_estimates(b, table)
        long = table.long_keys()
        return {"atoms": len(table.atoms), "key_rows": len(long),
                "small_areas": len(b.small_areas), "wards": len(b.wards),
                "estates": len(b.estates)}

    return body


@stage("export")
def export_stage(spec: dict[str, Any]) -> Body:
    from placespend import export, reads, store

    target = Path(spec["scratch"]) / "store.duckdb"
    shutil.copyfile(spec["store"], target)
    con = store.connect(target)
    out = Path(spec["scratch"]) / "export"

    def body() -> dict[str, Any]:
        label = reads.data_label(con)
        rows = reads.estate_rows(con, None, None)
        export.write_csv(export.export_table(rows, label), out / "estates.csv")
        export.write_geojson(con, out / "estates.geojson", None, label)
        return {"csv_rows": len(rows)}

    return body


@stage("spend_pipeline")
def spend_pipeline(spec: dict[str, Any]) -> Body:
    from placespend import ingest, reconcile
    from placespend.apportion import apportion

    con = _copy_store(spec, "ref")
    wards = [r[0] for r in con.execute("select ward_code from wards").fetchall()]
    estates = [r[0] for r in con.execute("select estate_id from estates").fetchall()]
    borough = spec["borough_code"]

    def body() -> dict[str, Any]:
        ingest.load_spend(con, [Path(spec["spend"])])
        ingest.load_contracts(con, Path(spec["contracts"]))
        ingest.check_contract_scopes(con, wards, estates)
        counts = apportion(con, borough_code=borough)
        result = reconcile.check(con)
        con.execute("checkpoint")
        return {"ok": result.ok, "rows_read": result.rows_read,
                "place_spend_rows": counts["place_spend"]}

    return body


@stage("build")
def build_stage(spec: dict[str, Any]) -> Body:
    from placespend import build

    home = Path(spec["scratch"]) / "home"
    inputs = build.BuildInputs(spend=(Path(spec["spend"]),), contracts=Path(spec["contracts"]),
                               boundaries=_opt_path(spec.get("boundaries")))

    def body() -> dict[str, Any]:
        result = build.build(home, inputs, cache_dir=False)  # a whole build: nothing reused
        return {"ok": result.reconciliation.ok, "rows_read": result.reconciliation.rows_read}

    return body


@stage("rebuild")
def rebuild_stage(spec: dict[str, Any]) -> Body:
    """A spend-only rebuild: the boundaries, atoms and keys come from the cache (primed by one
    untimed build), as after a user brings new spend files (issue 18)."""
    from placespend import build

    home = Path(spec["scratch"]) / "home"
    inputs = build.BuildInputs(spend=(Path(spec["spend"]),), contracts=Path(spec["contracts"]),
                               boundaries=_opt_path(spec.get("boundaries")))
    build.build(home, inputs)

    def body() -> dict[str, Any]:
        result = build.build(home, inputs)
        reused = any(n.startswith("Reused the boundaries") for n in result.notes)
        return {"ok": result.reconciliation.ok and reused,
                "rows_read": result.reconciliation.rows_read, "reused": reused}

    return body


@stage("careful_ingest")
def careful_ingest(spec: dict[str, Any]) -> Body:
    from placespend import ingest, store

    con = duckdb.connect(str(Path(spec["scratch"]) / "store.duckdb"))
    store.limit_memory(con)  # as a build is

    def body() -> dict[str, Any]:
        report = ingest.load_spend(con, [Path(spec["spend"])])
        (f,) = report.files
        return {"reader": f.reader, "encoding": f.encoding, "rows_read": f.rows_read,
                "rows_accepted": f.rows_accepted, "accepted_pence": f.accepted_pence,
                "memory_limit": store.memory_limit()}

    return body


@stage("careful_build")
def careful_build(spec: dict[str, Any]) -> Body:
    return build_stage(spec)


@stage("prepare")
def prepare(spec: dict[str, Any]) -> Body:
    """Not measured for the report: builds ``store`` and ``ref`` for the other stages."""
    from placespend import atoms, boundaries, build, catalogue, geography, paths

    out = Path(spec["prepared"])
    inputs = build.BuildInputs(spend=(Path(spec["spend"]),), contracts=Path(spec["contracts"]))

    def body() -> dict[str, Any]:
        out.mkdir(parents=True, exist_ok=True)
        result = build.build(out / "home", inputs)
        shutil.copyfile(result.db_path, out / "store.duckdb")
        cat = catalogue.load_catalogue(None)
        b = boundaries.load_boundaries(paths.BOUNDARIES_DIR)
        table = atoms.build_atoms(b)
        b.estates = atoms.estate_estimates(b, table)
        ref = out / "ref.duckdb"
        ref.unlink(missing_ok=True)
        con = duckdb.connect(str(ref))
        build._write_reference(con, cat, b, table)  # exactly the tables a build writes first
        con.close()
        code = geography.from_boundaries(b).borough_code
        return {"ok": result.reconciliation.ok, "borough_code": code}

    return body


def _opt_path(value: str | None) -> Path | None:
    return None if value is None else Path(value)
