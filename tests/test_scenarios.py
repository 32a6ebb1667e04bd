"""Residents' trade-offs: changes within bounds, services + ideas = pot to the penny, years,
scenarios kept with the data set, compared, and printed in a meeting pack."""

from __future__ import annotations

import io
import json
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from placespend import meeting, pot, reads, store
from placespend.errors import PlacespendError
from placespend.paths import db_path
from placespend.scenarios import Change, Scenario, ScenarioBook, apply_changes, over_years, plan

YEAR = "2024-25"


def _lines(pence: list[int]) -> pd.DataFrame:
    return pd.DataFrame({
        "service_id": [f"s{i}" for i in range(len(pence))],
        "service": [f"Service {i}" for i in range(len(pence))],
        "amount_pence": pence,
    })


def _scenario(changes=(), cut="50", rise="50", **kw) -> Scenario:
    return Scenario(name=kw.pop("name", "t"), estate_id="e", financial_year=YEAR,
                    service_ids=(), changes=tuple(changes), cut_pct=cut, raise_pct=rise, **kw)


# ---- arithmetic by hand -------------------------------------------------------------------------


def test_a_ten_percent_cut_moves_exactly_that_into_the_ideas_pot():
    lines = _lines([3_772_188, 2_725_408])
    out = apply_changes(lines, _scenario([Change("s0", "pct", "-10")]))
    assert out["change_pence"].tolist() == [-377_219, 0]  # 377,218.8 rounds half up
    ideas = int(lines["amount_pence"].sum()) - int(out["planned_pence"].sum())
    assert ideas == 377_219


def test_a_pound_change_is_taken_to_the_penny():
    out = apply_changes(_lines([100_000]), _scenario([Change("s0", "gbp", "-123.45")]))
    assert out["change_pence"].tolist() == [-12_345]


def test_bounds_refuse_a_change_beyond_them_and_say_by_how_much():
    with pytest.raises(PlacespendError, match=r"outside the bounds -£250.00 to \+£100.00"):
        apply_changes(_lines([100_000]), _scenario([Change("s0", "pct", "-30")],
                                                  cut="25", rise="10"))
    ok = apply_changes(_lines([100_000]), _scenario([Change("s0", "pct", "-25")], cut="25"))
    assert ok["change_pence"].tolist() == [-25_000]
    assert ok["low_change_pence"].tolist() == [-25_000]


def test_raising_past_the_pot_is_refused_with_what_to_do():
    with pytest.raises(PlacespendError, match="cut another line"):
        apply_changes(_lines([100_000, 50_000]), _scenario([Change("s0", "pct", "5")]))
    fine = apply_changes(_lines([100_000, 50_000]), _scenario(
        [Change("s0", "pct", "5"), Change("s1", "gbp", "-50")]))
    assert int(fine["planned_pence"].sum()) == 150_000


def test_a_change_to_a_service_not_in_the_pot_or_not_a_number_is_a_user_error():
    with pytest.raises(PlacespendError, match="not in the pot"):
        apply_changes(_lines([100]), _scenario([Change("gold", "pct", "-1")]))
    with pytest.raises(PlacespendError, match="must be a number"):
        apply_changes(_lines([100]), _scenario([Change("s0", "pct", "ten")]))


def test_unit_costs_say_what_a_change_means():
    lines = _lines([300_000]).assign(unit=["caretaker hour"], unit_cost_pence=[3000])
    out = apply_changes(lines, _scenario([Change("s0", "pct", "-10")]))
    assert out["units_change"].tolist() == [-10.0]
    from placespend.scenarios import unit_words

    assert unit_words(next(out.itertuples())) == "about 10 caretaker hours fewer a year"


def test_years_uprate_each_line_and_the_ideas_and_conserve():
    out = apply_changes(_lines([100_000, 33_333]), _scenario([Change("s0", "pct", "-10")]))
    years = over_years(out, _scenario(years=3, uprating_pct="2.5"), YEAR)
    assert years["financial_year"].tolist() == ["2024-25", "2025-26", "2026-27"]
    assert years["ideas_pence"].tolist() == [10_000, 10_250, 10_506]  # 10,506.25
    assert (years["services_pence"] + years["ideas_pence"] == years["pot_pence"]).all()
    assert years["pot_pence"].iloc[0] == 133_333
    with pytest.raises(PlacespendError, match="1 to 10 years"):
        over_years(out, _scenario(years=0), YEAR)


# ---- the invariant, for any changes within bounds ---------------------------------------------

_base = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=8)


@given(_base, st.data())
def test_services_plus_ideas_equal_the_pot_to_the_penny(base, data):
    cut = data.draw(st.integers(0, 100), label="cut")
    rise = data.draw(st.integers(0, 100), label="rise")
    changes = []
    for i, b in enumerate(base):
        if data.draw(st.booleans()):
            pct = data.draw(st.decimals(-cut, rise, places=2, allow_nan=False))
            changes.append(Change(f"s{i}", "pct", str(pct)))
        else:
            hi = int((Decimal(b) * rise / 100).quantize(1, ROUND_HALF_UP))
            lo = -int((Decimal(b) * cut / 100).quantize(1, ROUND_HALF_UP))
            changes.append(Change(f"s{i}", "gbp", str(Decimal(data.draw(
                st.integers(lo, hi))) / 100)))
    scenario = _scenario(changes, cut=str(cut), rise=str(rise), years=3, uprating_pct="3.1")
    try:
        out = apply_changes(_lines(base), scenario)
    except PlacespendError as exc:
        assert "more than the pot" in str(exc)  # never a bounds error for in-bounds changes
        return
    assert (out["low_change_pence"] <= out["change_pence"]).all()
    assert (out["change_pence"] <= out["high_change_pence"]).all()
    ideas = sum(base) - int(out["planned_pence"].sum())
    assert ideas >= 0
    assert int(out["planned_pence"].sum()) + ideas == sum(base)
    years = over_years(out, scenario, YEAR)
    assert (years["services_pence"] + years["ideas_pence"] == years["pot_pence"]).all()
    assert (years["ideas_pence"] >= 0).all()


