"""Estate charts: Sankey flows, the interdependency network and matrix, the comparison."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from placespend import charts


@pytest.fixture
def services():
    """Three services on an estate, one with nothing here."""
    return pd.DataFrame(
        {
            "service_id": ["caretaking", "green_space", "early_years", "trees"],
            "service": ["Caretaking", "Green space", "Early years", "Trees"],
            "directorate": ["Housing", "Environment", "People", "Environment"],
            "amount_pence": [30_000, 5_000, 12_000, 0],
        }
    )


@pytest.fixture
def reach():
    return pd.DataFrame(
        {
            "service_id": ["caretaking", "green_space", "early_years", "trees"],
            "placed_pence": [300_000, 5_000, 120_000, 50_000],
        }
    )


@pytest.fixture
def links():
    return pd.DataFrame(
        {
            "from_service": ["green_space", "early_years", "caretaking", "trees"],
            "to_service": ["early_years", "green_space", "street_cleansing", "green_space"],
            "relation": ["reinforces", "depends_on", "reinforces", "reinforces"],
            "outcome": ["healthy_lives", "healthy_lives", "healthy_lives", "net_zero"],
            "outcome_label": ["Healthy", "Healthy", "Healthy", "Net zero"],
            "rationale": ["play", "outdoor", "rounds", "shade"],
        }
    )


def test_sankey_flows_into_the_estate_sum_to_its_total(services, reach):
    flows = charts.sankey_flows(services, "Estate", reach)
    into_estate = flows.loc[flows["target"] == "Estate", "pence"].sum()
    assert into_estate == services["amount_pence"].sum() == 47_000
    # every pound entering a service leaves it for the estate
    upstream = flows[flows["kind"] == "directorate"].groupby("target")["pence"].sum()
    downstream = flows[flows["kind"] == "estate"].groupby("source")["pence"].sum()
    pd.testing.assert_series_equal(upstream.sort_index(), downstream.sort_index(),
                                   check_names=False)
    assert "Trees" not in set(flows["target"])  # nothing here: no zero-width flow


def test_sankey_share_here_is_the_estates_part_of_each_service(services, reach):
    flows = charts.sankey_flows(services, "Estate", reach)
    share = flows[flows["kind"] == "estate"].set_index("source")["share_here"]
    assert share["Caretaking"] == pytest.approx(0.1)
    assert share["Green space"] == pytest.approx(1.0)


def test_sankey_with_elsewhere_accounts_for_each_whole_service(services, reach):
    flows = charts.sankey_flows(services, "Estate", reach, include_elsewhere=True)
    out_of = flows[flows["kind"] != "directorate"].groupby("source")["pence"].sum()
    assert out_of["Caretaking"] == 300_000
    assert out_of["Early years"] == 120_000
    assert flows.loc[flows["target"] == "Estate", "pence"].sum() == 47_000
    assert flows.loc[flows["target"] == charts.ELSEWHERE_NODE, "pence"].sum() == 378_000


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30))
@settings(max_examples=60, deadline=None)
def test_sankey_conserves_pence_for_any_amounts(amounts):
    frame = pd.DataFrame(
        {
            "service_id": [f"s{i}" for i in range(len(amounts))],
            "service": [f"Service {i}" for i in range(len(amounts))],
            "directorate": [f"D{i % 3}" for i in range(len(amounts))],
            "amount_pence": amounts,
        }
    )
    flows = charts.sankey_flows(frame, "E", None)
    assert flows.loc[flows["target"] == "E", "pence"].sum() == sum(amounts)
    assert (flows["pence"] > 0).all()


def test_sankey_figure_draws_every_flow_in_pounds(services, reach):
    flows = charts.sankey_flows(services, "Estate", reach)
    fig = charts.sankey(flows)
    link = fig.data[0].link
    assert sum(link.value) == pytest.approx(470.0 * 2)  # each pound drawn twice: in and out
    labels = list(fig.data[0].node.label)
    assert labels[-1] == "Estate"
    assert all(0 < x < 1 for x in fig.data[0].node.x)
    table = charts.sankey_table(flows)
    assert table["£"].sum() == pytest.approx(940.0)


def test_network_edges_only_between_services_present_on_the_estate(services, links):
    inter = charts.interdependency(services, links)
    present = set(inter.nodes["service_id"])
    assert present == {"caretaking", "green_space", "early_years"}
    assert set(inter.edges["from_service"]) <= present
    assert set(inter.edges["to_service"]) <= present
    assert len(inter.edges) == 2  # street_cleansing absent; trees has no spend here


def test_system_financing_pools_the_linked_services(services, links):
    inter = charts.interdependency(services, links)
    assert inter.pooled_pence == 5_000 + 12_000  # green space and early years; not caretaking
    assert inter.nodes.set_index("service_id")["linked"].to_dict() == {
        "caretaking": False, "green_space": True, "early_years": True,
    }


def test_outcome_filter_keeps_only_that_outcomes_links(services, links):
    inter = charts.interdependency(services, links, outcome="net_zero")
    assert inter.edges.empty
    assert inter.pooled_pence == 0


def test_network_figure_distinguishes_relations_and_outcomes(services, links):
    inter = charts.interdependency(services, links)
    fig = charts.network(inter, {"healthy_lives": "Healthy"})
    lines = [t for t in fig.data if t.mode == "lines"]
    assert {t.line.dash for t in lines} == {"solid", "dash"}
    assert {t.line.color for t in lines} == {charts.OUTCOME_COLOURS["healthy_lives"]}
    assert len(fig.layout.annotations) == 2  # one arrowhead per link
    nodes = fig.data[-1]
    assert len(nodes.x) == 2  # unlinked caretaking is left out of the drawing
    table = charts.link_table(inter)
    assert table.iloc[0]["Relation"] in {"reinforces", "depends on"}


def test_matrix_names_the_link_from_row_to_column(services, links):
    m = charts.matrix(charts.interdependency(services, links))
    assert m.loc["Green space", "Early years"] == "reinforces (healthy_lives)"
    assert m.loc["Early years", "Green space"] == "depends on (healthy_lives)"
    assert m.loc["Green space", "Green space"] == ""


def test_comparison_bars_one_per_place():
    comp = pd.DataFrame(
        {
            "level": ["estate", "ward", "borough"],
            "place": ["E", "W", "B"],
            "per_household_pence": [700_000.0, 400_000.0, None],
        }
    )
    fig = charts.comparison_bars(comp)
    assert list(fig.data[0].y) == ["E", "W", "B"]
    assert fig.data[0].text[-1] == "no households"


def test_contrast_is_wcags_ratio():
    assert charts.contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert charts.contrast("#777777", "#777777") == pytest.approx(1.0)
    assert charts.contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # AA's grey


@given(st.from_regex(r"#[0-9A-F]{6}", fullmatch=True))
def test_a_bar_label_is_black_or_white_whichever_reads_better(fill):
    chosen = charts.text_on(fill)
    other = "#FFFFFF" if chosen == "#000000" else "#000000"
    assert charts.contrast(chosen, fill) >= charts.contrast(other, fill)
    assert charts.contrast(chosen, fill) >= 4.58  # the worst case of the better of the two


def test_every_label_of_the_comparison_bars_has_aa_contrast():
    comp = pd.DataFrame({"level": ["estate", "ward", "all estates", "borough"],
                         "place": ["E", "W", "A", "B"],
                         "per_household_pence": [700_000.0, 400_000.0, 300_000.0, 200_000.0]})
    fig = charts.comparison_bars(comp)
    bar = fig.data[0]
    for fill, text in zip(bar.marker.color, bar.insidetextfont.color, strict=True):
        assert charts.contrast(text, fill) >= 4.5
    assert charts.contrast(bar.outsidetextfont.color, "#FFFFFF") >= 4.5
    layout = fig.layout
    for colour in (layout.font.color, layout.xaxis.tickfont.color, layout.yaxis.tickfont.color,
                   layout.xaxis.title.font.color):
        assert charts.contrast(colour, "#FFFFFF") >= 4.5
