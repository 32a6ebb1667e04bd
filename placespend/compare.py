"""Estates side by side: two to five estates' totals, £ per household, spend by service and
delegable pot for one financial year (or every year, summed), as tables and charts.

Every figure comes from the same store queries as ``placespend estates`` and the estate page
(``reads.estate_totals``, ``reads.estate_rows``), so each equals them to the penny. The
delegable pot is the sum of the catalogue's delegable services on the estate: the pot the PB
page opens with, before any service is added or removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from placespend import export, money, reads
from placespend.errors import PlacespendError
from placespend.safe_text import html as _text

MIN_ESTATES, MAX_ESTATES = 2, 5
MEASURES = ("£ per household", "Total £")
TOP_SERVICES = 12  # the by-service chart shows these many, the rest as one bar
OTHER_SERVICES = "All other services"
# Okabe–Ito without yellow and black: five colours told apart with the common colour-vision
# deficiencies, each with at least 3:1 contrast against white (WCAG's for graphics).
ESTATE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8C6D00")
LABEL_COLOUR = "#1A1A1A"  # value labels sit outside the bars, dark on white: 17:1


@dataclass(frozen=True)
class Comparison:
    """The estates compared, in the order asked, and their spend by service (pence)."""

    estates: pd.DataFrame  # estate_id, estate_name, wards, households_est, total_pence, ...
    services: pd.DataFrame  # estate_id, service_id, service, delegable, amount_pence, ...
    financial_year: str | None

    @property
    def names(self) -> list[str]:
        return self.estates["estate_name"].tolist()


def check_choice(estate_ids: Sequence[str]) -> list[str]:
    """The estates to compare, each once, in the order given.

    Raises
    ------
    PlacespendError
        Fewer than :data:`MIN_ESTATES` or more than :data:`MAX_ESTATES`.
    """
    chosen = list(dict.fromkeys(estate_ids))
    if not MIN_ESTATES <= len(chosen) <= MAX_ESTATES:
        msg = (f"Compare {MIN_ESTATES} to {MAX_ESTATES} estates, not {len(chosen)}: pick "
               "them by name.")
        raise PlacespendError(msg)
    return chosen


def compare(con: duckdb.DuckDBPyConnection, estate_ids: Sequence[str],
            financial_year: str | None) -> Comparison:
    """Two to five estates side by side for ``financial_year`` (None = every year, summed).

    ``estates`` has one row per estate: ``estate_id``, ``estate_name``, ``wards`` (names with
    codes), ``households_est``, ``total_pence``, ``low_pence``, ``high_pence``,
    ``direct_pence``, ``delegable_pence``, ``per_household_pence`` and
    ``delegable_per_household_pence``. ``services`` has one row per estate and service with
    spend there (``amount_pence``, ``per_household_pence``); a service one estate has and
    another has not gets a zero row for the other, so every estate lists the same services.

    Raises
    ------
    PlacespendError
        For too few or too many estates, or an id the store does not hold.
    """
    chosen = check_choice(estate_ids)
    totals = reads.estate_totals(con, financial_year).set_index("estate_id")
    unknown = [e for e in chosen if e not in totals.index]
    if unknown:
        msg = f"No estate with id {', '.join(unknown)} in this store. Pick estates by name."
        raise PlacespendError(msg)
    names = reads.ward_names(con)
    estates = totals.loc[chosen].reset_index()
    households = estates["households_est"].astype(float).where(estates["households_est"] > 0)
    estates = pd.DataFrame({
        "estate_id": estates["estate_id"],
        "estate_name": estates["estate_name"],
        "wards": estates["ward_codes"].map(lambda c: reads.wards_text(c, names)),
        "households_est": estates["households_est"].astype(float),
        **{col: estates[col].astype("int64") for col in
           ("total_pence", "low_pence", "high_pence", "direct_pence", "delegable_pence")},
        "per_household_pence": estates["total_pence"] / households,
        "delegable_per_household_pence": estates["delegable_pence"] / households,
    })
    return Comparison(estates, _by_service(con, estates, financial_year), financial_year)


def _by_service(con, estates: pd.DataFrame, financial_year: str | None) -> pd.DataFrame:
    rows = reads.estate_rows(con, None, financial_year)
    rows = rows[rows["estate_id"].isin(estates["estate_id"])]
    summed = rows.groupby(["service_id", "service", "delegable", "estate_id"],
                          as_index=False)["amount_pence"].sum()
    wide = summed.pivot_table(index=["service_id", "service", "delegable"],
                              columns="estate_id", values="amount_pence", fill_value=0,
                              aggfunc="sum")
    wide = wide.reindex(columns=estates["estate_id"], fill_value=0)
    long = wide.reset_index().melt(id_vars=["service_id", "service", "delegable"],
                                   var_name="estate_id", value_name="amount_pence")
    long["amount_pence"] = long["amount_pence"].astype("int64")
    households = estates.set_index("estate_id")["households_est"]
    long["per_household_pence"] = long["amount_pence"] / long["estate_id"].map(
        households.where(households > 0))
    order = long.groupby("service_id")["amount_pence"].sum().sort_values(ascending=False)
    long["_rank"] = long["service_id"].map({s: i for i, s in enumerate(order.index)})
    long["_estate"] = long["estate_id"].map(
        {e: i for i, e in enumerate(estates["estate_id"])})
    long = long.sort_values(["_rank", "_estate"]).drop(columns=["_rank", "_estate"])
    return long.reset_index(drop=True)


# ---- tables ----------------------------------------------------------------------------------


def summary_table(comp: Comparison) -> pd.DataFrame:
    """One row per estate: the headline figures in pounds (the charts' text alternative)."""
    e = comp.estates
    return pd.DataFrame({
        "Estate": e["estate_name"],
        "Wards": e["wards"],
        "Households (est.)": e["households_est"].round(0),
        "Total (£)": e["total_pence"] / 100,
        "Low (£)": e["low_pence"] / 100,
        "High (£)": e["high_pence"] / 100,
        "Per household (£)": (e["per_household_pence"] / 100).round(2),
        "Delegable pot (£)": e["delegable_pence"] / 100,
        "Delegable pot per household (£)": (e["delegable_per_household_pence"] / 100).round(2),
    })


def services_table(comp: Comparison, measure: str = MEASURES[0]) -> pd.DataFrame:
    """One row per service, one column per estate: £ or £ per household (``measure``)."""
    column = _measure_column(measure)
    keys = ["service_id", "service", "delegable"]
    wide = comp.services.pivot(index=keys, columns="estate_id", values=column)
    order = pd.MultiIndex.from_frame(comp.services[keys].drop_duplicates())
    out = wide.reindex(index=order, columns=comp.estates["estate_id"]).reset_index()
    table = pd.DataFrame({"Service": out["service"], "Delegable": out["delegable"]})
    unit = "£ per household" if column == "per_household_pence" else "£"
    for eid, name in zip(comp.estates["estate_id"], _unique(comp.names), strict=True):
        table[f"{name} ({unit})"] = (out[eid] / 100).round(2)
    return table


def csv_bytes(comp: Comparison, data_label: str) -> bytes:
    """The comparison as one CSV: a row per estate and line (the total, the delegable pot and
    each service), exact pounds, the data label on every row (formulas neutralised)."""
    e = comp.estates.set_index("estate_id")
    rows = []
    for eid, r in e.iterrows():
        for line, pence in (("total", r["total_pence"]), ("delegable pot", r["delegable_pence"])):
            rows.append((eid, r["estate_name"], line, "", int(pence)))
    rows += [(s.estate_id, e.loc[s.estate_id, "estate_name"], "service", s.service,
              int(s.amount_pence)) for s in comp.services.itertuples()]
    frame = pd.DataFrame(rows, columns=["estate_id", "estate_name", "line", "service",
                                        "amount_pence"])
    households = frame["estate_id"].map(e["households_est"]).astype(float)
    frame["households_est"] = households.round(1)
    per_home = frame["amount_pence"] / households.where(households > 0)
    frame["amount_gbp"] = frame.pop("amount_pence").map(money.gbp)
    frame["per_household_gbp"] = ["" if pd.isna(v) else money.gbp(round(v)) for v in per_home]
    frame["financial_year"] = comp.financial_year or "all years"
    frame["data"] = data_label
    return export.csv_bytes(frame)


def _measure_column(measure: str) -> str:
    return "amount_pence" if measure == "Total £" else "per_household_pence"


def _unique(names: list[str]) -> list[str]:
    """Names made unique for column headings (two estates may share one)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


# ---- charts ----------------------------------------------------------------------------------


def headline_chart(comp: Comparison) -> go.Figure:
    """Three small bar charts side by side: total, £ per household and delegable pot, one bar
    per estate in its own colour (the same colour in the by-service chart)."""
    panels = (("Total", "total_pence"), ("Per household", "per_household_pence"),
              ("Delegable pot", "delegable_pence"))
    fig = make_subplots(rows=1, cols=3, subplot_titles=[p for p, _ in panels],
                        horizontal_spacing=0.08)
    names = [_text(n) for n in _unique(comp.names)]
    colours = [ESTATE_COLOURS[i % len(ESTATE_COLOURS)] for i in range(len(names))]
    for col, (title, column) in enumerate(panels, start=1):
        values = comp.estates[column]
        fig.add_trace(go.Bar(
            x=names, y=values / 100, marker={"color": colours}, showlegend=False,
            text=[money.compact(v) for v in values], textposition="outside",
            textfont={"color": LABEL_COLOUR}, cliponaxis=False,
            hovertemplate=f"%{{x}}: £%{{y:,.0f}} ({title.lower()})<extra></extra>",
        ), row=1, col=col)
        fig.update_yaxes(tickprefix="£", rangemode="tozero", row=1, col=col)
    fig.update_xaxes(tickangle=-30, automargin=True)
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      font={"color": LABEL_COLOUR}, uniformtext={"minsize": 9, "mode": "show"})
    return fig


def services_chart(comp: Comparison, measure: str = MEASURES[0],
                   top: int = TOP_SERVICES) -> go.Figure:
    """Horizontal grouped bars: the ``top`` services by spend across the estates (the rest as
    one bar), one bar per estate, in £ or £ per household (``measure``)."""
    column = _measure_column(measure)
    services = comp.services
    ranked = list(dict.fromkeys(services["service_id"]))
    keep = set(ranked[:top])
    lines = services.assign(label=services["service"].where(services["service_id"].isin(keep),
                                                            OTHER_SERVICES))
    summed = lines.groupby(["label", "estate_id"], as_index=False, sort=False)[
        "amount_pence"].sum()
    households = comp.estates.set_index("estate_id")["households_est"]
    summed["per_household_pence"] = summed["amount_pence"] / summed["estate_id"].map(
        households.where(households > 0))
    order = [*(s for s in dict.fromkeys(lines["label"]) if s != OTHER_SERVICES),
             *([OTHER_SERVICES] if len(ranked) > top else [])]
    fig = go.Figure()
    for i, (eid, name) in enumerate(zip(comp.estates["estate_id"], _unique(comp.names),
                                        strict=True)):
        mine = summed[summed["estate_id"] == eid].set_index("label").reindex(order)
        values = mine[column]
        fig.add_trace(go.Bar(
            name=_text(name), y=[_text(s) for s in order], x=values / 100, orientation="h",
            marker={"color": ESTATE_COLOURS[i % len(ESTATE_COLOURS)]},
            text=[money.compact(v) for v in values], textposition="outside",
            textfont={"color": LABEL_COLOUR}, cliponaxis=False,
            hovertemplate="%{y}: £%{x:,.0f}<extra>" + _text(name) + "</extra>",
        ))
    fig.update_layout(
        barmode="group", xaxis_title=measure, xaxis={"tickprefix": "£"},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        height=160 + len(order) * (14 * len(comp.estates) + 14),
        margin={"l": 10, "r": 60, "t": 40, "b": 40}, font={"color": LABEL_COLOUR},
    )
    return fig