@given(st.integers(0, 10**9), st.integers(0, 100), st.integers(1, 10**6))
def test_a_change_past_the_bound_is_always_refused(base, cut, beyond):
    lo = -int((Decimal(base) * cut / 100).quantize(1, ROUND_HALF_UP))
    change = Change("s0", "gbp", str(Decimal(lo - beyond) / 100))
    with pytest.raises(PlacespendError, match="outside the bounds"):
        apply_changes(_lines([base]), _scenario([change], cut=str(cut)))


# ---- on the demo store ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def con(demo_home):
    connection = store.connect(db_path(demo_home))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def hilgrove(con) -> str:
    return reads.resolve_estate(con, "Hilgrove")


def _hilgrove_scenario(con, hilgrove, name, changes=()) -> Scenario:
    return Scenario(name=name, estate_id=hilgrove, financial_year=YEAR,
                    service_ids=tuple(pot.delegable_services(con)), changes=tuple(changes),
                    years=2, uprating_pct="3")


def test_plan_on_the_store_cuts_caretaking_into_the_ideas_pot(con, hilgrove):
    sized = pot.size_pot(con, hilgrove, YEAR, pot.delegable_services(con))
    p = plan(con, _hilgrove_scenario(con, hilgrove, "cut", [Change("caretaking", "pct", "-10")]))
    caretaking = int(sized.lines.set_index("service_id").loc["caretaking", "amount_pence"])
    cut = int((Decimal(caretaking) / 10).quantize(1, ROUND_HALF_UP))
    assert p.pot_pence == sized.total_pence
    assert p.ideas_pence == cut and p.services_pence == sized.total_pence - cut
    row = p.lines.set_index("service_id").loc["caretaking"]
    assert row["unit"] == "caretaker hour" and row["units_change"] == pytest.approx(-cut / 3000)
    assert len(p.years) == 2 and p.years["pot_pence"].iloc[0] == sized.total_pence


def test_scenarios_are_saved_listed_renamed_and_deleted_with_the_data_set(tmp_path, con,
                                                                           hilgrove):
    book = ScenarioBook(tmp_path / "placespend.duckdb")
    first = _hilgrove_scenario(con, hilgrove, "  Cut caretaking  ",
                               [Change("caretaking", "pct", "-10")])
    saved = book.save(first)
    assert saved.name == "Cut caretaking"
    book.save(_hilgrove_scenario(con, hilgrove, "As now"))
    assert book.names() == ["Cut caretaking", "As now"]
    assert book.names("another-estate") == []
    assert book.get("Cut caretaking") == saved  # round trip through the file
    with pytest.raises(PlacespendError, match="already saved"):
        book.save(first)
    book.rename("As now", "Status quo")
    assert book.names(hilgrove) == ["Cut caretaking", "Status quo"]
    book.delete("Cut caretaking")
    assert book.names() == ["Status quo"]
    with pytest.raises(PlacespendError, match="No saved scenario"):
        book.get("Cut caretaking")
    data = json.loads((tmp_path / "scenarios.json").read_text())
    assert data["version"] == 1 and data["scenarios"][0]["name"] == "Status quo"


def test_a_name_is_needed_and_a_broken_file_says_what_to_do(tmp_path, con, hilgrove):
    book = ScenarioBook(tmp_path / "db.duckdb")
    with pytest.raises(PlacespendError, match="Give the scenario a name"):
        book.save(_hilgrove_scenario(con, hilgrove, "   "))
    (tmp_path / "scenarios.json").write_text("{not json")
    with pytest.raises(PlacespendError, match="move it aside"):
        book.list()


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_comparison_and_meeting_pack_hold_every_scenario(con, hilgrove):
    plans = [plan(con, _hilgrove_scenario(con, hilgrove, "Cut caretaking",
                                          [Change("caretaking", "pct", "-10")])),
             plan(con, _hilgrove_scenario(con, hilgrove, "Trim repairs",
                                          [Change("repairs_non_essential", "gbp", "-2000")]))]
    table = meeting.comparison(plans).set_index("row")
    for p in plans:
        col = table[p.scenario.name]
        assert col[meeting.SERVICES_ROW] + col[meeting.IDEAS_ROW] == col[meeting.POT_ROW]
    assert table.loc[meeting.IDEAS_ROW, "Trim repairs"] == 200_000
    fig = meeting.comparison_chart(plans)
    assert [t.name for t in fig.data][-1] == "Ideas pot"
    text = _pdf_text(meeting.meeting_pack_pdf(plans))
    assert "Cut caretaking" in text and "Trim repairs" in text
    assert "SYNTHETIC DEMO DATA" in text and "side by side" in text
    assert "caretaker hours fewer" in text and "Over 2 years" in text
    with pytest.raises(PlacespendError, match="1 to 4"):
        meeting.comparison(plans * 3)
