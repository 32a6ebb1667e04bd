"""A council's own contracts register: read through a contracts mapping, row by row, with its
suppliers matched to payees however each file writes them, and what matched nothing reported.

The fixture (tests/data/contracts/) is hand-made: register.csv is a Transparency-Code style
register with one contract per supplier-name case (Ltd/Limited, PLC, &/and LLP, The, t/a, a
typo) and one bad row per reason; spend.csv pays those suppliers under their other names."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from placespend import contracts, ingest, suppliers, uploads
from placespend.build import BuildInputs, build
from placespend.catalogue import load_catalogue
from placespend.cli import app
from placespend.errors import InputFileError

DATA = Path(__file__).parent / "data" / "contracts"
REGISTER, MAPPING, SPEND = DATA / "register.csv", DATA / "register.yaml", DATA / "spend.csv"
ESTATE_1, ESTATE_2, WARD = "osm-relation-12714977", "osm-relation-12715171", "E05013652"
runner = CliRunner()


# -- supplier names ------------------------------------------------------------------------


@pytest.mark.parametrize(("payments", "register"), [
    ("ACME BUILDERS LTD", "Acme Builders Limited"),
    ("GREENWAYS PLC", "Greenways Public Limited Company"),
    ("SMITH & JONES", "Smith and Jones LLP"),
    ("THE GARDEN PEOPLE LTD", "Garden People Limited"),
    ("BROWNS CARETAKING", "John Brown t/a Brown's Caretaking"),
    ("JOHN BROWN", "John Brown trading as Brown's Caretaking"),
    ("ACME BUILDERS LIMITED****", "Acme Builders Ltd (Company No. 01234567)"),
    ("SMITH, JONES & CO.", "Smith Jones and Co Limited"),
])
def test_names_written_two_ways_share_a_form(payments, register):
    assert set(suppliers.name_forms(payments)) & set(suppliers.name_forms(register))


@pytest.mark.parametrize(("one", "other"), [
    ("ACME BUILDERS LTD", "ACME BUILDING LTD"),
    ("SMITH & JONES", "SMITH & SONS"),
    ("MEARS LTD", "MEARS GROUP LTD"),
    ("LIMITED EDITION LTD", "EDITION LTD"),
])
def test_different_names_keep_different_forms(one, other):
    assert not set(suppliers.name_forms(one)) & set(suppliers.name_forms(other))


def _matches(payees: list[str], register: list[str], threshold=suppliers.NEAR_MATCH_THRESHOLD):
    con = duckdb.connect()
    con.execute("create macro ps_key(p) as upper(p)")
    con.execute("create table payments as select unnest($p) as payee", {"p": payees})
    con.execute("alter table payments add column payee_key varchar")
    con.execute("update payments set payee_key = upper(payee)")
    con.execute("create table contracts as select unnest($s) as supplier", {"s": register})
    con.execute("alter table contracts add column supplier_key varchar")
    con.execute("update contracts set supplier_key = upper(supplier)")
    summary = suppliers.match_suppliers(con, threshold)
    rows = con.execute("select payee, supplier, match, score from supplier_matches "
                       "order by payee, supplier").fetchall()
    return summary, rows


def test_a_typo_is_a_near_match_with_its_score():
    summary, rows = _matches(["Hackney Enviromental Services Ltd"],
                             ["Hackney Environmental Services Limited"])
    ((payee, supplier, kind, score),) = rows
    assert kind == "near" and 90 <= score < 100
    assert summary.near == ((payee, supplier, score),)


def test_exact_and_normalised_matches_are_preferred_to_near_ones():
    _, rows = _matches(["Acme Builders Ltd"], ["ACME BUILDERS LTD", "Acme Builder Limited"])
    assert rows == [("Acme Builders Ltd", "ACME BUILDERS LTD", "exact", 100.0)]
    _, rows = _matches(["Acme Builders Ltd"], ["Acme Builders Limited", "Acme Builder Limited"])
    assert rows == [("Acme Builders Ltd", "Acme Builders Limited", "normalised", 100.0)]


def test_names_with_other_numbers_never_match_nearly():
    assert _matches(["Camden Lot 1 Grounds Maintenance Ltd"],
                    ["Camden Lot 2 Grounds Maintenance Ltd"])[1] == []


def test_near_matching_stops_at_the_threshold():
    assert _matches(["Mears Ltd"], ["Maers Ltd"])[1] == []  # one slip in a short name
    assert _matches(["Hackney Enviromental Services"], ["Hackney Environmental Services"],
                    threshold=100)[1] == []


# -- the contracts mapping and the register's rows ---------------------------------------


def test_mapping_problems_are_named_with_their_line(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("title: Title\nsupplier: 3\nvalue_basis: monthly\ncolour: red\n")
    with pytest.raises(InputFileError) as err:
        contracts.load_contracts_mapping(path)
    msg = str(err.value)
    assert "'reference' is missing" in msg
    assert "line 2: 'supplier' must be a column name" in msg
    assert "line 4: unknown key 'colour'" in msg
    path.write_text("reference: Ref\nsupplier: Supplier\nvalue_basis: monthly\n")
    with pytest.raises(InputFileError, match="value_basis 'monthly' is not total or annual"):
        contracts.load_contracts_mapping(path)


@pytest.fixture(scope="module")
def loaded() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    contracts.load_register(con, REGISTER, contracts.load_contracts_mapping(MAPPING),
                            load_catalogue(), [WARD], [ESTATE_1, ESTATE_2])
    yield con
    con.close()


def _register_rows() -> list[list[str]]:
    with REGISTER.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))[1:]


def test_every_register_row_is_accepted_or_quarantined(loaded):
    accepted = {r for (r,) in loaded.execute("select source_row from contract_details")
                .fetchall()}
    quarantined = {r for (r,) in loaded.execute("select source_row from contract_quarantine")
                   .fetchall()}
    assert not accepted & quarantined
    assert accepted | quarantined == set(range(2, 2 + len(_register_rows())))
    (read, acc, quar) = loaded.execute("select rows_read, rows_accepted, rows_quarantined "
                                       "from contract_summary").fetchone()
    assert (read, acc, quar) == (len(_register_rows()), len(accepted), len(quarantined))


def test_contract_value_is_conserved_to_the_penny(loaded):
    values = []
    for row in _register_rows():
        if len(row) > 7:
            try:
                values.append(Decimal(row[7].replace("£", "").replace(",", "")))
            except ArithmeticError:
                pass
    expected = int(sum(values) * 100)
    read, accepted, quarantined = loaded.execute(
        "select read_value_pence, accepted_value_pence, quarantined_value_pence "
        "from contract_summary").fetchone()
    assert read == expected == accepted + quarantined
    assert accepted == loaded.execute("select sum(value_pence) from contract_details").fetchone()[0]


@pytest.mark.parametrize(("line", "reason"), [
    (9, "'Start Date' (start) '31/02/2024' is not a date"),
    (10, "'Supplier Name' (supplier) is blank"),
    (11, "'Contract Value (£)' (value): amount 'abc' is not a number"),
    (12, "'Reference Number' (reference) 'R1' repeats row 2"),
    (13, "'Service' (service) 'jetpacks' is not a service of the catalogue"),
    (14, "no service: no catalogue rule classifies its title or description"),
    (15, "expected 11 fields as the header has, found 6"),
    (17, "'End Date' (end) 2024-03-31 is before 'Start Date' (start) 2025-04-01"),
    (18, "'Scope Code' (scope_code) 'E05999999' is not a known ward code"),
])
def test_bad_rows_are_quarantined_with_reason_and_text(loaded, line, reason):
    found = loaded.execute("select reason, raw from contract_quarantine where source_row = $l",
                           {"l": line}).fetchall()
    assert len(found) == 1 and reason in found[0][0]
    assert found[0][1].split(",")[0] == _register_rows()[line - 2][0]


def test_service_comes_from_the_column_or_the_catalogues_rules(loaded):
    got = dict(loaded.execute("select contract_id, service_id from contracts").fetchall())
    cat = load_catalogue()
    for row in _register_rows():
        if row[0] in got and row[0] != "R15":
            assert got[row[0]] == cat.classify(row[4], row[1], row[3])  # the title decides
    assert got["R15"] == "waste_collection"  # from the Service column
    sources = dict(loaded.execute("select contract_id, service_source from contract_details")
                   .fetchall())
    assert sources["R15"] == "column" and sources["R1"] == "rules"


def test_scope_comes_from_the_column_or_is_borough(loaded):
    scopes = {c: (t, s) for c, t, s in
              loaded.execute("select contract_id, scope_type, scope_code from contracts")
              .fetchall()}
    assert scopes["R1"] == ("estate", ESTATE_1)
    assert scopes["R2"] == ("ward", WARD)
    assert scopes["R4"] == ("borough", None)  # blank Scope cell


def test_a_register_without_scope_or_service_columns_is_borough_wide(tmp_path):
    register = tmp_path / "reg.csv"
    register.write_text("Ref;Supplier;Title;Start;End\nA1;Idverde Ltd;Grounds maintenance;"
                        "2024-04-01 00:00:00;31.03.2025\n", encoding="cp1252")
    mapping = contracts.ContractsMapping("m", {"reference": ("Ref",), "supplier": ("Supplier",),
                                               "title": ("Title",), "start": ("Start",),
                                               "end": ("End",)})
    con = duckdb.connect()
    assert contracts.load_register(con, register, mapping, load_catalogue()) == 1
    assert con.execute("select service_id, scope_type, start_date, end_date, "
                       "annual_value_pence from contracts").fetchone() == (
        "green_space", "borough", dt.date(2024, 4, 1), dt.date(2025, 3, 31), None)


# -- a build with the register -----------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, object]:
    home = tmp_path_factory.mktemp("register_home")
    result = build(home, BuildInputs(spend=(SPEND,), contracts=REGISTER,
                                     contracts_mapping=MAPPING))
    return home, result


def _store(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "placespend.duckdb"), read_only=True)


def _spend_pence() -> dict[str, int]:
    with SPEND.open(encoding="utf-8", newline="") as f:
        return {r["Unique Identifier"]: int(Decimal(r["Amount GBP"]) * 100)
                for r in csv.DictReader(f)}


def test_ltd_in_payments_places_a_limited_contracts_money_on_its_estate(built):
    home, _ = built
    with _store(home) as con:
        link = con.execute(
            "select l.contract_id, l.scope_type, l.scope_code, l.supplier_match, l.match_score "
            "from linked l join payments p using (row_id) where p.transaction_id = 'u1'"
        ).fetchone()
        direct = con.execute("select sum(amount_pence) from place_spend where basis = 'direct' "
                             "and target_id = $e", {"e": ESTATE_1}).fetchone()[0]
    assert link == ("R1", "estate", ESTATE_1, "normalised", 100.0)
    assert direct == _spend_pence()["u1"]


def test_every_supplier_case_links_and_the_near_match_keeps_its_score(built):
    home, _ = built
    with _store(home) as con:
        links = {t: (c, m, s) for t, c, m, s in con.execute(
            "select p.transaction_id, l.contract_id, l.supplier_match, l.match_score "
            "from linked l join payments p using (row_id)").fetchall()}
    assert links["u3"][:2] == ("R2", "normalised")  # PLC / Public Limited Company
    assert links["u4"][:2] == ("R3", "normalised")  # & / and, LLP
    assert links["u5"][:2] == ("R4", "normalised")  # The
    assert links["u6"][:2] == ("R5", "normalised")  # trading as
    assert links["u7"][:2] == ("R6", "near") and 90 <= links["u7"][2] < 100
    assert links["u9"][0] is None  # no contract for that supplier


def test_contracts_without_payments_are_listed_with_their_value(built):
    home, result = built
    with _store(home) as con:
        rows = con.execute("select contract_id, value_pence, value_basis, reason "
                           "from contracts_without_payments order by contract_id").fetchall()
    assert rows == [
        ("R15", 600_000, "total",
         "the supplier was paid for this service, but only outside the contract's dates"),
        ("R7", 4_500_050, "total", "no payment to the supplier"),
    ]
    assert any("2 contract(s) matched no payment (£51,000.50" in n for n in result.notes)


def test_payments_outside_contract_dates_are_listed_with_pounds(built):
    home, result = built
    pence = _spend_pence()
    with _store(home) as con:
        rows = con.execute(
            "select p.transaction_id, o.amount_pence, o.contract_id, o.side, o.days_outside "
            "from payments_outside_contract_dates o join payments p using (row_id) "
            "order by 1").fetchall()
    assert rows == [("u2", pence["u2"], "R1", "before start",
                     (dt.date(2024, 4, 1) - dt.date(2023, 1, 15)).days),
                    ("u8", pence["u8"], "R15", "before start",
                     (dt.date(2025, 4, 1) - dt.date(2024, 12, 1)).days)]
    total = Decimal(pence["u2"] + pence["u8"]).scaleb(-2)
    assert any(f"2 payment line(s) of £{total:,.2f}" in n for n in result.notes)


def test_the_build_conserves_every_penny_with_the_register(built):
    home, result = built
    assert result.reconciliation.ok
    assert result.reconciliation.input_pence == sum(_spend_pence().values())
    with _store(home) as con:
        placed = con.execute("select sum(amount_pence) from place_spend").fetchone()[0]
        excluded = con.execute("select coalesce(sum(amount_pence), 0) from excluded_spend"
                               ).fetchone()[0]
    assert placed + excluded == sum(_spend_pence().values())


def test_build_notes_name_quarantined_rows_and_matches(built):
    _, result = built
    notes = "\n".join(result.notes)
    assert "Contracts register register.csv: 17 rows read, 8 accepted, 9 quarantined" in notes
    assert "'ACME BUILDERS LTD' = 'Acme Builders Limited'" in notes
    assert ("'HACKNEY ENVIROMENTAL SERVICES LTD' ~ 'Hackney Environmental Services Ltd' "
            "(score 98.3)") in notes


def test_the_contracts_command_lists_each_report(built):
    home, _ = built
    args = ["contracts", "--home", str(home)]
    summary = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert summary.exit_code == 0, summary.output
    assert "17 rows read, 8 accepted, 9 quarantined" in summary.output
    unmatched = runner.invoke(app, [*args, "--unmatched"], env={"COLUMNS": "250"}).output
    assert "Nobody Paid Ltd" in unmatched and "45,000.50" in unmatched
    outside = runner.invoke(app, [*args, "--outside-dates"], env={"COLUMNS": "250"}).output
    assert "ACME BUILDERS LTD" in outside and "300.00" in outside and "442 before start" in outside
    matched = runner.invoke(app, [*args, "--matches"], env={"COLUMNS": "250"}).output
    assert "near" in matched and "98.3" in matched
    quarantined = runner.invoke(app, [*args, "--quarantined"], env={"COLUMNS": "250"}).output
    assert "'jetpacks'" in quarantined and "nan" not in quarantined


def test_an_upload_with_a_contracts_mapping_reads_the_register(tmp_path):
    files = [uploads.UploadedFile(kind, path.name, path.read_bytes()) for kind, path in
             (("spend", SPEND), ("contracts", REGISTER), ("contracts_mapping", MAPPING))]
    dataset = uploads.build_upload("with-register", files, home=tmp_path)
    with duckdb.connect(str(dataset.db_path), read_only=True) as con:
        assert con.execute("select rows_read, rows_accepted, rows_quarantined "
                           "from contract_summary").fetchone() == (17, 8, 9)


def test_a_contracts_mapping_needs_a_register(tmp_path):
    with pytest.raises(InputFileError, match="without a contracts register"):
        build(tmp_path, BuildInputs(spend=(SPEND,), contracts_mapping=MAPPING))


def test_placespends_own_register_format_still_refuses_bad_rows(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(",".join(ingest.CONTRACT_COLUMNS) + "\nC1,T,,waste,,borough,,1,,\n")
    with pytest.raises(InputFileError, match="row 2: supplier is blank"):
        ingest.load_contracts(duckdb.connect(), path)
