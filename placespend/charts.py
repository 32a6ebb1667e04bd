"""Plotly figures for the estate page: where an estate's money comes from (Sankey), how the
services on it depend on each other (network and matrix), and how it compares per household.

Each figure is built from a plain frame that is also returned or testable on its own (the
flows of the Sankey, the nodes and edges of the network), and that frame doubles as the
chart's text alternative in the app.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from placespend import money
from placespend.safe_text import html as _text

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
OUTCOME_COLOURS = {"net_zero": "#009E73", "healthy_lives": "#0072B2", "empowered": "#E69F00"}
RELATION_DASH = {"reinforces": "solid", "depends_on": "dash", "undermines": "dot"}
RELATION_WORDS = {
    "reinforces": "reinforces",
    "depends_on": "depends on",
    "undermines": "undermines",
}
ESTATE_NODE = "this estate"
ELSEWHERE_NODE = "Elsewhere in the borough"


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


TEXT_COLOUR = "#262730"  # Streamlit's own text colour: 15:1 on white
DARK_TEXT, LIGHT_TEXT = "#000000", "#FFFFFF"


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#RRGGBB``."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (a bar's colour)."""
    return max((DARK_TEXT, LIGHT_TEXT), key=lambda c: contrast(c, fill))


def readable(fig: go.Figure) -> go.Figure:
    """Every label of ``fig`` in :data:`TEXT_COLOUR` (the dashboard's theme draws axis ticks
    and titles in a grey of 3.7:1 on white; WCAG AA asks 4.5:1), and each bar's inside label
    in black or white by its bar's colour, its outside label in the text colour."""
    axis = {"tickfont": {"color": TEXT_COLOUR}, "title": {"font": {"color": TEXT_COLOUR}}}
    fig.update_layout(font={"color": TEXT_COLOUR}, legend={"font": {"color": TEXT_COLOUR}},
                      title={"font": {"color": TEXT_COLOUR}})
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    for trace in fig.data:
        if trace.type != "bar" or trace.text is None:
            continue
        colour = trace.marker.color
        fills = [colour] * len(trace.text) if isinstance(colour, str) or colour is None \
            else list(colour)
        trace.insidetextfont = {"color": [text_on(f) if isinstance(f, str) and f.startswith("#")
                                          and len(f) == 7 else TEXT_COLOUR for f in fills]}
        trace.outsidetextfont = {"color": TEXT_COLOUR}
    return fig


def outcome_colour(outcome: str, order: list[str] | None = None) -> str:
    """A fixed colour per mission outcome (Okabe–Ito), stable across charts."""
    if outcome in OUTCOME_COLOURS:
        return OUTCOME_COLOURS[outcome]
    order = order or []
    i = order.index(outcome) if outcome in order else abs(hash(outcome))
    return OKABE_ITO[i % len(OKABE_ITO)]


# ---- Sankey: directorate -> service -> this estate -------------------------------------------


