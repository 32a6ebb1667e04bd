"""The contracts register in placespend's own format (:func:`load_contracts`), the staging and
checks that a council's own register, read through a mapping (:mod:`placespend.contracts`),
shares with it (:func:`stage_contracts`, :func:`finish_contracts`), and the checks of the
places and services contracts name.

Every row read ends up either in ``contracts`` or in ``contract_quarantine`` with a reason, and
``contract_summary`` proves it (rows and value conserved).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from placespend import _parse, _sql
from placespend.errors import InputFileError, ReconciliationError, collected, quoted, where

log = logging.getLogger(__name__)


def _run_step(con: duckdb.DuckDBPyConnection, step: str, **params: Any) -> None:
    """Run a step through :func:`placespend.ingest._run_step`, the one runner of the ingest
    steps (imported when called: ingest re-exports this module's names)."""
    from placespend import ingest

    ingest._run_step(con, step, **params)


CONTRACT_COLUMNS: tuple[str, ...] = (
    "contract_id",
    "title",
    "supplier",
    "service",
    "purpose",
    "scope_type",
    "scope_code",
    "annual_value_gbp",
    "start_date",
    "end_date",
)
CONTRACT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y")


def load_contracts(con: duckdb.DuckDBPyConnection, path: Path | str | None) -> int:
    """Load the contracts register into the ``contracts`` table (created or replaced).

    Columns: ``contract_id, title, supplier, service, purpose, scope_type, scope_code,
    annual_value_gbp, start_date, end_date``. ``service`` (a catalogue service id) or
    ``purpose`` (the payments' Purpose text) may be blank but not both; ``scope_type`` is
    ``borough``, ``ward`` or ``estate``; ``scope_code`` is required for ward and estate;
    dates are ISO (``2024-04-01``) or ``dd/mm/yyyy`` and may be blank (open-ended);
    ``contract_id`` is unique. ``supplier_key`` is normalised exactly like
    ``payments.payee_key`` (macro ``ps_payee_key``), so the two join.

    Parameters
    ----------
    con
        An open DuckDB connection.
    path
        The register (CSV). ``None`` creates an empty ``contracts`` table.

    Returns
    -------
    int
        The number of contracts loaded.

    Raises
    ------
    InputFileError
        Listing every invalid row with its line number and the fix, all at once.
    """
    path = None if path is None else Path(path)
    rows = [] if path is None else _read_contract_rows(path)
    columns = {name: [r.fields[i] for r in rows] for i, name in enumerate(CONTRACT_COLUMNS)}
    columns["value_text"] = columns.pop("annual_value_gbp")
    columns["raw"] = [r.text for r in rows]
    columns["service_source"] = ["column" if r.fields[3].strip() else "purpose" for r in rows]
    problems = stage_contracts(con, path, [r.line for r in rows], columns, [],
                               CONTRACT_DATE_FORMATS, NATIVE_LABELS, "annual")
    if problems:
        raise collected(
            InputFileError,
            f"{path}: the contracts register has invalid rows; fix them and build again",
            [f"row {row}: {problem}" for row, problem in problems],
        )
    return finish_contracts(con)


NATIVE_LABELS: dict[str, str] = {
    "id_label": "contract_id", "supplier_label": "supplier", "value_label": "annual_value_gbp",
    "start_label": "start_date", "end_label": "end_date",
}
"""How messages name the register's columns (placespend's own; a mapped register's differ)."""

RAW_CONTRACT_FIELDS = (
    "contract_id", "title", "description", "supplier", "department", "service", "purpose",
    "scope_type", "scope_code", "value_text", "start_date", "end_date", "raw",
    "service_source", "reader_problem",
)
"""The text columns of ``raw_contracts``, as ``01e_stg_contracts`` reads them."""


def stage_contracts(
    con: duckdb.DuckDBPyConnection,
    path: Path | None,
    lines: Sequence[int],
    columns: Mapping[str, Sequence[str | None]],
    rejects: Sequence[tuple[int, str, str]],
    date_formats: Sequence[str],
    labels: Mapping[str, str],
    value_basis: str,
) -> list[tuple[int, str]]:
    """Parse and check a register's rows (``01e_stg_contracts``) into ``stg_contracts``.

    ``columns`` holds each of :data:`RAW_CONTRACT_FIELDS` (missing ones are blank) for the rows
    at ``lines``; ``rejects`` are rows the reader could not split: (line, reason, text).
    Returns (row, problem) for every row with a problem, in row order.
    """
    n = len(lines)
    name = path.name if path else None
    table = {"source_file": pa.array([name] * n, pa.string()),
             "source_row": pa.array(list(lines), pa.int64())}
    for f in RAW_CONTRACT_FIELDS:
        table[f] = pa.array(list(columns.get(f, [None] * n)), pa.string())
    rejected = pa.table({
        "source_file": pa.array([name] * len(rejects), pa.string()),
        "source_row": pa.array([r[0] for r in rejects], pa.int64()),
        "reason": pa.array([r[1] for r in rejects], pa.string()),
        "raw": pa.array([r[2] for r in rejects], pa.string()),
    })
    _run_step(con, "00_ingest_macros")
    con.register("raw_contracts", pa.table(table))
    try:
        _run_step(con, "01e_stg_contracts", date_formats=list(date_formats),
                  earliest_year=_parse.EARLIEST_YEAR, latest_year=_parse.LATEST_YEAR,
                  value_basis=value_basis, **labels)
    finally:
        con.unregister("raw_contracts")
    con.register("_contract_rejects", rejected)
    try:
        con.execute("create or replace temp table raw_contract_rejects as "
                    "select * from _contract_rejects")
    finally:
        con.unregister("_contract_rejects")
    staged = con.table("stg_contracts").select("source_row", "problem").fetchall()
    return [(row, problem) for row, problem in staged if problem is not None]


def finish_contracts(con: duckdb.DuckDBPyConnection) -> int:
    """``contracts``, ``contract_details``, ``contract_quarantine`` and ``contract_summary``
    from the staged register; checks rows and value are conserved. Returns the contracts."""
    for step in ("01f_contracts", "01j_contract_details", "01k_contract_quarantine",
                 "01l_contract_summary"):
        _run_step(con, step)
    bad = con.execute(
        "select source_file, rows_read, rows_accepted, rows_quarantined, read_value_pence, "
        "accepted_value_pence, quarantined_value_pence from contract_summary "
        "where rows_read <> rows_accepted + rows_quarantined "
        "or read_value_pence <> accepted_value_pence + quarantined_value_pence").fetchall()
    if bad:
        raise collected(ReconciliationError, "The contracts register did not conserve rows or "
                        "value", [str(b) for b in bad])
    n = con.table("contracts").shape[0]
    log.info("contracts: %d rows", n)
    return n


def _read_contract_rows(path: Path) -> list[_parse.RawRow]:
    """The register's rows as text, one field per contract column, with their line numbers."""
    if not path.is_file():
        msg = f"{where(path)}file not found; check the path to the contracts register"
        raise InputFileError(msg)
    fix = f"give the register a header row with the columns {', '.join(CONTRACT_COLUMNS)}"
    layout = _parse.sniff_file(path, [_CONTRACT_HEADER], fix)
    text, _ = _parse.decode(path.read_bytes())
    problems, rows = [], []
    for raw in _parse.iter_rows(text, layout.delimiter, layout.header_line + 1):
        if len(raw.fields) != len(layout.header) and any(f.strip() for f in raw.fields):
            problems.append(
                f"row {raw.line}: expected {len(layout.header)} fields, found "
                f"{len(raw.fields)}; quote values that contain '{layout.delimiter}'"
            )
            continue
        fields_ = [raw.fields[layout.positions[c]] for c in CONTRACT_COLUMNS]
        if any(f.strip() for f in fields_):
            rows.append(_parse.RawRow(raw.line, fields_, raw.text))
    if problems:
        raise collected(InputFileError, f"{path}: the contracts register cannot be read", problems)
    return rows


@dataclass(frozen=True)
class _ContractHeader:
    """The register's columns, in the shape the header sniffer expects."""

    name: str = "contracts register"
    date_formats: tuple[str, ...] = CONTRACT_DATE_FORMATS
    constants: Mapping[str, str] = field(default_factory=dict)
    unique: tuple[str, ...] = ()

    def alternatives(self) -> dict[str, tuple[str, ...]]:
        return {c: (c,) for c in CONTRACT_COLUMNS}


_CONTRACT_HEADER = _ContractHeader()


def check_contract_scopes(
    con: duckdb.DuckDBPyConnection, ward_codes: Iterable[str], estate_ids: Iterable[str]
) -> None:
    """Check every ward- or estate-scoped contract names a known ward code or estate id.

    Call on the connection :func:`load_contracts` used (row numbers come from its staging).

    Raises
    ------
    InputFileError
        Listing each contract whose ``scope_code`` is unknown, with its row and the fix.
    """
    unknown = _sql.run(con, "01g_contract_scopes", ward_codes=sorted(set(ward_codes)),
                       estate_ids=sorted(set(estate_ids))).fetchall()
    if not unknown:
        return
    problems = [
        f"{where(source, row)}contract '{cid}': {kind} '{code}' is not a known "
        f"{'ward code' if kind == 'ward' else 'estate id'}; correct scope_code, or add the "
        f"{kind} to the boundaries"
        for cid, kind, code, source, row in unknown
    ]
    raise collected(InputFileError, "Contracts name places that do not exist", problems)


def check_contract_services(con: duckdb.DuckDBPyConnection, service_ids: Iterable[str]) -> None:
    """Check every contract that names a service names one of the catalogue's.

    A contract for an unknown service (a typo, a service renamed in the catalogue) would match
    no payment and scope nothing, silently. Call on the connection :func:`load_contracts` used.

    Raises
    ------
    InputFileError
        Listing each such contract with its row, the unknown service and a close match (or the
        known services).
    """
    known = sorted(set(service_ids))
    unknown = _sql.run(con, "01h_contract_services", service_ids=known).fetchall()
    if not unknown:
        return
    problems = [
        f"{where(source, row)}contract {quoted(cid)}: service {quoted(sid)} is not a service of "
        f"the catalogue{_known_services(sid, known)}; correct the service id, or leave service "
        "blank and give the payments' purpose"
        for cid, sid, source, row in unknown
    ]
    raise collected(InputFileError, "Contracts name services the catalogue lacks", problems)


def _known_services(service_id: str, known: list[str], shown: int = 20) -> str:
    close = difflib.get_close_matches(service_id[:200], known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    more = f", … and {len(known) - shown} more" if len(known) > shown else ""
    return f" (known: {', '.join(known[:shown])}{more})"
