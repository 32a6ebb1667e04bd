"""Estates side by side: every figure equals ``placespend estates`` and the PB page's pot."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from placespend import compare, pot, reads, store
from placespend.demo import DEMO_LABEL
from placespend.errors import PlacespendError
from placespend.paths import db_path

YEAR = "2024-25"


@pytest.fixture(scope="module")
def con(demo_home):
    with store.connect(db_path(demo_home)) as connection:
        yield connection


@pytest.fixture(scope="module")
def ids(con):
    return [reads.resolve_estate(con, n) for n in ("Hilgrove", "Chalcots", "Kingsgate Road")]


@pytest.fixture(scope="module")
def comp(con, ids):
    return compare.compare(con, ids, YEAR)


def test_the_estates_come_in_the_order_asked_with_the_estates_figures(con, ids, comp):
    assert comp.estates["estate_id"].tolist() == ids
    totals = reads.estate_totals(con, YEAR).set_index("estate_id")
    for r in comp.estates.itertuples():
        row = totals.loc[r.estate_id]
        for col in ("total_pence", "low_pence", "high_pence", "delegable_pence"):
            assert getattr(r, col) == int(row[col])
        assert r.per_household_pence == pytest.approx(row["per_household_pence"])


def test_the_delegable_pot_is_the_pb_pages_opening_pot(con, comp):
    delegable = pot.delegable_services(con)
    for r in comp.estates.itertuples():
        assert r.delegable_pence == pot.size_pot(con, r.estate_id, YEAR, delegable).total_pence


def test_services_add_up_to_each_total_and_every_estate_lists_the_same(comp):
    sums = comp.services.groupby("estate_id")["amount_pence"].sum()
    assert sums.to_dict() == comp.estates.set_index("estate_id")["total_pence"].to_dict()
    per_estate = comp.services.groupby("estate_id")["service_id"].apply(frozenset)
    assert per_estate.nunique() == 1
    delegable = comp.services[comp.services["delegable"]].groupby("estate_id")[
        "amount_pence"].sum()
    assert delegable.to_dict() == comp.estates.set_index("estate_id")["delegable_pence"].to_dict()


def test_the_tables_show_every_estate(comp):
    summary = compare.summary_table(comp)
    assert summary["Estate"].tolist() == comp.names
    wide = compare.services_table(comp, "Total £")
    assert not wide["Service"].duplicated().any()
    for eid, name in zip(comp.estates["estate_id"], comp.names, strict=True):
        column = wide[f"{name} (£)"]
        total = int(comp.estates.set_index("estate_id").loc[eid, "total_pence"])
        assert round(column.sum() * 100) == total


def test_the_csv_is_exact_and_labelled(comp):
    rows = list(csv.DictReader(io.StringIO(compare.csv_bytes(comp, DEMO_LABEL).decode())))
    assert {r["data"] for r in rows} == {DEMO_LABEL}
    for r in comp.estates.itertuples():
        mine = [x for x in rows if x["estate_id"] == r.estate_id]
        (total,) = [x for x in mine if x["line"] == "total"]
        assert Decimal(total["amount_gbp"]) * 100 == r.total_pence
        services = sum(Decimal(x["amount_gbp"]) for x in mine if x["line"] == "service")
        assert services * 100 == r.total_pence


def test_the_charts_have_a_bar_per_estate_in_its_own_colour(comp):
    headline = compare.headline_chart(comp)
    assert len(headline.data) == 3 and all(len(t.x) == 3 for t in headline.data)
    by_service = compare.services_chart(comp, "£ per household", top=5)
    assert [t.name for t in by_service.data] == comp.names
    assert len({t.marker.color for t in by_service.data}) == 3
    assert list(by_service.data[0].y)[-1] == compare.OTHER_SERVICES


@pytest.mark.parametrize("count", [1, 6])
def test_two_to_five_estates(con, count):
    chosen = reads.estate_totals(con, YEAR)["estate_id"].head(count).tolist()
    with pytest.raises(PlacespendError, match="2 to 5"):
        compare.compare(con, chosen, YEAR)


def test_an_unknown_estate_is_a_message(con, ids):
    with pytest.raises(PlacespendError, match="no-such"):
        compare.compare(con, [ids[0], "no-such"], YEAR)
