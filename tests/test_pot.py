"""Participatory budgeting pots: sizing from the store, and the briefs for Decidim and CONSUL."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from placespend import intervals, pot, reads, store
from placespend.catalogue import load_catalogue
from placespend.demo import DEMO_LABEL
from placespend.errors import PlacespendError
from placespend.paths import db_path

YEAR = "2024-25"
PREVIOUS = "2023-24"


@pytest.fixture(scope="module")
def con(demo_home):
    connection = store.connect(db_path(demo_home))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def hilgrove(con) -> str:
    return reads.resolve_estate(con, "Hilgrove")


@pytest.fixture(scope="module")
def hilgrove_pot(con, hilgrove) -> pot.Pot:
    return pot.size_pot(con, hilgrove, YEAR, pot.delegable_services(con))


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# ---- sizing -----------------------------------------------------------------------------------


def test_pre_ticked_services_are_the_catalogues_delegable_ones(con):
    expected = {s.id for s in load_catalogue().services if s.delegable}
    ticked = pot.delegable_services(con)
    assert set(ticked) == expected
    assert {"caretaking", "repairs_non_essential", "green_space"} <= set(ticked)


def test_pot_equals_the_sum_of_those_services_rows_in_the_export(con, hilgrove, hilgrove_pot):
    rows = reads.estate_rows(con, hilgrove, YEAR)
    chosen = rows[rows["service_id"].isin(pot.delegable_services(con))]
    assert hilgrove_pot.total_pence == int(chosen["amount_pence"].sum()) > 0
    # the pot's interval combines the services' (errors of one count add, counts in quadrature)
    assert (hilgrove_pot.low_pence, hilgrove_pot.high_pence) == intervals.combine(chosen)
    assert int(chosen["low_pence"].sum()) < hilgrove_pot.low_pence < hilgrove_pot.total_pence
    assert hilgrove_pot.total_pence < hilgrove_pot.high_pence < int(chosen["high_pence"].sum())
    by_service = chosen.groupby("service_id")["amount_pence"].sum()
    lines = hilgrove_pot.lines.set_index("service_id")["amount_pence"]
    assert lines.to_dict() == {k: int(v) for k, v in by_service.items()}
    assert list(hilgrove_pot.lines.columns) == [
        "service_id", "service", "amount_pence", "low_pence", "high_pence", "alt_low_pence",
        "alt_high_pence", "error_group"]


def test_share_and_per_household_arithmetic(con, hilgrove, hilgrove_pot):
    totals = reads.estate_totals(con, YEAR).set_index("estate_id").loc[hilgrove]
    assert hilgrove_pot.estate_total_pence == int(totals["total_pence"])
    assert hilgrove_pot.share == pytest.approx(
        hilgrove_pot.total_pence / int(totals["total_pence"]))
    assert 0 < hilgrove_pot.share < 1
    assert hilgrove_pot.households_est == pytest.approx(float(totals["households_est"]))
    assert hilgrove_pot.per_household_pence == round(
        hilgrove_pot.total_pence / float(totals["households_est"]))


def test_previous_year_is_the_same_services_a_year_earlier(con, hilgrove, hilgrove_pot):
    earlier = pot.size_pot(con, hilgrove, PREVIOUS, pot.delegable_services(con))
    assert hilgrove_pot.previous_financial_year == PREVIOUS
    assert hilgrove_pot.previous_year_total_pence == earlier.total_pence
    assert earlier.previous_year_total_pence is None  # the demo starts in 2023-24
    change = (hilgrove_pot.total_pence - earlier.total_pence) / earlier.total_pence
    assert hilgrove_pot.change_share == pytest.approx(change)


def test_latest_year_by_default_and_chosen_services_only(con, hilgrove):
    one = pot.size_pot(con, hilgrove, None, ["caretaking"])
    assert one.financial_year == reads.latest_year(con)
    assert list(one.lines["service_id"]) == ["caretaking"]


def test_a_service_with_no_spend_on_the_estate_shows_a_zero_line(con, hilgrove):
    sized = pot.size_pot(con, hilgrove, YEAR, ["caretaking", "gla_levies"])
    levies = sized.lines.set_index("service_id").loc["gla_levies"]
    assert int(levies["amount_pence"]) == 0  # not place-based: never reaches an estate
    assert sized.total_pence == int(sized.lines["amount_pence"].sum())


@pytest.mark.parametrize(
    ("estate", "year", "services", "message"),
    [
        ("no-such-estate", YEAR, ["caretaking"], "No estate"),
        (None, "1999-00", ["caretaking"], "financial year"),
        (None, YEAR, ["caretaking", "gold_taps"], "gold_taps"),
    ],
)
def test_unknown_estate_year_or_service_is_a_user_error(con, hilgrove, estate, year,
                                                        services, message):
    with pytest.raises(PlacespendError, match=message):
        pot.size_pot(con, estate or hilgrove, year, services)


@given(st.lists(st.integers(min_value=-10**9, max_value=10**11), max_size=12))
def test_whole_pounds_add_up_to_the_rounded_total(pence):
    total, lines = pot.whole_pounds(sum(pence), pence)
    assert sum(lines) == total
    assert total == int((Decimal(sum(pence)) / 100).to_integral_value("ROUND_HALF_UP"))
    for p, whole in zip(pence, lines, strict=True):
        assert p // 100 <= whole <= p // 100 + 1


# ---- briefs -----------------------------------------------------------------------------------

# The documented Decidim / CONSUL shape (see placespend.pot's docstring and the JSON "schema").
TRANSLATABLE = {"type": "object", "required": ["en"],
                "properties": {"en": {"type": "string", "minLength": 1}}}
GBP_TEXT = {"type": "string", "pattern": r"^-?\d+\.\d\d$"}
BRIEF_SCHEMA = {
    "type": "object",
    "required": ["schema", "data", "caveats", "estate", "financial_year", "pot", "lines",
                 "decidim", "consul"],
    "properties": {
        "schema": {"type": "object", "required": ["name", "version", "note", "decidim",
                                                  "consul"]},
        "caveats": {"type": "array", "minItems": 2, "items": {"type": "string"}},
        "pot": {"type": "object",
                "required": ["amount_gbp", "amount_whole_gbp", "low_gbp", "high_gbp"],
                "properties": {"amount_gbp": GBP_TEXT, "amount_whole_gbp": {"type": "integer"},
                               "low_gbp": GBP_TEXT, "high_gbp": GBP_TEXT}},
        "decidim": {
            "type": "object",
            "required": ["budget", "projects"],
            "properties": {
                "budget": {
                    "type": "object",
                    "required": ["title", "description", "total_budget", "scope"],
                    "properties": {
                        "title": TRANSLATABLE,
                        "description": TRANSLATABLE,
                        "total_budget": {"type": "integer", "minimum": 0},
                        "scope": {"type": "object", "required": ["code", "name"],
                                  "properties": {"name": TRANSLATABLE}},
                    },
                },
                "projects": {"type": "array", "items": {
                    "type": "object",
                    "required": ["title", "description", "budget_amount"],
                    "properties": {"title": TRANSLATABLE, "description": TRANSLATABLE,
                                   "budget_amount": {"type": "integer", "exclusiveMinimum": 0},
                                   "budget_amount_gbp": GBP_TEXT},
                }},
            },
        },
        "consul": {
            "type": "object",
            "required": ["budget", "investments"],
            "properties": {
                "budget": {
                    "type": "object",
                    "required": ["name", "currency_symbol", "groups"],
                    "properties": {"groups": {"type": "array", "minItems": 1, "items": {
                        "type": "object",
                        "required": ["name", "headings"],
                        "properties": {"headings": {"type": "array", "minItems": 1, "items": {
                            "type": "object",
                            "required": ["name", "price", "population"],
                            "properties": {
                                "name": {"type": "string", "minLength": 1},
                                "price": {"type": "integer", "minimum": 0},
                                "population": {"anyOf": [{"type": "null"},
                                                         {"type": "integer", "minimum": 1}]},
                            },
                        }}},
                    }}},
                },
                "investments": {"type": "array", "items": {
                    "type": "object",
                    "required": ["title", "price", "heading"],
                    "properties": {"title": {"type": "string", "minLength": 1},
                                   "price": {"type": "integer", "minimum": 0},
                                   "price_gbp": GBP_TEXT},
                }},
            },
        },
    },
}


def test_json_brief_validates_against_the_decidim_and_consul_shape(hilgrove_pot):
    jsonschema = pytest.importorskip("jsonschema")
    brief = json.loads(pot.pot_brief_json(hilgrove_pot))
    jsonschema.validate(brief, BRIEF_SCHEMA)


def test_json_brief_amounts_match_the_pot_and_add_up(hilgrove_pot):
    brief = json.loads(pot.pot_brief_json(hilgrove_pot))
    assert brief["schema"]["name"] == "placespend.pot_brief"
    assert Decimal(brief["pot"]["amount_gbp"]) * 100 == hilgrove_pot.total_pence
    exact = sum(Decimal(line["amount_gbp"]) for line in brief["lines"])
    assert exact * 100 == hilgrove_pot.total_pence
    budget = brief["decidim"]["budget"]
    assert budget["total_budget"] == brief["pot"]["amount_whole_gbp"]
    assert budget["scope"]["code"] == hilgrove_pot.estate_id
    assert sum(p["budget_amount"] for p in brief["decidim"]["projects"]) == budget[
        "total_budget"]
    heading = brief["consul"]["budget"]["groups"][0]["headings"][0]
    assert heading["price"] == budget["total_budget"]
    assert heading["name"] == hilgrove_pot.estate_name
    assert heading["population"] == round(hilgrove_pot.residents_est) > 0
    assert sum(i["price"] for i in brief["consul"]["investments"]) == heading["price"]
    assert abs(heading["price"] * 100 - hilgrove_pot.total_pence) <= 50


def test_every_brief_carries_the_demo_label_and_the_caveats(hilgrove_pot):
    assert hilgrove_pot.data_label == DEMO_LABEL and hilgrove_pot.is_demo
    brief = json.loads(pot.pot_brief_json(hilgrove_pot))
    assert brief["data"] == DEMO_LABEL
    assert any("Apportioned estimate" in c for c in brief["caveats"])
    assert any("low-high" in c for c in brief["caveats"])
    rows = list(csv.DictReader(io.StringIO(pot.pot_brief_csv(hilgrove_pot).decode("utf-8"))))
    assert {r["data"] for r in rows} == {DEMO_LABEL}
    assert all("Apportioned estimate" in r["caveats"] for r in rows)
    text = _text(pot.pot_brief_pdf(hilgrove_pot))
    assert "SYNTHETIC DEMO DATA" in text and "Apportioned estimate" in text


def test_csv_brief_has_a_budget_row_then_one_project_row_per_line(hilgrove_pot):
    frame = pd.read_csv(io.BytesIO(pot.pot_brief_csv(hilgrove_pot)), dtype=str)
    assert list(frame.columns) == pot.CSV_COLUMNS
    assert list(frame["record_type"]) == ["budget"] + ["project"] * len(hilgrove_pot.lines)
    assert set(frame["scope_code"]) == {hilgrove_pot.estate_id}
    projects = frame[frame["record_type"] == "project"]
    assert sum(Decimal(v) for v in projects["amount_gbp"]) * 100 == hilgrove_pot.total_pence
    assert sum(int(v) for v in projects["amount_whole_gbp"]) == int(
        frame["amount_whole_gbp"].iloc[0])


def test_pdf_brief_names_the_estate_and_the_licences(hilgrove_pot):
    pdf = pot.pot_brief_pdf(hilgrove_pot)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert hilgrove_pot.estate_name in text
    assert "£" in text and "Caretaking and estate cleaning" in text
    assert "© OpenStreetMap contributors" in text


def _hostile_pot() -> pot.Pot:
    lines = pd.DataFrame({"service_id": ["x"], "service": ['=HYPERLINK("http://x")'],
                          "amount_pence": [12_345], "low_pence": [10_000],
                          "high_pence": [20_000]})
    return pot.Pot(
        estate_id="e1", estate_name="<script>alert(1)</script> Estate", financial_year=YEAR,
        lines=lines, total_pence=12_345, low_pence=10_000, high_pence=20_000,
        estate_total_pence=50_000, share=0.2469, households_est=10.0,
        per_household_pence=1_235, previous_year_total_pence=None, data_label="user data",
    )


def test_names_are_html_escaped_in_platform_descriptions():
    brief = pot.brief_dict(_hostile_pot())
    description = brief["decidim"]["budget"]["description"]["en"]
    assert "&lt;script&gt;" in description and "<script>" not in description
    assert "<script>" not in brief["consul"]["investments"][0]["description"]
    assert brief["decidim"]["budget"]["scope"]["name"]["en"].startswith("<script>")  # plain


def test_csv_brief_neutralises_spreadsheet_formulas():
    text = pot.pot_brief_csv(_hostile_pot()).decode("utf-8")
    assert "'=HYPERLINK" in text
    assert ',=HYPERLINK' not in text and ',"=HYPERLINK' not in text


def test_pdf_falls_back_to_a_core_font_with_the_pound_sign(hilgrove_pot, monkeypatch):
    from placespend import _pdf

    monkeypatch.setattr(_pdf, "font_files", lambda: None)
    pdf = pot.pot_brief_pdf(hilgrove_pot)
    assert b"/Helvetica" in pdf and b"DejaVu" not in pdf
    text = _text(pdf)
    assert "£" in text and hilgrove_pot.estate_name in text
    assert "SYNTHETIC DEMO DATA - not Camden's real spend" in text  # dash made ASCII


def test_pdf_uses_the_dejavu_font_matplotlib_ships():
    from placespend import _pdf

    regular, bold = _pdf.font_files()
    assert regular.name == "DejaVuSans.ttf" and bold.name == "DejaVuSans-Bold.ttf"


# ---- the pilot's terms ------------------------------------------------------------------------


def test_two_denominators_all_place_based_and_estate_services(con, hilgrove, hilgrove_pot):
    rows = reads.estate_rows(con, hilgrove, YEAR)
    landlord = pot.estate_service_ids(con)
    assert {"caretaking", "repairs_non_essential", "housing_management"} <= set(landlord)
    attrs = pot.service_attributes(con).set_index("service_id")
    assert set(attrs.loc[landlord, "directorate"]) == {"Housing"}
    expected = int(rows[rows["service_id"].isin(landlord)]["amount_pence"].sum())
    assert hilgrove_pot.estate_services_pence == expected > 0
    assert hilgrove_pot.estate_services_share == pytest.approx(
        hilgrove_pot.total_pence / expected)
    assert hilgrove_pot.share < hilgrove_pot.estate_services_share
    brief = json.loads(pot.pot_brief_json(hilgrove_pot))["pot"]
    assert Decimal(brief["estate_services_gbp"]) * 100 == expected


def test_unit_costs_come_from_the_catalogue(con):
    attrs = pot.service_attributes(con).set_index("service_id")
    assert attrs.loc["caretaking", "unit"] == "caretaker hour"
    assert attrs.loc["caretaking", "unit_cost_pence"] == 3000
    assert attrs.loc["adult_social_care", "unit_cost_pence"] is None


def test_pilot_reference_sets_the_published_lines_beside_the_tools(con, hilgrove, hilgrove_pot):
    ref = pot.pilot_reference(con, hilgrove_pot)
    assert list(ref.table["pilot_pence"]) == [4_200_000, 1_600_000, 4_200_000]
    assert ref.pilot_total_pence == 10_000_000
    assert "Mission-led procurement" in ref.source and "March 2023" in ref.source
    by_service = hilgrove_pot.lines.set_index("service_id")["amount_pence"]
    for row in ref.table.itertuples():
        assert row.tool_pence == int(by_service[row.service_id])
    words = " ".join(ref.notes)
    for reason in ("Boundary", "synthetic", "Key", "Denominator", "estate-services"):
        assert reason in words


def test_pdf_brief_states_both_denominators(hilgrove_pot):
    text = _text(pot.pot_brief_pdf(hilgrove_pot))
    assert "estate-services spend" in text and "all place-based spend" in text


# ---- the platforms' own rules -----------------------------------------------------------------
# Written from Decidim 0.28's decidim-budgets admin forms (BudgetForm: title translatable and
# present, description translatable, total_budget and weight integers >= 0; ProjectForm: title
# and description translatable and present, budget an integer > 0) and CONSUL Democracy 2.x's
# models (Budget::Heading: name present, price an integer, population > 0 or none;
# Budget::Investment: title present and at most 80 characters, description present, price).
PRESENT = {"type": "object", "required": ["en"],
           "properties": {"en": {"type": "string", "pattern": r"\S"}}}
DECIDIM_028 = {
    "type": "object",
    "required": ["budget", "projects"],
    "properties": {
        "budget": {"type": "object", "required": ["title", "description", "total_budget"],
                   "properties": {"title": PRESENT, "description": PRESENT,
                                  "total_budget": {"type": "integer", "minimum": 0},
                                  "weight": {"type": "integer", "minimum": 0}}},
        "projects": {"type": "array", "items": {
            "type": "object", "required": ["title", "description", "budget_amount"],
            "properties": {"title": PRESENT, "description": PRESENT,
                           "budget_amount": {"type": "integer", "exclusiveMinimum": 0}}}},
    },
}
CONSUL_2 = {
    "type": "object",
    "required": ["budget", "investments"],
    "properties": {
        "budget": {"type": "object", "required": ["name", "groups"], "properties": {
            "groups": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["name", "headings"], "properties": {
                    "headings": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "required": ["name", "price"], "properties": {
                            "name": {"type": "string", "pattern": r"\S"},
                            "price": {"type": "integer"},
                            "population": {"anyOf": [{"type": "null"},
                                                     {"type": "integer", "minimum": 1}]}}}}}}}}},
        "investments": {"type": "array", "items": {
            "type": "object", "required": ["title", "description", "price", "heading"],
            "properties": {"title": {"type": "string", "pattern": r"\S", "maxLength": 80},
                           "description": {"type": "string", "pattern": r"\S"},
                           "price": {"type": "integer", "minimum": 0}}}},
    },
}


@pytest.mark.parametrize("make", ["hilgrove", "hostile"])
def test_decidim_and_consul_shapes_pass_the_platforms_own_rules(hilgrove_pot, make):
    jsonschema = pytest.importorskip("jsonschema")
    sized = hilgrove_pot if make == "hilgrove" else _hostile_pot()
    if make == "hostile":
        sized.lines.loc[0, "service"] = "A very long service name " * 10
    brief = pot.brief_dict(sized)
    jsonschema.validate(brief["decidim"], DECIDIM_028)
    jsonschema.validate(brief["consul"], CONSUL_2)
