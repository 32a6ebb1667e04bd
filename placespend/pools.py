"""System financing as a model: pool co-dependent services' spend on chosen estates.

A :class:`Pool` names services (suggested from the catalogue's links for a mission outcome,
then edited), estates (none = every estate) and a financial year (``None`` = every year). Its
:class:`PoolResult` gives, in integer pence:

- per estate and service: the service's spend placed on the estate (``place_spend``, main key);
- per estate: the pooled total, Σ over the pool's services;
- per service: its contribution across the chosen estates, Σ over them, and that as a share of
  the service's borough-wide spend (every accepted line of it, on estates or off them);
- the pool: Σ over everything, equal to Σ of the per-service contributions and of the
  per-estate totals, to the penny.

Pools are saved with the data set like PB scenarios, in the same ``scenarios.json``
(:class:`PoolBook`, its ``pools`` list), so a link naming a pool reopens it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import duckdb
import pandas as pd
from openpyxl import Workbook

from placespend import export, money, reads
from placespend._sql import query
from placespend.errors import PlacespendError
from placespend.scenarios import SavedBook, clean_name

CSV_COLUMNS = ["pool", "estate_id", "estate_name", "financial_year", "service", "amount_gbp",
               "service_pooled_gbp", "service_borough_gbp", "share_of_service_borough"]


@dataclass(frozen=True)
class Pool:
    """A saved system financing pool (see the module docstring)."""

    name: str
    service_ids: tuple[str, ...]
    estate_ids: tuple[str, ...] = ()
    financial_year: str | None = None
    outcome: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The pool as plain JSON-able data."""
        return {"name": self.name, "service_ids": list(self.service_ids),
                "estate_ids": list(self.estate_ids), "financial_year": self.financial_year,
                "outcome": self.outcome}

    @classmethod
    def from_dict(cls, data: dict) -> Pool:
        """A pool from :meth:`to_dict`'s shape (raises on a malformed entry)."""
        try:
            year, outcome = data.get("financial_year"), data.get("outcome")
            return cls(name=str(data["name"]),
                       service_ids=tuple(str(s) for s in data["service_ids"]),
                       estate_ids=tuple(str(e) for e in data.get("estate_ids", [])),
                       financial_year=None if year is None else str(year),
                       outcome=None if outcome is None else str(outcome))
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"A saved pool is malformed ({exc!r}); delete it and save it again."
            raise PlacespendError(msg) from exc


class PoolBook(SavedBook[Pool]):
    """The pools saved with one data set (the ``pools`` list of ``scenarios.json``); a pool
    is listed for an estate it names, and a pool naming none for every estate."""

    section = "pools"
    noun = "pool"

    def read_item(self, data: dict) -> Pool:
        return Pool.from_dict(data)

    def names_estate(self, item: Pool, estate_id: str) -> bool:
        return not item.estate_ids or estate_id in item.estate_ids


@dataclass(frozen=True)
class PoolResult:
    """A pool worked out: ``lines`` (estate × service), ``by_estate``, ``by_service``."""

    pool: Pool
    lines: pd.DataFrame
    by_estate: pd.DataFrame
    by_service: pd.DataFrame

    @property
    def total_pence(self) -> int:
        """The pooled total over every chosen estate and service."""
        return int(self.lines["amount_pence"].sum())


def suggest(services: pd.DataFrame, links: pd.DataFrame, outcome: str | None) -> list[str]:
    """The place-based services joined by a catalogue link for ``outcome`` (every link when
    ``None``), in catalogue order: a starting point for a pool, to be edited."""
    chosen = links if outcome is None else links[links["outcome"] == outcome]
    ends = set(chosen["from_service"]) | set(chosen["to_service"])
    placed = services[services["place_based"].astype(bool)]
    return [s for s in placed["service_id"] if s in ends]


def work_out(con: duckdb.DuckDBPyConnection, pool: Pool) -> PoolResult:
    """The pool's figures (see the module docstring)."""
    if not pool.service_ids:
        msg = "A pool needs at least one service; pick the services to pool."
        raise PlacespendError(msg)
    known = set(con.execute("select service_id from services").df()["service_id"])
    unknown = [s for s in pool.service_ids if s not in known]
    if unknown:
        msg = (f"The pool '{pool.name}' names services this data set's catalogue lacks: "
               f"{', '.join(unknown)}; edit the pool.")
        raise PlacespendError(msg)
    lines = query(con, "pool_lines", service_ids=list(pool.service_ids),
                  estate_ids=list(pool.estate_ids), financial_year=pool.financial_year)
    by_estate = (lines.groupby(["estate_id", "estate_name"], as_index=False)["amount_pence"]
                 .sum().sort_values(["amount_pence", "estate_name"], ascending=[False, True])
                 .reset_index(drop=True))
    by_service = (lines.groupby(["service_id", "service"], as_index=False)
                  .agg(pooled_pence=("amount_pence", "sum"),
                       borough_pence=("borough_pence", "first")))
    by_service["share_of_borough"] = (by_service["pooled_pence"]
                                      / by_service["borough_pence"].where(
                                          by_service["borough_pence"] != 0))
    by_service = by_service.sort_values(["pooled_pence", "service"], ascending=[False, True])
    return PoolResult(pool, lines, by_estate, by_service.reset_index(drop=True))


