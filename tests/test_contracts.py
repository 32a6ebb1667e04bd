"""The contracts register: parsing, validation messages, supplier keys and scope checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from placespend.errors import InputFileError
from placespend.ingest import (
    check_contract_scopes,
    check_contract_services,
    load_contracts,
    load_spend,
)

HEADER = (
    "contract_id,title,supplier,service,purpose,scope_type,scope_code,annual_value_gbp,"
    "start_date,end_date"
)
CAMDEN_SAMPLE = Path(__file__).parent / "data" / "camden_sample.csv"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


def register(tmp_path: Path, *rows: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "contracts.csv"
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
    return path


def test_valid_register_is_loaded_with_pence_and_dates(con, tmp_path):
    path = register(
        tmp_path,
        'C1,Waste,VEOLIA ES (UK) LTD****,waste,,borough,,"1,200,000",2024-04-01,31/03/2027',
        "C2,Repairs,Mears Ltd,,Responsive Repairs Costs,estate,EST1,50000.50,,",
        "C3,Parks,Idverde,parks,,Ward,W1,£20000,01/04/2024,2025-03-31",
    )
    assert load_contracts(con, path) == 3
    rows = con.execute("select * from contracts order by contract_id").fetchall()
    assert rows[0] == (
        "C1",
        "Waste",
        "VEOLIA ES (UK) LTD****",
        "VEOLIA ES UK LTD",
        "waste",
        None,
        "borough",
        None,
        120_000_000,
        dt.date(2024, 4, 1),
        dt.date(2027, 3, 31),
    )
    assert rows[1][4:] == (
        None,
        "Responsive Repairs Costs",
        "estate",
        "EST1",
        5_000_050,
        None,
        None,
    )
    assert rows[2][6:8] == ("ward", "W1")  # scope_type is case-insensitive


def test_supplier_key_matches_payee_key(con, tmp_path):
    load_spend(con, [CAMDEN_SAMPLE])
    path = register(
        tmp_path,
        "C1,Repairs,Acme Builders Limited,,Responsive Repairs Costs,borough,,1000,,",
        'C2,Legal,"SMITH, JONES & CO",,Legal Fees,borough,,1000,,',
    )
    load_contracts(con, path)
    matched = con.execute(
        "select c.contract_id, p.source_row from payments p "
        "join contracts c on p.payee_key = c.supplier_key order by 1"
    ).fetchall()
    assert matched == [("C1", 7), ("C2", 13)]  # asterisks, case and punctuation ignored


def test_every_problem_reported_at_once_with_rows_and_fixes(con, tmp_path):
    path = register(
        tmp_path,
        "C1,Waste,Veolia,,,city,,abc,2024-13-01,31/03/2027",
        "C1,Repairs,,,Repairs,ward,,50000,2025-01-01,2024-01-01",
        ",Parks,Idverde,parks,,estate,,1.234,,",
    )
    with pytest.raises(InputFileError) as err:
        load_contracts(con, path)
    msg = str(err.value)
    assert "contracts.csv" in msg and "(3 problems)" in msg
    assert "row 2: service and purpose are both blank" in msg
    assert "scope_type 'city' is not borough, ward or estate" in msg
    assert "annual_value_gbp: amount 'abc' is not a number" in msg
    assert "start_date '2024-13-01' is not a date" in msg
    assert "row 3: contract_id 'C1' repeats row 2" in msg
    assert "supplier is blank" in msg
    assert "scope_code is blank: a ward contract needs the ward code it covers" in msg
    assert "end_date 2024-01-01 is before start_date 2025-01-01" in msg
    assert "row 4: contract_id is blank" in msg
    assert "row 4: contract_id is blank" in msg
    assert "scope_code is blank: an estate contract needs the estate id it covers" in msg
    assert "more than 2 decimal places" in msg


def test_missing_columns_named(con, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("contract_id,title,supplier\nC1,x,y\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        load_contracts(con, path)
    msg = str(err.value)
    assert "'scope_type'" in msg and "['contract_id', 'title', 'supplier']" in msg
    assert "Fix: give the register a header row with the columns contract_id, title" in msg


def test_wrong_field_count_named(con, tmp_path):
    path = register(tmp_path, "C1,Waste,Veolia,waste,,borough,,1000,2024-04-01")
    with pytest.raises(InputFileError, match="row 2: expected 10 fields, found 9"):
        load_contracts(con, path)


def test_cp1252_register_with_bom_less_pound_signs(con, tmp_path):
    path = register(tmp_path, "C1,Café,Café Ltd,cafe,,borough,,£1000,,", encoding="cp1252")
    load_contracts(con, path)
    assert con.execute("select supplier_key, annual_value_pence from contracts").fetchall() == [
        ("CAFÉ LTD", 100000)
    ]


def test_no_register_gives_an_empty_table(con):
    assert load_contracts(con, None) == 0
    assert con.table("contracts").columns == [
        "contract_id",
        "title",
        "supplier",
        "supplier_key",
        "service_id",
        "purpose",
        "scope_type",
        "scope_code",
        "annual_value_pence",
        "start_date",
        "end_date",
    ]


def test_scope_codes_checked_against_known_places(con, tmp_path):
    path = register(
        tmp_path,
        "C1,Parks,Idverde,parks,,ward,W1,1000,,",
        "C2,Repairs,Mears,,Repairs,estate,EST9,1000,,",
        "C3,Waste,Veolia,waste,,borough,,1000,,",
    )
    load_contracts(con, path)
    check_contract_scopes(con, ["W1", "W2"], ["EST9"])  # all known: no error
    with pytest.raises(InputFileError) as err:
        check_contract_scopes(con, ["W2"], ["EST1"])
    msg = str(err.value)
    assert "(2 problems)" in msg
    assert "contracts.csv, row 2: contract 'C1': ward 'W1' is not a known ward code" in msg
    assert "contracts.csv, row 3: contract 'C2': estate 'EST9' is not a known estate id" in msg


def test_services_checked_against_the_catalogue(con, tmp_path):
    path = register(
        tmp_path,
        "C1,Parks,Idverde,parks,,borough,,1000,,",
        "C2,Repairs,Mears,,Repairs,borough,,1000,,",  # no service: matched on purpose
        "C3,Waste,Veolia,wast,,borough,,1000,,",
        "C4,Other,Acme,street_lighting,,borough,,1000,,",
    )
    load_contracts(con, path)
    check_contract_services(con, ["parks", "wast", "street_lighting"])  # all known: no error
    with pytest.raises(InputFileError) as err:
        check_contract_services(con, ["parks", "waste", "housing"])
    msg = str(err.value)
    assert "(2 problems)" in msg and "C2" not in msg and "'C1'" not in msg
    assert ("contracts.csv, row 4: contract 'C3': service 'wast' is not a service of the "
            "catalogue (did you mean 'waste'?)") in msg
    assert ("contracts.csv, row 5: contract 'C4': service 'street_lighting' is not a service "
            "of the catalogue (known: housing, parks, waste)") in msg
    assert "leave service blank and give the payments' purpose" in msg