def sankey_flows(
    services: pd.DataFrame,
    estate_name: str,
    reach: pd.DataFrame | None = None,
    *,
    include_elsewhere: bool = False,
) -> pd.DataFrame:
    """The flows of the estate Sankey, in pence.

    Parameters
    ----------
    services
        One row per service on the estate: ``service_id``, ``service``, ``directorate``,
        ``amount_pence`` (see ``views.by_service``). Services with nothing on the estate are
        left out (a Sankey cannot draw zero or negative flows).
    estate_name
        Label of the estate node.
    reach
        ``service_id``, ``placed_pence``: each service's money placed anywhere in the borough.
        Gives each service's ``elsewhere_pence`` (placed minus this estate) and share here.
    include_elsewhere
        Also draw service -> "Elsewhere in the borough" flows, and size directorate -> service
        flows by the whole service rather than this estate's part.

    Returns
    -------
    DataFrame
        ``source``, ``target``, ``pence``, ``kind`` (``directorate`` | ``estate`` |
        ``elsewhere``), ``directorate``, ``share_here`` (0..1, NaN without ``reach``). The
        ``estate`` flows sum to the estate's total over the services given.
    """
    on_estate = services[services["amount_pence"] > 0].copy()
    if reach is not None and len(reach):
        placed = reach.set_index("service_id")["placed_pence"]
        on_estate["placed_pence"] = on_estate["service_id"].map(placed).fillna(0)
        on_estate["placed_pence"] = on_estate[["placed_pence", "amount_pence"]].max(axis=1)
        on_estate["share_here"] = on_estate["amount_pence"] / on_estate["placed_pence"]
    else:
        on_estate["placed_pence"] = on_estate["amount_pence"]
        on_estate["share_here"] = float("nan")
    on_estate["elsewhere_pence"] = on_estate["placed_pence"] - on_estate["amount_pence"]
    rows = []
    for r in on_estate.itertuples():
        upstream = r.placed_pence if include_elsewhere else r.amount_pence
        rows.append((r.directorate, r.service, upstream, "directorate", r.directorate,
                     r.share_here))
        rows.append((r.service, estate_name, r.amount_pence, "estate", r.directorate,
                     r.share_here))
        if include_elsewhere and r.elsewhere_pence > 0:
            rows.append((r.service, ELSEWHERE_NODE, r.elsewhere_pence, "elsewhere",
                         r.directorate, r.share_here))
    return pd.DataFrame(
        rows, columns=["source", "target", "pence", "kind", "directorate", "share_here"]
    )


def _sankey_layout(flows: pd.DataFrame) -> tuple[list[str], list[float], list[float]]:
    """Nodes in column order (directorates, services, targets), each column sorted so flows
    do not cross: directorates by size, services grouped under their directorate, and a y
    position at the middle of each node's share of its column."""
    outflow = flows.groupby("source")["pence"].sum()
    inflow = flows.groupby("target")["pence"].sum()
    names = set(outflow.index) | set(inflow.index)
    size = {n: float(max(outflow.get(n, 0.0), inflow.get(n, 0.0))) for n in names}
    upstream = flows[flows["kind"] == "directorate"]
    directorates = sorted(upstream["source"].unique(), key=lambda d: -size[d])
    rank = {d: i for i, d in enumerate(directorates)}
    services = sorted(
        upstream["target"].unique(),
        key=lambda s: (rank[upstream.loc[upstream["target"] == s, "source"].iloc[0]], -size[s]),
    )
    targets = [t for t in dict.fromkeys(flows["target"]) if t not in set(services)]
    nodes, xs, ys = [], [], []
    for x, column in ((0.001, directorates), (0.5, services), (0.999, targets)):
        total = sum(size[n] for n in column) or 1.0
        gap = min(0.02, 0.4 / max(len(column), 1))  # room between nodes, as plotly pads them
        scale = (0.9 - gap * (len(column) - 1)) / total  # leave room for plotly's minimum
        # node heights, which push the smallest nodes down
        top = 0.02
        for n in column:
            nodes.append(n)
            xs.append(x)
            ys.append(top + size[n] * scale / 2)
            top += size[n] * scale + gap
    return nodes, xs, ys


def sankey(flows: pd.DataFrame, title: str = "") -> go.Figure:
    """A plotly Sankey of :func:`sankey_flows`; link colour follows the directorate."""
    nodes, xs, ys = _sankey_layout(flows)
    index = {n: i for i, n in enumerate(nodes)}
    directorates = sorted(flows["directorate"].unique())
    colour = {d: OKABE_ITO[i % len(OKABE_ITO)] for i, d in enumerate(directorates)}
    node_colour = [colour.get(n, "#888888") for n in nodes]
    hover = [
        f"{money.compact(p)}"
        + ("" if pd.isna(s) or k == "directorate" else f"; {s:.2%} of this service lands here")
        for p, s, k in zip(flows["pence"], flows["share_here"], flows["kind"], strict=True)
    ]
    link_colour = [
        _rgba("#999999", 0.35) if k == "elsewhere" else _rgba(colour[d], 0.45)
        for k, d in zip(flows["kind"], flows["directorate"], strict=True)
    ]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=" £",
            node={
                "label": [_text(n) for n in nodes],
                "x": xs,
                "y": ys,
                "color": node_colour,
                "pad": 8,
                "thickness": 14,
                "line": {"color": "#444444", "width": 0.5},
            },
            link={
                "source": [index[s] for s in flows["source"]],
                "target": [index[t] for t in flows["target"]],
                "value": (flows["pence"] / 100).round(2).tolist(),
                "color": link_colour,
                "customdata": hover,
                "hovertemplate": "%{source.label} → %{target.label}: %{customdata}<extra></extra>",
            },
        )
    )
    fig.update_layout(
        title={"text": _text(title)} if title else None,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        height=max(460, 120 + 30 * int((flows["kind"] == "directorate").sum())),
        font={"size": 13, "color": "#222222"},
    )
    return readable(fig)


