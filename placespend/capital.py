"""Capital beside the services it should reduce: an estate's capital spend by year, the revenue
of the services the catalogue links to capital works, the same for the estates like it, and a
plain-words reading that says only what the data shows.

Every spend line is capital or revenue (``pipelines/04_int_spend_lines.sql``: the file's own
column where the mapping has one, else the catalogue's ``capital_rules``, else the service's
``capital`` flag, else revenue), so an estate's capital and revenue add up to its total to the
penny (``capital_totals``).

**Estates like it.** Size is the estate's households (*H*), stock its share of them renting from
the council (*s*). The peers are the :data:`N_PEERS` other estates nearest by

    d = |ln(H / H₀)| + 2 · |s − s₀|

(a doubling of size weighs as much as 35 points of council share), among estates with at least
one council household.

**The reading.** The works year *Y* is the year of the estate's largest capital spend. Linked
revenue per home (council households) in the year before (*Y* − 1) is compared with its mean
over the two years after (*Y* + 1, *Y* + 2); without all three years nothing is said about a
change. The peers' change over the same years is given beside it. It is a comparison over
time, not proof that the works caused it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from placespend import _programme, estate_names, money
from placespend._sql import fetch_one, query

N_PEERS = 8
"""How many estates like it are compared."""
STOCK_WEIGHT = 2.0
"""Weight of the council share's difference against the log of the size ratio."""


@dataclass(frozen=True)
class CapitalView:
    """What the Estate page's *Capital and services* tab shows.

    ``by_year``: one row per financial year: ``capital_pence``, ``revenue_pence``,
    ``linked_pence`` (revenue of the linked services), ``linked_per_home_pence``,
    ``peers_capital_per_home_pence``, ``peers_linked_per_home_pence``.
    ``linked``: the estate's linked revenue by year and service (``financial_year``,
    ``service``, ``amount_pence``). ``peers``: the estates like it (``estate_id``, ``name``,
    ``households``, ``council_share``). ``linked_services``: their names.
    """

    estate_id: str
    name: str
    homes: float
    by_year: pd.DataFrame
    linked: pd.DataFrame
    peers: pd.DataFrame
    linked_services: tuple[str, ...]
    reading: str


def unread_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One build note per spend file whose capital/revenue column held values that read as
    neither: the lines are kept and take capital or revenue from the catalogue's rules."""
    found = query(con, "capital_unread")
    notes = []
    for source_file, rows in found.groupby("source_file", sort=True):
        values = ", ".join(repr(str(v)[:40]) for v in rows["value"].head(5))
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        n = int(rows["n_lines"].sum())
        notes.append(
            f"{source_file}: {n:,} line{'s' if n != 1 else ''} "
            f"({money.exact(int(rows['amount_pence'].sum()))}, first at row "
            f"{int(rows['first_row'].min())}) say capital or revenue as {values}{more}, which "
            "reads as neither (capital: Capital, CAP, C, Capex; revenue: Revenue, REV, R, Opex). "
            "They are kept and marked by the catalogue's capital_rules and services instead; "
            "correct the column to say which."
        )
    return notes


def programme_table(con: duckdb.DuckDBPyConnection, path: Path | None,
                    is_demo: bool) -> pd.DataFrame:
    """The ``capital_programme`` table of a build: the schemes of ``path`` (see
    :mod:`placespend._programme`), else the demo's synthetic programme on a demo build, else
    none."""
    if path is not None:
        estates = con.execute("select * exclude (geometry_wkb) from estates").df()
        return _programme.read_programme(path, estate_names.EstateIndex.from_frame(estates))
    return _programme.demo_programme(con) if is_demo else _programme.empty()


def programme(con: duckdb.DuckDBPyConnection, estate_id: str) -> pd.DataFrame:
    """The capital programme's schemes on one estate (``scheme``, ``blocks``, ``start_year``,
    ``end_year``, ``budget_pence``, ``synthetic``), earliest first."""
    return con.execute(
        "select scheme, blocks, start_year, end_year, budget_pence, synthetic "
        "from capital_programme where estate_id = $e order by start_year, scheme",
        {"e": estate_id}).df()


