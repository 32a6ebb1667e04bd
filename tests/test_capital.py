"""Capital and revenue: every line is one or the other (the file's column, the catalogue's
capital rules, the service), the two add up to the total, and the capital tab's reading says
only what its figures show."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import BOROUGH, catalogue_frames, contract_rows

from placespend import _programme, capital, estate_names, ingest, store
from placespend.apportion import apportion
from placespend.catalogue import load_catalogue
from placespend.errors import CatalogueError, InputFileError
from placespend.store import write_table

MAPPING = ingest.ColumnMapping(
    name="oxford-like", date="Paid Date", amount="Amount", payee="Supplier Name",
    purpose="Expenditure Category", org_unit="Service Area",
    capital_or_revenue="Type of Expenditure", date_formats=("%d/%m/%Y",),
)
HEADER = "Service Area,Expenditure Category,Paid Date,Amount,Type of Expenditure,Supplier Name"


def _oxford_like(path: Path, rows: list[tuple[str, str, int, str]]) -> Path:
    """(org unit, purpose, pence, type) rows, dated 1 June 2024, in Oxford's layout."""
    lines = [HEADER] + [
        f'{unit},{purpose},01/06/2024,{Decimal(pence).scaleb(-2)},"{kind}",Acme Ltd'
        for unit, purpose, pence, kind in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _lines(con) -> dict[int, tuple]:
    rows = con.execute(
        "select p.source_row, l.capital_or_revenue, l.capital_or_revenue_from, "
        "l.capital_or_revenue_unread from spend_lines as l join payments as p using (row_id)"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture
def con_with(two_ward_con):
    """Load rows in Oxford's layout into the two-ward borough and apportion them."""

    def run(path: Path, *, capital_rules: pd.DataFrame | None = None,
            capital_services: tuple[str, ...] = ()):
        frames = catalogue_frames()
        services = frames["services"]
        services["capital"] = services["service_id"].isin(capital_services)
        write_table(two_ward_con, "services", services)
        if capital_rules is not None:
            write_table(two_ward_con, "capital_rules", capital_rules)
        ingest.load_spend(two_ward_con, [path], MAPPING)
        write_table(two_ward_con, "contracts", contract_rows([]))
        apportion(two_ward_con, borough_code=BOROUGH)
        return two_ward_con

    return run


@pytest.mark.parametrize("careful", [False, True], ids=["fast reader", "careful reader"])
def test_the_files_own_column_is_read_leniently(con_with, tmp_path, monkeypatch, careful):
    if careful:
        monkeypatch.setattr(ingest, "_read_fast", lambda con, layout: None)
    path = _oxford_like(tmp_path / "ox.csv", [
        ("Housing", "Caretaking", 10_000, "Capital"),
        ("Housing", "Caretaking", 20_000, "CAP"),
        ("Housing", "Caretaking", 30_000, " capital expenditure "),
        ("Housing", "Caretaking", 40_000, "REV"),
        ("Housing", "Caretaking", 50_000, "revenue"),
        ("Housing", "Caretaking", 60_000, "R"),
        ("Housing", "Caretaking", 70_000, ""),
        ("Housing", "Caretaking", 80_000, "Other"),
    ])
    got = _lines(con_with(path))
    assert got == {
        2: ("capital", "file", None), 3: ("capital", "file", None), 4: ("capital", "file", None),
        5: ("revenue", "file", None), 6: ("revenue", "file", None), 7: ("revenue", "file", None),
        8: ("revenue", "default", None), 9: ("revenue", "default", "Other"),
    }


def test_rules_then_service_then_revenue_where_the_file_says_nothing(con_with, tmp_path):
    rules = pd.DataFrame({"rule_no": [1, 2], "org_unit_pattern": ["(?i)capital", None],
                          "purpose_pattern": [None, "(?i)tree survey"],
                          "capital_or_revenue": ["capital", "revenue"]})
    path = _oxford_like(tmp_path / "ox.csv", [
        ("Housing Capital", "Caretaking", 10_000, ""),       # org-unit rule
        ("Parks", "Tree planting", 20_000, ""),              # the service is capital
        ("Parks", "Tree survey", 30_000, ""),                # a revenue rule beats the service
        ("Housing", "Caretaking", 40_000, ""),               # nothing says: revenue
        ("Housing Capital", "Caretaking", 50_000, "Revenue"),  # the file beats every rule
    ])
    got = _lines(con_with(path, capital_rules=rules, capital_services=("trees",)))
    assert got == {2: ("capital", "rule", None), 3: ("capital", "service", None),
                   4: ("revenue", "rule", None), 5: ("revenue", "default", None),
                   6: ("revenue", "file", None)}


def test_capital_and_revenue_add_up_to_every_place_and_group(con_with, tmp_path):
    path = _oxford_like(tmp_path / "ox.csv", [
        ("Housing", "Caretaking", 10_001, "Capital"),
        ("Housing", "Caretaking", 20_003, "Revenue"),
        ("Housing", "Caretaking", -7, "Capital"),
    ])
    con = con_with(path)
    by_kind = dict(con.execute(
        "select capital_or_revenue, sum(amount_pence) from place_spend group by 1").fetchall())
    assert by_kind == {"capital": 9_994, "revenue": 20_003}
    groups = con.execute("select capital_or_revenue, total_pence from spend_groups "
                         "order by 1").fetchall()
    assert groups == [("capital", 9_994), ("revenue", 20_003)]


def test_unreadable_values_are_kept_and_named_in_a_note(con_with, tmp_path):
    path = _oxford_like(tmp_path / "ox.csv", [
        ("Housing", "Caretaking", 10_000, "Other"),
        ("Housing", "Caretaking", 25_000, "Other"),
        ("Housing", "Caretaking", 5_000, "??"),
    ])
    con = con_with(path)
    assert con.execute("select count(*) from payments").fetchone() == (3,)
    (note,) = capital.unread_notes(con)
    assert note.startswith("ox.csv: 3 lines (£400.00, first at row 2)")
    assert "'Other', '??'" in note and "kept" in note


def test_the_shipped_catalogue_says_which_services_and_units_are_capital():
    cat = load_catalogue()
    assert {s.id for s in cat.services if s.capital} == {"planned_capital_works"}
    (rule,) = cat.capital_rules
    assert rule.capital_or_revenue == "capital" and rule.org_unit is not None


def test_a_bad_capital_rule_is_named(tmp_path):
    text = (Path(load_catalogue().path).read_text(encoding="utf-8")
            .replace("    type: capital\n", "    type: capex\n"))
    text = text.replace("capital_rules:\n", "capital_rules:\n  - type: revenue\n", 1)
    path = tmp_path / "cat.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path)
    assert "capital_rules[0]: a capital rule needs at least one of" in str(err.value)
    assert "capital_rules[1]: unknown type 'capex'; use capital or revenue" in str(err.value)


# ---- the demo build: export column and conservation -------------------------------------------


def test_export_rows_carry_capital_or_revenue_and_add_up_per_estate_and_year(demo_home,
                                                                             tmp_path):
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "placespend", "export", "--home", str(demo_home),
                    "--year", "all", "--format", "csv", "--out", str(out)],
                   check=True, capture_output=True)
    (csv_file,) = out.glob("*.csv")
    rows = list(csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8"))))
    assert rows and {r["capital_or_revenue"] for r in rows} == {"capital", "revenue"}
    sums: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in rows:
        sums[r["estate_id"], r["financial_year"]][r["capital_or_revenue"]] += Decimal(
            r["amount_gbp"])
    con = store.connect(demo_home / "placespend.duckdb", read_only=True)
    try:
        totals = capital.capital_totals(con)
    finally:
        con.close()
    assert len(totals) == len(sums)
    for t in totals.itertuples():
        got = sums[t.estate_id, t.financial_year]
        assert got["capital"] == Decimal(int(t.capital_pence)).scaleb(-2)
        assert got["capital"] + got["revenue"] == Decimal(int(t.total_pence)).scaleb(-2)
    assert (totals["capital_pence"] + totals["revenue_pence"] == totals["total_pence"]).all()


def test_the_capital_view_of_a_demo_estate(demo_home):
    con = store.connect(demo_home / "placespend.duckdb", read_only=True)
    try:
        eid = con.execute(  # the estate with the most capital under its own contracts
            "select target_id from place_spend where target_type = 'estate' and "
            "capital_or_revenue = 'capital' and basis = 'direct' group by 1 "
            "order by sum(amount_pence) desc, 1 limit 1").fetchone()[0]
        view = capital.capital_view(con, eid)
        totals = capital.capital_totals(con)
        schemes = capital.programme(con, eid)
    finally:
        con.close()
    mine = totals[totals["estate_id"] == eid].set_index("financial_year")
    assert list(view.by_year["financial_year"]) == list(mine.index)
    assert list(view.by_year["capital_pence"]) == list(mine["capital_pence"])
    assert (view.by_year["linked_pence"] <= view.by_year["revenue_pence"]).all()
    assert "Responsive repairs (essential)" in view.linked_services
    assert len(view.peers) == capital.N_PEERS and eid not in set(view.peers["estate_id"])
    assert len(schemes) == 1 and schemes["synthetic"].all()
    assert "synthetic" in schemes["scheme"].iloc[0]


# ---- the reading ----------------------------------------------------------------------------


def _by_year(capital_pence, linked_per_home, peers_per_home=None) -> pd.DataFrame:
    n = len(capital_pence)
    return pd.DataFrame({
        "financial_year": [f"{2020 + i}-{21 + i}" for i in range(n)],
        "capital_pence": capital_pence,
        "linked_per_home_pence": linked_per_home,
        "peers_linked_per_home_pence": peers_per_home or [float("nan")] * n,
    })


def test_reading_says_repairs_fell_after_works_only_with_the_years_to_show_it():
    text = capital.reading(_by_year([0, 900, 100, 0], [1000.0, 900.0, 800.0, 700.0],
                                    [1000.0, 1000.0, 1100.0, 1100.0]), 8)
    assert "fell by 25%" in text and "(2021-22)" in text and "from £10 in 2020-21" in text
    assert "On the 8 estates most like it, over the same years, it rose by 10%." in text
    assert "does not show that the works caused" in text


def test_reading_refuses_to_say_without_a_year_before_and_two_after():
    assert "not a year before and two years after" in capital.reading(
        _by_year([0, 100, 900], [1.0, 2.0, 3.0]), 8)
    assert "not a year before" in capital.reading(_by_year([900, 0, 0], [1.0, 2.0, 3.0]), 8)
    assert "No capital spend" in capital.reading(_by_year([0, 0, 0], [1.0, 2.0, 3.0]), 8)


def test_reading_says_when_spend_rose():
    text = capital.reading(_by_year([10, 900, 0, 0], [100.0, 100.0, 150.0, 150.0]), 3)
    assert "rose by 50%" in text and "estates most like it" not in text


def test_peers_are_nearest_by_size_and_council_share():
    con = duckdb.connect()
    con.execute("""create table estates as select * from (values
        ('A', 'A', 100.0, 50.0), ('B', 'B', 110.0, 55.0), ('C', 'C', 400.0, 200.0),
        ('D', 'D', 100.0, 5.0), ('E', 'E', 95.0, 0.0)) t(estate_id, name, households_est,
        council_households_est)""")
    got = capital.peers(con, "A", n=3)
    assert list(got["estate_id"]) == ["B", "D", "C"]  # E has no council homes
    assert got["distance"].iloc[0] == pytest.approx(abs(__import__("math").log(1.1)))


# ---- the capital programme file ----------------------------------------------------------------


def _index() -> estate_names.EstateIndex:
    return estate_names.EstateIndex.from_frame(pd.DataFrame({
        "estate_id": ["e1", "e2"], "name": ["Hilgrove Estate", "Maiden Lane Estate"],
        "aliases": ["Hilgrove", ""]}))


def test_a_programme_file_is_read_with_lenient_years_and_pounds(tmp_path):
    path = tmp_path / "programme.csv"
    path.write_text("Scheme,Estate,Blocks,Start_Year,End_Year,Budget_GBP\n"
                    'Roofs,Hilgrove,"Block A; Block B",2024/25,2026,"£1,250,000.50"\n'
                    "Windows,e2,,2023-24,2023-24,0\n", encoding="utf-8")
    got = _programme.read_programme(path, _index())
    assert got.to_dict("records") == [
        {"scheme": "Roofs", "estate_id": "e1", "blocks": "Block A; Block B",
         "start_year": "2024-25", "end_year": "2026-27", "budget_pence": 125_000_050,
         "synthetic": False},
        {"scheme": "Windows", "estate_id": "e2", "blocks": None, "start_year": "2023-24",
         "end_year": "2023-24", "budget_pence": 0, "synthetic": False},
    ]


def test_a_programme_files_problems_are_named_by_row(tmp_path):
    path = tmp_path / "programme.csv"
    path.write_text("scheme,estate,start_year,end_year,budget_gbp\n"
                    "Roofs,Nowhere Estate,2024-25,2025-26,100\n"
                    ",Hilgrove,2024-26,2023,-5\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        _programme.read_programme(path, _index())
    text = str(err.value)
    assert "row 2: estate 'Nowhere Estate'" in text
    assert "row 3: scheme is blank" in text
    assert "row 3: start_year '2024-26' is not a financial year" in text
    assert "row 3: budget_gbp '-5' is not an amount" in text
    path.write_text("scheme,estate\nRoofs,Hilgrove\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="row 1: the header lacks start_year, end_year"):
        _programme.read_programme(path, _index())