def sankey_table(flows: pd.DataFrame) -> pd.DataFrame:
    """The Sankey's flows as a readable table (its text alternative)."""
    return pd.DataFrame(
        {
            "From": flows["source"],
            "To": flows["target"],
            "£": (flows["pence"] / 100).round(2),
            "Share of the service landing here": (flows["share_here"] * 100).round(3),
        }
    )


# ---- interdependency -----------------------------------------------------------------------


@dataclass(frozen=True)
class Interdependency:
    """Services present on an estate and the catalogue links among them.

    ``nodes``: service_id, service, directorate, amount_pence, linked (bool).
    ``edges``: from_service, to_service, relation, outcome, outcome_label, rationale (both ends
    present on the estate). ``pooled_pence``: the "system financing" total, the spend of every
    service that takes part in at least one link here.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    pooled_pence: int


def interdependency(
    services: pd.DataFrame, links: pd.DataFrame, outcome: str | None = None
) -> Interdependency:
    """Keep the links whose two services both have spend on the estate (and serve ``outcome``
    when given), and pool the spend of the services they join."""
    present = services[services["amount_pence"] > 0][
        ["service_id", "service", "directorate", "amount_pence"]
    ].reset_index(drop=True)
    ids = set(present["service_id"])
    edges = links[links["from_service"].isin(ids) & links["to_service"].isin(ids)]
    if outcome:
        edges = edges[edges["outcome"] == outcome]
    edges = edges.reset_index(drop=True)
    linked = set(edges["from_service"]) | set(edges["to_service"])
    present["linked"] = present["service_id"].isin(linked)
    pooled = int(present.loc[present["linked"], "amount_pence"].sum())
    return Interdependency(present, edges, pooled)


def _ellipse(n: int, rx: float = 1.0, ry: float = 1.0) -> list[tuple[float, float]]:
    angles = [math.pi / 2 - 2 * math.pi * i / max(n, 1) for i in range(n)]
    return [(rx * math.cos(a), ry * math.sin(a)) for a in angles]


def _label_side(x: float, y: float) -> str:
    """Labels point away from the ellipse's centre so they do not cross the links."""
    if x > 0.05:
        return "middle right"
    if x < -0.05:
        return "middle left"
    return "top center" if y > 0 else "bottom center"