def by_service_display(result: PoolResult) -> pd.DataFrame:
    """The page's table of contributions, in pounds."""
    b = result.by_service
    return pd.DataFrame({
        "Service": b["service"], "Pooled £": (b["pooled_pence"] / 100).round(2),
        "Borough-wide £": (b["borough_pence"] / 100).round(2),
        "Share of borough-wide (%)": (b["share_of_borough"] * 100).round(2)})


def by_estate_display(result: PoolResult) -> pd.DataFrame:
    """The page's table of estates: the pooled total and each service's part, in pounds."""
    wide = result.lines.pivot_table(index=["estate_id", "estate_name"], columns="service",
                                    values="amount_pence", aggfunc="sum", fill_value=0)
    wide.insert(0, "Pooled £", wide.sum(axis=1))
    wide = (wide / 100).round(2).reset_index().sort_values("Pooled £", ascending=False)
    return wide.drop(columns="estate_id").rename(columns={"estate_name": "Estate"})


def _table(result: PoolResult, label: str) -> pd.DataFrame:
    lines = result.lines.merge(result.by_service[["service_id", "pooled_pence"]],
                               on="service_id")
    out = pd.DataFrame({
        "pool": result.pool.name,
        "estate_id": lines["estate_id"],
        "estate_name": lines["estate_name"],
        "financial_year": result.pool.financial_year or "all years",
        "service": lines["service"],
        "amount_gbp": lines["amount_pence"].map(money.gbp),
        "service_pooled_gbp": lines["pooled_pence"].map(money.gbp),
        "service_borough_gbp": lines["borough_pence"].map(money.gbp),
        "share_of_service_borough": (lines["pooled_pence"] / lines["borough_pence"]
                                     .where(lines["borough_pence"] != 0)).round(6),
    }, columns=CSV_COLUMNS)
    out["data"] = label
    return export.neutralise(out)


def csv_bytes(con: duckdb.DuckDBPyConnection, result: PoolResult) -> bytes:
    """The pool as CSV: one row per estate and service (:data:`CSV_COLUMNS`, plus ``data``)."""
    return export.csv_bytes(_table(result, reads.data_label(con)))


def xlsx_bytes(con: duckdb.DuckDBPyConnection, result: PoolResult) -> bytes:
    """The pool as a workbook: ``pool`` (its services, contributions and shares, the total and
    the data label) and ``by estate`` (the CSV's rows)."""
    label = reads.data_label(con)
    book = Workbook()
    ws = book.active
    ws.title = "pool"
    ws.append(["pool", result.pool.name])
    ws.append(["financial_year", result.pool.financial_year or "all years"])
    ws.append(["estates", len(result.by_estate)])
    ws.append(["pooled_total_gbp", float(money.gbp(result.total_pence))])
    ws.append(["data", label])
    ws.append([])
    ws.append(["service", "pooled_gbp", "service_borough_gbp", "share_of_service_borough"])
    for r in result.by_service.itertuples():
        ws.append([r.service, float(money.gbp(r.pooled_pence)),
                   float(money.gbp(r.borough_pence)),
                   None if pd.isna(r.share_of_borough) else round(float(r.share_of_borough), 6)])
    rows = book.create_sheet("by estate")
    table = _table(result, label)
    rows.append(list(table.columns))
    for values in table.itertuples(index=False):
        rows.append([_plain(v) for v in values])
    for sheet in (ws, rows):
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plain(value: object) -> object:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def compare(con: duckdb.DuckDBPyConnection, pools: list[Pool]) -> pd.DataFrame:
    """Saved pools side by side: services, estates, year and pooled total of each."""
    rows = []
    for pool in pools:
        result = work_out(con, pool)
        rows.append({"pool": pool.name, "services": len(pool.service_ids),
                     "estates": len(result.by_estate),
                     "financial_year": pool.financial_year or "all years",
                     "pooled_pence": result.total_pence})
    return pd.DataFrame(rows, columns=["pool", "services", "estates", "financial_year",
                                       "pooled_pence"])


__all__ = ["CSV_COLUMNS", "Pool", "PoolBook", "PoolResult", "clean_name", "compare",
           "csv_bytes", "suggest", "work_out", "xlsx_bytes"]