def capital_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Capital, revenue and total pence per estate and financial year (capital + revenue =
    total, exactly)."""
    return query(con, "capital_totals")


def peers(con: duckdb.DuckDBPyConnection, estate_id: str, n: int = N_PEERS) -> pd.DataFrame:
    """The ``n`` estates most like this one by size and council stock (see the module notes).

    Returns ``estate_id``, ``name``, ``households``, ``council_share``, ``distance``, nearest
    first (ties by id)."""
    est = con.execute(
        "select estate_id, name, coalesce(households_est, 0) as households, "
        "coalesce(council_households_est, 0) as council from estates"
    ).df()
    est["council_share"] = est["council"] / est["households"].where(est["households"] > 0)
    me = est[est["estate_id"] == estate_id]
    others = est[(est["estate_id"] != estate_id) & (est["council"] > 0)].copy()
    if me.empty or others.empty or not me["households"].iloc[0] > 0:
        return others.head(0).assign(distance=pd.Series(dtype=float))
    h0, s0 = float(me["households"].iloc[0]), float(me["council_share"].iloc[0])
    others["distance"] = [
        abs(math.log(h / h0)) + STOCK_WEIGHT * abs(s - s0)
        for h, s in zip(others["households"], others["council_share"], strict=True)
    ]
    nearest = others.sort_values(["distance", "estate_id"]).head(n)
    return nearest[["estate_id", "name", "households", "council_share", "distance"]].reset_index(
        drop=True
    )


def capital_view(con: duckdb.DuckDBPyConnection, estate_id: str) -> CapitalView:
    """Capital by year beside the linked revenue services, for the estate and its peers."""
    like = peers(con, estate_id)
    rows = query(con, "capital_by_year", estate_id=estate_id,
                 peer_ids=list(like["estate_id"]))
    (name,) = fetch_one(con, "select name from estates where estate_id = $e", {"e": estate_id})
    mine = rows[rows["place"] == "estate"]
    homes = float(mine["homes"].iloc[0]) if len(mine) else 0.0
    by_year = _by_year(rows, homes)
    linked = (mine[mine["linked"] & (mine["capital_or_revenue"] == "revenue")]
              .groupby(["financial_year", "service"], as_index=False)["amount_pence"].sum())
    names = tuple(sorted(rows.loc[rows["linked"], "service"].unique()))
    return CapitalView(estate_id, name, homes, by_year, linked, like, names,
                       reading(by_year, len(like)))


def _by_year(rows: pd.DataFrame, homes: float) -> pd.DataFrame:
    years = sorted(rows["financial_year"].unique())
    out = pd.DataFrame({"financial_year": years})

    def total(place: str, mask: pd.Series) -> pd.Series:
        picked = rows[(rows["place"] == place) & mask]
        return picked.groupby("financial_year")["amount_pence"].sum().reindex(years).fillna(0)

    capital = rows["capital_or_revenue"] == "capital"
    linked = rows["linked"] & ~capital
    out["capital_pence"] = total("estate", capital).astype("int64").to_numpy()
    out["revenue_pence"] = total("estate", ~capital).astype("int64").to_numpy()
    out["linked_pence"] = total("estate", linked).astype("int64").to_numpy()
    out["linked_per_home_pence"] = (out["linked_pence"] / homes) if homes > 0 else float("nan")
    peer_rows = rows[rows["place"] == "peers"]
    peer_homes = float(peer_rows["homes"].iloc[0]) if len(peer_rows) else 0.0
    for col, mask in (("peers_capital_per_home_pence", capital),
                      ("peers_linked_per_home_pence", linked)):
        values = total("peers", mask).to_numpy()
        out[col] = values / peer_homes if peer_homes > 0 else float("nan")
    return out


def _change(before: float, after: float) -> float | None:
    return None if not before > 0 or pd.isna(after) else after / before - 1


def _fell_or_rose(change: float) -> str:
    if abs(change) < 0.005:
        return "stayed about the same"
    return f"{'fell' if change < 0 else 'rose'} by {abs(change):.0%}"


def reading(by_year: pd.DataFrame, n_peers: int) -> str:
    """The plain-words reading of :func:`capital_view`'s ``by_year`` (see the module notes)."""
    if by_year.empty or not (by_year["capital_pence"] > 0).any():
        return "No capital spend is placed on this estate in these data, so there are no works "\
               "to read the services against."
    years = list(by_year["financial_year"])
    at = int(by_year["capital_pence"].idxmax())
    works = years[at]
    if at == 0 or at + 2 >= len(years):
        return (f"The largest capital year here is {works}. The data run from {years[0]} to "
                f"{years[-1]}, so there is not a year before and two years after it to say "
                "whether the linked services' spend per home changed after the works.")
    per_home = by_year["linked_per_home_pence"]
    before, after = per_home.iloc[at - 1], per_home.iloc[at + 1 : at + 3].mean()
    change = _change(before, after)
    if change is None:
        return (f"The largest capital year here is {works}, but the linked services have no "
                "spend per home in the year before it to compare with.")
    text = (f"Spend per home on the linked services {_fell_or_rose(change)} in the two years "
            f"after the largest capital year ({works}): from {money.whole(before)} in "
            f"{years[at - 1]} to {money.whole(after)} a year on average in {years[at + 1]} and "
            f"{years[at + 2]}.")
    peer = by_year["peers_linked_per_home_pence"]
    peer_change = _change(peer.iloc[at - 1], peer.iloc[at + 1 : at + 3].mean())
    if peer_change is not None:
        text += (f" On the {n_peers} estates most like it, over the same years, it "
                 f"{_fell_or_rose(peer_change)}.")
    return text + " This compares years; it does not show that the works caused the change."


def by_year_display(view: CapitalView) -> pd.DataFrame:
    """The tab's table: pounds, one row per year."""
    b = view.by_year
    return pd.DataFrame({
        "Financial year": b["financial_year"],
        "Capital (£)": (b["capital_pence"] / 100).round(2),
        "Revenue (£)": (b["revenue_pence"] / 100).round(2),
        "Linked services (£)": (b["linked_pence"] / 100).round(2),
        "Linked £ per home": (b["linked_per_home_pence"] / 100).round(2),
        "Estates like it: capital £ per home": (b["peers_capital_per_home_pence"] / 100).round(2),
        "Estates like it: linked £ per home": (b["peers_linked_per_home_pence"] / 100).round(2),
    })