def network(inter: Interdependency, outcome_labels: dict[str, str] | None = None) -> go.Figure:
    """Linked services on an ellipse, circles sized by £ (area), arrows for links coloured by
    mission outcome and dashed by relation (solid reinforces, dashed depends on, dotted
    undermines). Services with no link here are left out (the caption counts them)."""
    labels = outcome_labels or {}
    nodes = (
        inter.nodes[inter.nodes["linked"]]
        .sort_values(["directorate", "service"])
        .reset_index(drop=True)
    )
    pos = dict(zip(nodes["service_id"], _ellipse(len(nodes), 1.0, 0.9), strict=True))
    name = dict(zip(nodes["service_id"], nodes["service"], strict=True))
    fig = go.Figure()
    order = sorted(inter.edges["outcome"].unique()) if len(inter.edges) else []
    shown: set[tuple[str, str]] = set()
    for e in inter.edges.itertuples():
        (x0, y0), (x1, y1) = pos[e.from_service], pos[e.to_service]
        colour = outcome_colour(e.outcome, order)
        legend = (e.outcome, e.relation)
        words = RELATION_WORDS.get(e.relation, e.relation)
        fig.add_trace(
            go.Scatter(
                x=[x0, (x0 + x1) / 2, x1],
                y=[y0, (y0 + y1) / 2, y1],
                mode="lines",
                line={"color": colour, "width": 2.5, "dash": RELATION_DASH.get(e.relation)},
                name=_text(f"{labels.get(e.outcome, e.outcome)}: {words}"),
                legendgroup=f"{e.outcome}-{e.relation}",
                showlegend=legend not in shown,
                hovertext=_text(
                    f"{name[e.from_service]} {words} {name[e.to_service]} "
                    f"({labels.get(e.outcome, e.outcome)}): {e.rationale}"
                ),
                hoverinfo="text",
            )
        )
        shown.add(legend)
        fig.add_annotation(
            x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
            showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=1.5, arrowcolor=colour,
            standoff=16, text="",
        )
    top = float(nodes["amount_pence"].max()) if len(nodes) else 0.0
    sizes = [12 + 34 * math.sqrt(max(a, 0) / top) if top > 0 else 12
             for a in nodes["amount_pence"]]
    xs = [pos[s][0] for s in nodes["service_id"]]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[pos[s][1] for s in nodes["service_id"]],
            mode="markers+text",
            text=[_text(f"{s} ({money.compact(a)})")
                  for s, a in zip(nodes["service"], nodes["amount_pence"], strict=True)],
            textposition=[_label_side(x, y) for x, y in zip(
                xs, [pos[s][1] for s in nodes["service_id"]], strict=True)],
            textfont={"size": 12, "color": "#222222"},
            marker={"size": sizes, "color": "#4d4d4d", "line": {"color": "white", "width": 1}},
            hovertext=[_text(f"{s} ({d}): {money.compact(a)} on this estate") for s, d, a in
                       zip(nodes["service"], nodes["directorate"], nodes["amount_pence"],
                           strict=True)],
            hoverinfo="text",
            name="service (circle area = £ here)",
            showlegend=True,
        )
    )
    fig.update_layout(
        xaxis={"visible": False, "range": [-2.4, 2.4]},
        yaxis={"visible": False, "range": [-1.15, 1.12]},
        height=700,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": -0.02},
        plot_bgcolor="white",
    )
    return readable(fig)


def link_table(inter: Interdependency) -> pd.DataFrame:
    """The links as sentences with both services' £ (the network's text alternative)."""
    amount = dict(zip(inter.nodes["service_id"], inter.nodes["amount_pence"], strict=True))
    name = dict(zip(inter.nodes["service_id"], inter.nodes["service"], strict=True))
    return pd.DataFrame(
        {
            "From": inter.edges["from_service"].map(name),
            "Relation": inter.edges["relation"].map(lambda r: RELATION_WORDS.get(r, r)),
            "To": inter.edges["to_service"].map(name),
            "Outcome": inter.edges["outcome_label"],
            "From £": inter.edges["from_service"].map(amount).div(100).round(2),
            "To £": inter.edges["to_service"].map(amount).div(100).round(2),
            "Why": inter.edges["rationale"],
        }
    )


def matrix(inter: Interdependency) -> pd.DataFrame:
    """Service × service matrix of links among linked services: each cell names the relation and
    outcome of the link from the row's service to the column's ('' when none)."""
    linked = inter.nodes[inter.nodes["linked"]]
    names = dict(zip(linked["service_id"], linked["service"], strict=True))
    out = pd.DataFrame("", index=list(names.values()), columns=list(names.values()))
    for e in inter.edges.itertuples():
        cell = f"{RELATION_WORDS.get(e.relation, e.relation)} ({e.outcome})"
        current = out.loc[names[e.from_service], names[e.to_service]]
        out.loc[names[e.from_service], names[e.to_service]] = (
            f"{current}; {cell}" if current else cell
        )
    return out


# ---- comparison ----------------------------------------------------------------------------


