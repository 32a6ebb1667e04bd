"""Scenarios side by side, and the meeting pack a PB facilitator prints for residents.

:func:`comparison` lays 2 to 4 plans out as one table (a row per service, then the services,
the ideas pot and the pot); :func:`comparison_chart` draws the same as stacked bars;
:func:`meeting_pack_pdf` writes every plan in plain words into one A4 PDF that prints in
black and white, with the synthetic-data label when it applies.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from placespend import _texts, money
from placespend._pdf import Document
from placespend.charts import readable
from placespend.errors import PlacespendError
from placespend.safe_text import html as _html
from placespend.scenarios import COMPARE_MAX, Plan, unit_words

SERVICES_ROW = "Service lines together"
IDEAS_ROW = "Ideas pot (residents' own ideas)"
POT_ROW = "The pot"
# Greys and hatching: the chart reads the same printed in black and white.
_GREYS = ("#222222", "#555555", "#888888", "#aaaaaa", "#cccccc", "#444444", "#777777")


def comparison(plans: Sequence[Plan]) -> pd.DataFrame:
    """One column of pence per plan (named by scenario), a row per service then the totals.

    Services missing from a plan show 0. Each column satisfies services + ideas = pot.
    """
    _check_count(plans)
    services: dict[str, str] = {}
    for p in plans:
        services.update(zip(p.lines["service_id"], p.lines["service"], strict=True))
    table = pd.DataFrame({"row": [*services.values(), SERVICES_ROW, IDEAS_ROW, POT_ROW]})
    for p in plans:
        amounts = dict(zip(p.lines["service_id"], p.lines["planned_pence"], strict=True))
        table[p.scenario.name] = [int(amounts.get(s, 0)) for s in services] + [
            p.services_pence, p.ideas_pence, p.pot_pence]
    return table


def comparison_display(plans: Sequence[Plan]) -> pd.DataFrame:
    """:func:`comparison` in pounds for a data table."""
    table = comparison(plans)
    out = pd.DataFrame({"": table["row"]})
    for p in plans:
        out[f"{p.scenario.name} (£)"] = (table[p.scenario.name] / 100).round(2)
    return out


def comparison_chart(plans: Sequence[Plan]) -> go.Figure:
    """Stacked bars, one per scenario: each service line, then the ideas pot (hatched)."""
    _check_count(plans)
    names = [_html(p.scenario.name) for p in plans]
    fig = go.Figure()
    services: dict[str, str] = {}
    for p in plans:
        services.update(zip(p.lines["service_id"], p.lines["service"], strict=True))
    for i, (sid, service) in enumerate(services.items()):
        values = []
        for p in plans:
            found = p.lines[p.lines["service_id"] == sid]["planned_pence"]
            values.append(int(found.sum()) / 100)
        fig.add_bar(x=names, y=values, name=_html(service),
                    marker={"color": _GREYS[i % len(_GREYS)]},
                    hovertemplate="%{x}: £%{y:,.2f}<extra>" + _html(service) + "</extra>")
    fig.add_bar(x=names, y=[p.ideas_pence / 100 for p in plans], name="Ideas pot",
                marker={"color": "white", "line": {"color": "black", "width": 1.5},
                        "pattern": {"shape": "/", "fgcolor": "black"}},
                hovertemplate="%{x}: £%{y:,.2f}<extra>Ideas pot</extra>")
    fig.update_layout(barmode="stack", yaxis_title="£ per year", height=420,
                      legend_title_text="", margin={"t": 30})
    return readable(fig)


def meeting_pack_pdf(plans: Sequence[Plan]) -> bytes:
    """Every plan in plain words, their comparison, the years, the caveats: one A4 PDF."""
    if not plans:
        msg = "Save at least one scenario to make a meeting pack."
        raise PlacespendError(msg)
    first = plans[0].pot
    title = f"{first.estate_name}: residents' budget, meeting pack"
    doc = Document(title, first.data_label, is_demo=first.is_demo)
    doc.heading(title)
    doc.subheading(f"{len(plans)} scenario{'s' if len(plans) > 1 else ''}, financial year "
                   f"{first.financial_year}. Data: {first.data_label}.")
    doc.banner()
    doc.paragraph(
        f"The pot is what is spent now, in a year, on the services residents could run: "
        f"{money.exact(first.total_pence)} here. Residents can cut or raise each service line; "
        "whatever they cut goes into an ideas pot for their own ideas, and whatever they raise "
        "comes out of it. The service lines and the ideas pot always add up to the pot.")
    for p in plans:
        _plan_section(doc, p)
    if len(plans) > 1:
        doc.section("The scenarios side by side (£ a year)")
        shown = plans[:COMPARE_MAX]
        table = comparison(shown)
        width = 180 - 40 * len(shown) if len(shown) < 4 else 60
        doc.table(["", *[p.scenario.name for p in shown]],
                  [[r["row"], *[money.exact(int(r[p.scenario.name])) for p in shown]]
                   for _, r in table.iterrows()],
                  widths=(width, *[30] * len(shown)),
                  align=("LEFT", *["RIGHT"] * len(shown)))
    doc.section("Read this before using the figures")
    for caveat in _texts.CAVEATS:
        doc.paragraph(caveat)
    doc.paragraph(_texts.HILGROVE_REFERENCE)
    doc.licences(first.licences)
    return doc.output()


def plan_words(p: Plan) -> list[str]:
    """The plan in plain sentences, as the meeting pack prints them."""
    words = [
        f"Scenario '{p.scenario.name}' keeps {money.exact(p.services_pence)} a year for the "
        f"services and leaves {money.exact(p.ideas_pence)} a year for residents' own ideas, out of "
        f"a pot of {money.exact(p.pot_pence)}."
    ]
    for row in p.lines.itertuples():
        if row.change_pence:
            verb = "cut" if row.change_pence < 0 else "raised"
            units = unit_words(row)
            words.append(
                f"{row.service} is {verb} by {money.exact(abs(row.change_pence))}, from "
                f"{money.exact(row.base_pence)} to {money.exact(row.planned_pence)}"
                + (f" ({units})." if units else "."))
    if p.scenario.years > 1:
        total = int(p.years["pot_pence"].sum())
        ideas = int(p.years["ideas_pence"].sum())
        words.append(
            f"Over {p.scenario.years} years with uprating of {p.uprating} the pot comes to "
            f"{money.exact(total)}, of which {money.exact(ideas)} is for residents' ideas.")
    return words


def _plan_section(doc: Document, p: Plan) -> None:
    doc.section(f"Scenario: {p.scenario.name}")
    for sentence in plan_words(p):
        doc.paragraph(sentence)
    doc.table(
        ["Service", "Now", "Change", "Planned"],
        [[r.service, money.exact(r.base_pence), _signed(r.change_pence),
          money.exact(r.planned_pence)]
         for r in p.lines.itertuples()]
        + [[IDEAS_ROW, "", "", money.exact(p.ideas_pence)],
           [POT_ROW, money.exact(p.pot_pence), "", money.exact(p.pot_pence)]],
        widths=(90, 30, 30, 30), align=("LEFT", "RIGHT", "RIGHT", "RIGHT"))
    if p.scenario.years > 1:
        doc.table(["Year", "Financial year", "Services", "Ideas pot", "Pot"],
                  [[r.year_no, r.financial_year, money.exact(r.services_pence),
                    money.exact(r.ideas_pence), money.exact(r.pot_pence)]
                   for r in p.years.itertuples()],
                  widths=(20, 35, 40, 40, 40), align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"))


def _signed(pence: int) -> str:
    return money.signed(pence) if pence else "-"


def _check_count(plans: Sequence[Plan]) -> None:
    if not 1 <= len(plans) <= COMPARE_MAX:
        msg = f"Compare 1 to {COMPARE_MAX} scenarios at a time, not {len(plans)}."
        raise PlacespendError(msg)


__all__ = ["comparison", "comparison_chart", "comparison_display", "meeting_pack_pdf",
           "plan_words"]