def comparison_bars(comp: pd.DataFrame) -> go.Figure:
    """Horizontal bars of £ per household: the estate, its ward(s), all estates, the borough."""
    colour = {"estate": "#D55E00", "ward": "#0072B2", "all estates": "#56B4E9",
              "borough": "#999999"}
    values = comp["per_household_pence"] / 100
    fig = go.Figure(
        go.Bar(
            x=values,
            y=[_text(p) for p in comp["place"]],
            orientation="h",
            marker={"color": [colour.get(k, "#777777") for k in comp["level"]]},
            text=[money.whole(p, "no households") for p in comp["per_household_pence"]],
            textposition="auto",
            hovertemplate="%{y}: £%{x:,.0f} per household<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title="£ per household",
        yaxis={"autorange": "reversed"},
        height=120 + 40 * len(comp),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
    )
    return readable(fig)


# ---- the data label on every chart -----------------------------------------------------------


def with_data_label(fig: go.Figure, label: str) -> go.Figure:
    """``fig`` with the data label written above it, at the left (dark on white, 12:1), so a
    chart saved as an image still says the data is synthetic; returns ``fig``."""
    top = fig.layout.margin.t if fig.layout.margin and fig.layout.margin.t is not None else 80
    fig.add_annotation(text=_text(label), xref="paper", yref="paper", x=0, y=1,
                       xanchor="left", yanchor="bottom", yshift=max(top, 56) - 20,
                       showarrow=False, font={"size": 11, "color": "#333333"})
    fig.update_layout(margin={"t": max(top, 56) + 4})
    return fig


# ---- Capital beside the services it should reduce --------------------------------------------


def capital_chart(by_year: pd.DataFrame, programme: pd.DataFrame | None = None,
                  synthetic: bool = False) -> go.Figure:
    """Capital £ by financial year (bars) beside the linked services' £ per home on the
    estate and on the estates like it (lines, right axis); a capital programme's schemes as
    shaded spans over their years. ``by_year`` is :attr:`placespend.capital.CapitalView.by_year`.
    """
    years = list(by_year["financial_year"])
    if programme is not None and len(programme):
        for col in ("start_year", "end_year"):
            years += [y for y in programme[col] if y not in years]
    years = sorted(set(years))
    fig = go.Figure()
    schemes = programme if programme is not None else pd.DataFrame()
    for i, scheme in enumerate(schemes.itertuples()):
        span = [y for y in years if scheme.start_year <= y <= scheme.end_year]
        name = _text(scheme.scheme)
        if synthetic and "synthetic" not in name.lower():
            name += " (synthetic)"
        fig.add_trace(go.Bar(
            x=span, y=[scheme.budget_pence / 100 / max(1, len(span))] * len(span),
            name=f"Programme: {name}",
            marker={"color": _rgba(OKABE_ITO[(i + 4) % len(OKABE_ITO)], 0.35)},
            hovertemplate="%{x}: budget £%{y:,.0f} a year (spread evenly)<extra></extra>",
        ))
    fig.add_trace(go.Bar(
        x=by_year["financial_year"], y=by_year["capital_pence"] / 100, name="Capital spend",
        marker={"color": OKABE_ITO[0]}, hovertemplate="%{x}: £%{y:,.0f}<extra>capital</extra>",
    ))
    for col, name, dash in (("linked_per_home_pence", "Linked services £ per home", "solid"),
                            ("peers_linked_per_home_pence",
                             "Estates like it: linked £ per home", "dash")):
        fig.add_trace(go.Scatter(
            x=by_year["financial_year"], y=by_year[col] / 100, name=name, yaxis="y2",
            mode="lines+markers", line={"color": OKABE_ITO[5], "dash": dash},
            hovertemplate="%{x}: £%{y:,.0f} per home<extra></extra>",
        ))
    fig.update_layout(
        barmode="group", height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"title": "Financial year", "categoryorder": "array", "categoryarray": years,
               "type": "category"},
        yaxis={"title": "Capital £", "rangemode": "tozero"},
        yaxis2={"title": "£ per home", "overlaying": "y", "side": "right",
                "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig
