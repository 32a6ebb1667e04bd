"""Spend ingest: Camden's export, mapped files, the real Lambeth file, and conservation."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from placespend import _careful, _parse, ingest
from placespend._parse import parse_amount_pence
from placespend.errors import InputFileError, ReconciliationError
from placespend.ingest import CAMDEN, LAMBETH, ColumnMapping, load_mapping, load_spend

DATA = Path(__file__).parent / "data"
CAMDEN_SAMPLE = DATA / "camden_sample.csv"
LAMBETH_FILE = DATA / "lambeth_2012-06_invoices_over_500.csv"
URI = "http://opendatacommunities.org/id/london-borough-council/camden"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


def camden_line(date: str, payee: str, amount: str, uid: str, purpose: str = "Repairs") -> str:
    """One row of Camden's 15 columns (payee and amount quoted so commas are safe)."""
    return (
        f'London Borough of Camden,{URI},{date},Sep,2025,2025/26,"{payee}",{purpose},'
        f'Housing,"{amount}",0,2026/27,2026,Aug,{uid}'
    )


def camden_header() -> str:
    return CAMDEN_SAMPLE.read_text(encoding="utf-8").splitlines()[0]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def payments(con: duckdb.DuckDBPyConnection) -> dict[int, tuple]:
    """source_row -> (payment_date, financial_year, payee, payee_key, redacted, amount_pence)."""
    rows = con.execute(
        "select source_row, payment_date, financial_year, payee, payee_key, payee_redacted, "
        "amount_pence from payments"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def quarantine(con: duckdb.DuckDBPyConnection) -> dict[int, tuple]:
    """source_row -> (reason, amount_text, amount_pence, raw)."""
    rows = con.execute(
        "select source_row, reason, amount_text, amount_pence, raw from spend_quarantine"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


# -- Camden's export ---------------------------------------------------------------------------


def test_camden_sample_counts_and_invariant(con):
    report = load_spend(con, [CAMDEN_SAMPLE])
    (f,) = report.files
    assert (f.mapping, f.reader, f.header_line) == ("camden", "duckdb", 1)
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (13, 9, 4)
    accepted = [194099807, 61250, 100000, 75000, 125000, 99999, 53000, 3155000000, -12345]
    assert f.accepted_pence == sum(accepted)
    assert f.quarantined_pence == 50000 + 80000  # the duplicate and the impossible date
    assert f.quarantined_unparsed_rows == 2  # the European amount and 'n/a'
    summary = con.execute("select * from ingest_summary").fetchall()
    assert summary == [("camden_sample.csv", 13, 9, 4, sum(accepted), 130000, 2)]


def test_redacted_payees_are_flagged_and_never_unredacted(con):
    load_spend(con, [CAMDEN_SAMPLE])
    rows = payments(con)
    for line in (3, 4, 5):  # xxxxREDACTEDxxxx, REDACTED, Redacted
        _, _, payee, key, redacted, _ = rows[line]
        assert (payee, key, redacted) == ("REDACTED", None, True)
    assert rows[6][2:5] == ("REDACTIVE EVENTS", "REDACTIVE EVENTS", False)  # a real supplier
    assert con.execute("select count(*) from payments where payee ilike '%xxxx%'").fetchone() == (
        0,
    )


def test_trailing_asterisks_kept_in_payee_but_not_in_key(con):
    load_spend(con, [CAMDEN_SAMPLE])
    assert payments(con)[7][2:4] == ("ACME BUILDERS LIMITED****", "ACME BUILDERS LIMITED")


def test_empty_payee_is_accepted_with_no_key(con):
    load_spend(con, [CAMDEN_SAMPLE])
    date, fy, payee, key, redacted, pence = payments(con)[8]
    assert (payee, key, redacted, pence) == (None, None, False, 53000)


def test_dates_without_leading_zeros_and_uk_financial_years(con):
    load_spend(con, [CAMDEN_SAMPLE])
    rows = payments(con)
    assert rows[3][:2] == (dt.date(2020, 9, 7), "2020-21")  # 7/9/2020 is 7 September
    assert rows[4][:2] == (dt.date(2025, 3, 31), "2024-25")  # March closes the year
    assert rows[5][:2] == (dt.date(2025, 4, 1), "2025-26")  # 1/4/2025 opens the next


def test_quoted_amount_with_thousands_comma_and_parentheses(con):
    load_spend(con, [CAMDEN_SAMPLE])
    rows = payments(con)
    assert rows[6][5] == 125000  # "1,250.00"
    assert rows[13][5] == -12345  # (123.45)
    assert rows[13][2:4] == ("Smith, Jones & Co.", "SMITH JONES & CO")


def test_duplicate_transaction_id_quarantined_naming_first_row(con):
    load_spend(con, [CAMDEN_SAMPLE])
    reason, amount_text, pence, raw = quarantine(con)[9]
    assert reason == ("duplicate unique key (Unique Identifier) 'sep-25-1': "
                      "first seen at camden_sample.csv, row 2")
    assert (amount_text, pence) == ("500.00", 50000)
    assert raw.endswith("500.00,0,2026/27,2026,Aug,sep-25-1")
    assert payments(con)[2][5] == 194099807  # the first one stays


def test_impossible_date_quarantined_keeping_its_amount(con):
    load_spend(con, [CAMDEN_SAMPLE])
    reason, _, pence, _ = quarantine(con)[10]
    assert reason == ("date '31/02/2024' is not a valid date in format %d/%m/%Y or another "
                      "common day-first layout")
    assert pence == 80000


def test_unparseable_amounts_quarantined_without_pence(con):
    load_spend(con, [CAMDEN_SAMPLE])
    q = quarantine(con)
    assert "decimal comma" in q[11][0] and q[11][1:3] == ("1.234,56", None)
    assert q[14][0].startswith("amount 'n/a' is not a number") and q[14][2] is None


def test_row_ids_unique_and_duplicates_caught_across_files(con, tmp_path):
    second = write(
        tmp_path / "later.csv",
        [
            camden_header(),
            camden_line("02/09/2025", "Mears Ltd", "600", "sep-25-1"),
            camden_line("03/09/2025", "Mears Ltd", "700", "sep-25-99"),
        ],
    )
    report = load_spend(con, [CAMDEN_SAMPLE, second])
    assert [f.rows_read for f in report.files] == [13, 2]
    # row_id is the line's place among all 15 rows read, in file order: unique across files,
    # with gaps where rows were quarantined
    rows = con.execute(
        "select row_id, source_file, source_row from payments order by row_id").fetchall()
    assert len({r[0] for r in rows}) == len(rows) == report.rows_accepted
    first_data_line = 2  # after the header
    expected = [(1 if f == "camden_sample.csv" else 14) + line - first_data_line
                for _, f, line in rows]
    assert [r[0] for r in rows] == expected
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), key="camden_sample.csv".__ne__)
    reason = con.execute(
        "select reason from spend_quarantine where source_file = 'later.csv'"
    ).fetchone()[0]
    assert reason == ("duplicate unique key (Unique Identifier) 'sep-25-1': "
                      "first seen at camden_sample.csv, row 2")


def test_truncated_line_quarantined_at_its_editor_line(con, tmp_path):
    lines = CAMDEN_SAMPLE.read_text(encoding="utf-8").splitlines()
    truncated = "London Borough of Camden,x,01/09/2025,Sep,2025,2025/26,Mears Ltd,Repairs"
    path = write(tmp_path / "truncated.csv", [*lines[:5], truncated, *lines[5:]])
    report = load_spend(con, [path])
    (f,) = report.files
    assert f.reader == "python"  # DuckDB refused a line, so the careful reader took over
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (14, 9, 5)
    reason, amount_text, pence, raw = quarantine(con)[6]
    assert reason.startswith("expected 15 fields, found 8")
    assert (amount_text, pence, raw) == (None, None, truncated)
    assert payments(con)[7][2] == "REDACTIVE EVENTS"  # rows after it keep their own lines


def test_too_many_fields_quarantined(con, tmp_path):
    extra = camden_line("01/09/2025", "Mears Ltd", "600", "sep-25-7") + ",surplus"
    path = write(tmp_path / "extra.csv", [camden_header(), extra])
    load_spend(con, [path])
    assert quarantine(con)[2][0].startswith("expected 15 fields, found 16")


def test_empty_trailing_fields_are_dropped(con, tmp_path, monkeypatch):
    line = camden_line("01/09/2025", "Mears Ltd", "600", "sep-25-7") + ",,"
    path = write(tmp_path / "trailing.csv", [camden_header(), line])
    load_spend(con, [path])  # DuckDB's reader ignores the empty extras itself
    assert payments(con)[2][5] == 60000
    monkeypatch.setattr(ingest, "_read_fast", lambda con, layout: None)
    report = load_spend(con, [path])  # the careful reader drops them and says so
    assert report.files[0].repaired_rows == ((2, "dropped 2 empty trailing field(s)"),)
    assert payments(con)[2][5] == 60000


def test_blank_lines_and_multiline_values_keep_editor_line_numbers(con, tmp_path):
    multi = camden_line("02/09/2025", "Mears Ltd", "700", "sep-25-8", purpose='"Two\nlines"')
    multi = multi.replace('""Two', '"Two').replace('lines""', 'lines"')
    path = write(
        tmp_path / "gaps.csv",
        [
            camden_header(),
            camden_line("01/09/2025", "A Ltd", "600", "u1"),
            "",
            multi,
            camden_line("03/09/2025", "B Ltd", "800", "u3"),
        ],
    )
    load_spend(con, [path])
    rows = payments(con)
    assert sorted(rows) == [2, 4, 6]  # line 3 is blank; the value on line 4 runs into line 5
    assert rows[6][5] == 80000


def test_fast_and_careful_readers_agree(con, monkeypatch):
    load_spend(con, [CAMDEN_SAMPLE])
    fast = con.execute("select * from payments order by row_id").fetchall()
    fast_q = con.execute("select * exclude (raw) from spend_quarantine").fetchall()
    monkeypatch.setattr(ingest, "_read_fast", lambda con, layout: None)
    report = load_spend(con, [CAMDEN_SAMPLE])
    assert report.files[0].reader == "python"
    assert con.execute("select * from payments order by row_id").fetchall() == fast
    assert con.execute("select * exclude (raw) from spend_quarantine").fetchall() == fast_q


def test_header_only_file_is_refused_as_holding_no_payments(con, tmp_path):
    """A header and nothing after it (blank lines aside) once built an empty store, exit 0."""
    path = write(tmp_path / "empty.csv", [camden_header(), "", ""])
    good = write(tmp_path / "good.csv", [camden_header(),
                                         camden_line("01/09/2025", "Mears Ltd", "100", "g-1")])
    for files in ([path], [good, path]):
        with pytest.raises(InputFileError, match="holds no payments") as info:
            load_spend(con, files)
        assert "empty.csv" in str(info.value) and "line 1" in str(info.value)
        with pytest.raises(InputFileError, match="holds no payments"):
            ingest.check_spend_files(files)


def test_broken_conservation_raises_reconciliation_error(con, monkeypatch):
    real = ingest._run_step

    def losing_a_row(connection, step, **params):
        real(connection, step, **params)
        if step == "01a_payments":
            connection.execute("delete from payments where row_id = 1")

    monkeypatch.setattr(ingest, "_run_step", losing_a_row)
    with pytest.raises(ReconciliationError, match="payments rows = rows_accepted"):
        load_spend(con, [CAMDEN_SAMPLE])


# -- the real Lambeth file ---------------------------------------------------------------------


def _naive_failures() -> list[int]:
    """Line numbers whose amount a naive parse (header on line 10, 5th column) cannot read."""
    lines = LAMBETH_FILE.read_text(encoding="utf-8").splitlines()
    failed = []
    for number, row in enumerate(csv.reader(lines[10:]), start=11):
        try:
            float(row[4])
        except (IndexError, ValueError):
            failed.append(number)
    return failed


def test_lambeth_every_row_accounted_for(con):
    report = load_spend(con, [LAMBETH_FILE])
    (f,) = report.files
    assert (f.mapping, f.header_line, f.reader) == ("lambeth", 10, "python")
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (3161, 3155, 6)
    assert f.rows_read == f.rows_accepted + f.rows_quarantined
    assert f.repairs == 639
    # The file's own "Total" line (quarantined as a totals line) equals what was accepted.
    assert f.accepted_pence == 40_292_334_84
    assert f.quarantined_pence == 40_292_334_84
    assert f.quarantined_unparsed_rows == 5
    reasons = dict(con.execute("select source_row, reason from spend_quarantine").fetchall())
    assert reasons[3167] == ("a totals line, not a payment ('Total' in a field, and no date); "
                             "date is blank")
    assert all(reasons.values())


def test_lambeth_naively_failing_rows_are_repaired_or_quarantined(con):
    failed = _naive_failures()
    assert len(failed) == 644
    report = load_spend(con, [LAMBETH_FILE])
    repaired = dict(report.files[0].repaired_rows)
    quarantined = dict(con.execute("select source_row, reason from spend_quarantine").fetchall())
    accepted = set(payments(con))
    for line in failed:
        assert (line in repaired and line in accepted) or quarantined.get(line), line
    assert len([n for n in failed if n in repaired]) == 639


def test_lambeth_known_fused_rows(con):
    report = load_spend(con, [LAMBETH_FILE])
    rows = payments(con)
    assert rows[19][0] == dt.date(2012, 6, 25) and rows[19][2] == "A A GuestHouses"
    assert rows[19][5] == 90000  # 25/06/2012900 -> 25/06/2012 and £900
    assert rows[441][2] == "Catch22" and rows[441][0] == dt.date(2012, 6, 12)  # Catch2212/06/2012
    assert rows[1382][2] == "Inter High Education/Academy21"  # payee, date and amount fused
    assert (rows[1382][0], rows[1382][5]) == (dt.date(2012, 5, 29), 74000)
    notes = dict(report.files[0].repaired_rows)
    assert notes[19] == "fused field '25/06/2012900' split into '25/06/2012' + '900'"
    assert rows[13][5] == rows[14][5] == 492857  # identical invoices are both kept


def test_lambeth_loads_with_camden_in_one_go(con):
    report = load_spend(con, [CAMDEN_SAMPLE, LAMBETH_FILE])
    assert [f.mapping for f in report.files] == ["camden", "lambeth"]
    assert report.rows_read == 13 + 3161


def test_ambiguous_fused_row_is_quarantined_not_guessed(con, tmp_path):
    mapping = ColumnMapping(name="t", date="Date", amount="Amount", payee="Supplier")
    lines = ["Supplier,Date,Amount", "A Ltd,8/06/2012,100", "B Ltd,18/06/2012,200"]
    path = write(tmp_path / "ambiguous.csv", [*lines, "Foundation6608/06/2012,300"])
    load_spend(con, [path], mapping)
    assert quarantine(con)[4][0].startswith("expected 3 fields, found 2")  # day 8 or 08?
    path = write(tmp_path / "padded.csv", [lines[0], lines[2], "Foundation6608/06/2012,300"])
    report = load_spend(con, [path], mapping)
    assert payments(con)[3][2] == "Foundation66"  # only dd/mm/yyyy dates in this file
    assert report.repairs == 1


# -- mappings and robust reading ---------------------------------------------------------------


def test_missing_columns_error_lists_what_was_found(con, tmp_path):
    path = write(tmp_path / "other.csv", ["When,How much,Who", "01/01/2024,5,X"])
    with pytest.raises(InputFileError) as err:
        load_spend(con, [path])
    msg = str(err.value)
    assert "other.csv" in msg and "['When', 'How much', 'Who']" in msg
    assert "'Payment Date'" in msg  # what Camden's layout would need
    assert "placespend mapping suggest" in msg and "--mapping mapping.yaml" in msg  # the fix


def test_mapping_from_yaml_reads_cp1252_semicolons_after_preamble(con, tmp_path):
    mapping_file = tmp_path / "hackney.yaml"
    mapping_file.write_text(
        "date: Date Paid\namount: Amount\npayee: Supplier\npurpose: Expense Type\n"
        "transaction_id: Ref\ndate_formats: ['%Y-%m-%d', '%d/%m/%Y']\n"
        "constants: {org_unit: Housing}\n",
        encoding="utf-8",
    )
    mapping = load_mapping(mapping_file)
    assert mapping.name == "hackney" and mapping.constants == {"org_unit": "Housing"}
    path = write(
        tmp_path / "hackney.csv",
        [
            "Council spend report",
            "",
            "Ref;Date Paid;Supplier;Expense Type;Amount",
            "1;2024-04-02;Café Ltd;Catering;£1.234,00",
            "2;03/04/2024;Café Ltd;Catering;£1,234.00",
        ],
        encoding="cp1252",
    )
    report = load_spend(con, [path], mapping)
    assert (report.files[0].encoding, report.files[0].delimiter) == ("cp1252", ";")
    rows = con.execute("select payee, org_unit, amount_pence, source_row from payments").fetchall()
    assert rows == [("Café Ltd", "Housing", 123400, 5)]
    assert "decimal comma" in quarantine(con)[4][0]


def test_preset_mapping_file(tmp_path):
    mapping_file = tmp_path / "m.json"
    mapping_file.write_text('{"preset": "lambeth"}', encoding="utf-8")
    assert load_mapping(mapping_file) is LAMBETH
    assert ColumnMapping.from_file(mapping_file) is LAMBETH


def test_invalid_mapping_file_lists_problems(tmp_path):
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text("date: D\namount: A\nwhen: x\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"unknown keys \['when'\]"):
        load_mapping(mapping_file)
    with pytest.raises(InputFileError, match="'payee' must name a column"):
        ColumnMapping(name="x", date="D", amount="A")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_utf16_and_bom_files_are_read(con, tmp_path, encoding):
    lines = [camden_header(), camden_line("01/09/2025", "Café £ Ltd", "£600", "u1")]
    report = load_spend(con, [write(tmp_path / "enc.csv", lines, encoding=encoding)])
    assert report.files[0].rows_accepted == 1
    assert payments(con)[2][2:] == ("Café £ Ltd", "CAFÉ LTD", False, 60000)


def test_bad_bytes_never_crash(con, tmp_path):
    body = camden_header() + "\n" + camden_line("01/09/2025", "Bad\x81\x8dBytes", "600", "u1")
    path = tmp_path / "bad.csv"
    path.write_bytes(body.encode("latin-1") + b"\n")
    report = load_spend(con, [path])
    assert report.files[0].encoding == "latin-1" and report.rows_accepted == 1


def test_excel_file_renamed_csv_is_refused(con, tmp_path):
    path = tmp_path / "spend.csv"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputFileError, match="Excel workbook.*Save As"):
        load_spend(con, [path])


def test_missing_file_and_no_files(con, tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        load_spend(con, [tmp_path / "nope.csv"])
    with pytest.raises(InputFileError, match="no spend files"):
        load_spend(con, [])


def test_presets_match_published_headers():
    header = [h.strip() for h in camden_header().split(",")]
    assert set(CAMDEN.columns().values()) <= set(header) and len(header) == 15
    lambeth_header = LAMBETH_FILE.read_text(encoding="utf-8").splitlines()[9].split(",")
    assert set(LAMBETH.columns().values()) <= set(lambeth_header)


# -- property: whatever the rows, every one is accounted for ----------------------------------


_dates = st.one_of(
    st.dates(dt.date(2019, 1, 1), dt.date(2026, 12, 31)).map(
        lambda d: f"{d.day}/{d.month}/{d.year}"
    ),
    st.sampled_from(["31/02/2024", "", "soon", "1/1/20", "2024-01-01"]),
)
_amounts = st.one_of(
    st.integers(-(10**10), 10**10).map(lambda p: f"{p / 100:,.2f}" if p % 3 else str(p)),
    st.sampled_from(["", "n/a", "1.234,56", "(5)", "£-5", "1.005", " 12 "]),
)
_payees = st.text(alphabet='ab ,"*\nx', max_size=8)
_rows = st.lists(
    st.tuples(_dates, _payees, _amounts, st.sampled_from(["u1", "u2", "u3", ""]), st.booleans()),
    min_size=1,
    max_size=25,
)


@given(_rows)
@settings(max_examples=30, deadline=None)
def test_any_rows_are_all_accounted_for(rows):
    header = camden_header().split(",")
    expected_pence = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for date, payee, amount, uid, truncated in rows:
                row = ["LBC", URI, date, "m", "y", "fy", payee, "P", "U", amount, "0"]
                row += ["fy", "y", "m", uid]
                writer.writerow(row[:8] if truncated else row)
                if not truncated:
                    try:
                        expected_pence += parse_amount_pence(amount)
                    except ValueError:
                        pass
        con = duckdb.connect()
        dated = [r[0] for r in rows if r[0].strip() and not r[4]]  # a short row: misread
        if dated and set(dated) == {"soon"}:  # no date has a date's shape: the column is wrong
            with pytest.raises(InputFileError, match="random.csv.*none of its"):
                load_spend(con, [path])
            return
        try:
            report = load_spend(con, [path])
            lines = con.execute(
                "select source_row from payments union all select source_row from spend_quarantine"
            ).fetchall()
            blank_reasons = con.execute(
                "select count(*) from spend_quarantine where coalesce(reason, '') = ''"
            ).fetchone()
        finally:
            con.close()
    assert report.rows_read == len(rows) == report.rows_accepted + report.rows_quarantined
    f = report.files[0]
    assert f.accepted_pence + f.quarantined_pence == expected_pence
    assert len({n for (n,) in lines}) == len(rows)  # one distinct line per row
    assert blank_reasons == (0,)


def test_refused_rows_keep_their_own_line_across_several_fast_read_files(con, tmp_path):
    """DuckDB's reader keeps no fields for most rows; a refused row's raw text is written back
    afterwards from its own file's rows. With two files, each refused row must get its own
    line, not the line at the same place in the other file."""
    first = [camden_header(),
             camden_line("01/09/2025", "Mears Ltd", "100", "a-1"),
             camden_line("02/09/2025", "Mears Ltd", "12,34", "a-2"),  # decimal comma
             camden_line("03/09/2025", "Mears Ltd", "300", "a-3")]
    second = [camden_header(),
              camden_line("04/09/2025", "Veolia", "400", "b-1"),
              camden_line("05/09/2025", "Veolia", "500", "b-2"),
              camden_line("06/09/2025", "Veolia", "n/a", "b-3"),  # not a number
              camden_line("07/09/2025", "Veolia", "200", "a-1"),  # the first file's id again
              camden_line("", "Grand total", "1000", "")]  # a totals line: its fields are kept
    report = load_spend(con, [write(tmp_path / "first.csv", first),
                              write(tmp_path / "second.csv", second)])
    assert [f.reader for f in report.files] == ["duckdb", "duckdb"]
    refused = con.execute(
        "select source_file, source_row, raw, reason from spend_quarantine").fetchall()
    lines = {"first.csv": first, "second.csv": second}
    assert {(f, row) for f, row, _, _ in refused} == {
        ("first.csv", 3), ("second.csv", 4), ("second.csv", 5), ("second.csv", 6)}
    for source_file, row, raw, _ in refused:  # the same fields (quoting may differ)
        read_back = next(csv.reader([raw]))
        assert read_back == next(csv.reader([lines[source_file][row - 1]])), (source_file, row)
    reasons = {(f, row): reason for f, row, _, reason in refused}
    assert "first seen at first.csv, row 2" in reasons["second.csv", 5]
    assert "totals line" in reasons["second.csv", 6]


# -- hostile inputs, round two (issue 9) -------------------------------------------------------


@pytest.mark.parametrize(("today", "latest"), [
    (dt.date(2026, 12, 3), dt.date(2028, 3, 31)),
    (dt.date(2026, 4, 1), dt.date(2028, 3, 31)),  # the first day of 2026-27
    (dt.date(2026, 3, 31), dt.date(2027, 3, 31)),  # the last day of 2025-26
])
def test_payments_may_be_dated_up_to_the_end_of_next_financial_year(today, latest):
    assert _parse.payment_date_range(today) == (dt.date(1990, 1, 1), latest)


LABELS = ["Total", "TOTALS", "Grand total", "Grand Total:", "Sub-total", "SUBTOTAL", "sub total",
          "TOTAL SPEND", "Total paid (£)", "Total for the month", "Total for June 2024",
          "  total  ", "Monthly total", "Total amount"]
NOT_LABELS = ["Total Gas & Power Ltd", "TOTAL UK LTD", "Totally Locum Ltd", "Totalcare Ltd",
              "Sub Total Catering Ltd", "Totals Ltd", "Total Fitness", "ACME Total", "", None]


def test_total_labels_are_whole_fields_not_suppliers_that_start_with_total(con):
    ingest._run_step(con, "00_ingest_macros")
    texts = LABELS + NOT_LABELS
    found = con.execute(
        "select coalesce(ps_is_total_label(t), false) "
        "from unnest($t) with ordinality as u(t, i) order by i", {"t": texts}).fetchall()
    assert [flag for (flag,) in found] == [True] * len(LABELS) + [False] * len(NOT_LABELS)


def test_a_dated_totals_line_in_the_middle_is_quarantined_wherever_its_label_is(con, tmp_path):
    lines = [camden_header(),
             camden_line("01/09/2025", "Mears Ltd", "100", "a-1"),
             camden_line("02/09/2025", "Grand total", "100", ""),  # label in the payee
             camden_line("03/09/2025", "Veolia", "200", "a-3"),
             camden_line("04/09/2025", "Veolia", "200", "TOTAL"),  # label as the id
             camden_line("05/09/2025", "Total Gas & Power Ltd", "300", "a-5")]
    report = load_spend(con, [write(tmp_path / "t.csv", lines)])
    q = quarantine(con)
    assert set(q) == {3, 5}
    assert q[3][0] == "a totals line, not a payment ('Grand total' as the payee)"
    assert q[5][0] == "a totals line, not a payment ('TOTAL' as the transaction id)"
    assert report.files[0].accepted_pence == 60000


def test_an_unnamed_row_is_a_total_only_when_it_adds_up_two_rows_or_more(con, tmp_path):
    header = camden_header()
    unnamed = 'London Borough of Camden,{uri},01/09/2025,Sep,2025,2025/26,,,Housing,"{a}",0,x,y,z,'
    lines = [header,
             camden_line("01/09/2025", "Mears Ltd", "100", "a-1"),
             unnamed.format(uri=URI, a="100"),  # one row above: a payment, not a total
             camden_line("01/09/2025", "Veolia", "250", "a-3"),
             unnamed.format(uri=URI, a="350"),  # Mears + Veolia: a total
             unnamed.format(uri=URI, a="7")]  # no sum: a payment
    load_spend(con, [write(tmp_path / "u.csv", lines)])
    q = quarantine(con)
    assert list(q) == [5]
    assert "its amount is the sum of the 2 rows above it" in q[5][0]
    assert sorted(p[-1] for p in payments(con).values()) == [700, 10000, 10000, 25000]


def test_a_copy_with_ids_in_another_encoding_is_refused_as_a_copy(con, tmp_path):
    lines = [camden_header(), camden_line("01/09/2025", "Café Ltd", "100", "c-1"),
             camden_line("02/09/2025", "Mears Ltd", "£1,234.50", "c-2")]
    original = write(tmp_path / "a.csv", lines)
    copy = write(tmp_path / "b.csv", [lines[0], *lines[:0:-1]], encoding="utf-16")
    with pytest.raises(InputFileError, match="has the same contents as") as info:
        load_spend(con, [original, copy])
    assert "b.csv" in str(info.value) and "load each export once" in str(info.value)


def test_rows_repeated_in_a_later_file_are_quarantined_and_noted(con, tmp_path):
    a = write(tmp_path / "a.csv", [camden_header(),
                                   camden_line("01/09/2025", "Mears Ltd", "100", ""),
                                   camden_line("01/09/2025", "Mears Ltd", "100", ""),
                                   camden_line("02/09/2025", "Veolia", "200", "")])
    b = write(tmp_path / "b.csv", [camden_header(),
                                   camden_line("02/09/2025", "Veolia", "200.00", ""),
                                   camden_line("01/09/2025", "Mears Ltd", "100", ""),
                                   camden_line("01/09/2025", "Mears Ltd", "100", ""),
                                   camden_line("01/09/2025", "Mears Ltd", "100", ""),
                                   camden_line("03/09/2025", "Veolia", "300", "")])
    report = load_spend(con, [a, b])
    assert [f.rows_accepted for f in report.files] == [3, 2]  # a's own two equal rows stay
    refused = con.execute("select source_file, source_row, reason from spend_quarantine "
                          "order by source_row").fetchall()
    assert [(f, r) for f, r, _ in refused] == [("b.csv", 2), ("b.csv", 3), ("b.csv", 4)]
    assert "the same payment as a.csv, row 4" in refused[0][2]
    assert "the same payment as a.csv, row 2" in refused[1][2]
    assert "the same payment as a.csv, row 3" in refused[2][2]
    repeated, suspect = report.notes
    assert repeated == (
        "b.csv: 3 rows (£400.00) are the same payments as rows of a.csv and were quarantined, "
        "not counted twice: the files' periods overlap. Load each period once "
        "(`placespend quarantine` lists the rows)")
    assert suspect.startswith("a.csv: 1 accepted line (£100.00) repeats an earlier line")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "cp1252", "latin-1"])
def test_file_encoding_reads_the_whole_file_in_chunks_as_decode_does(tmp_path, encoding,
                                                                    monkeypatch):
    monkeypatch.setattr(_parse, "_ENCODING_CHUNK", 7)  # a character split across chunks
    text = "a,b\n" * 3000 + "Café £ “q” ˆ\n"  # past the head: decided by the whole file
    if encoding == "latin-1":
        text = text.replace("“q” ˆ", "\x81")  # a byte Windows-1252 leaves undefined
    data = text.encode(encoding)
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    found, _ = _parse.file_encoding(path)
    assert found == _parse.decode(data)[1]
    assert found == {"utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be"}.get(encoding, found)


def test_careful_reader_gives_the_same_rows_in_small_batches_with_held_rows_on_disk(
        con, monkeypatch):
    """Lambeth's file (639 repairs) read a few rows at a time, its short rows spilled to a
    temporary file before being repaired, gives exactly what one batch gives."""
    load_spend(con, [LAMBETH_FILE])
    whole = con.execute("select * from payments order by row_id").fetchall()
    whole_q = con.execute("select * from spend_quarantine").fetchall()
    monkeypatch.setattr(ingest, "_batch_chars", lambda con: 20_000)
    monkeypatch.setattr(_careful, "_HELD_IN_MEMORY_CHARS", 500)
    report = load_spend(con, [LAMBETH_FILE])
    assert report.files[0].repairs == 639
    assert con.execute("select * from payments order by row_id").fetchall() == whole
    assert con.execute("select * from spend_quarantine").fetchall() == whole_q


def test_a_quote_left_open_is_cut_at_the_longest_row_and_reading_goes_on(con, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setattr(_careful, "MAX_ROW_CHARS", 2000)
    monkeypatch.setattr(ingest, "_read_fast", lambda con, layout: None)
    opened = (f"London Borough of Camden,{URI},01/09/2025,Sep,2025,2025/26,\"Open, never "
              "closed,Repairs,Housing,5,0,2026/27,2026,Aug,bad")
    rows = [camden_line("02/10/2025", "Veolia", str(i), f"v-{i}").replace('"', "")
            for i in range(1, 40)]  # no quote to close the one left open
    path = write(tmp_path / "open.csv", [camden_header(), rows[0], opened, *rows[1:]])
    report = load_spend(con, [path])
    (f,) = report.files
    q = quarantine(con)
    (cut,) = [row for row, (reason, *_) in q.items() if "characters long" in reason]
    assert cut == 3 and "more than the 2,000 a row may have (lines 3-" in q[3][0]
    assert q[3][3].startswith("London Borough of Camden") and q[3][3].endswith(" …")
    assert f.rows_read == f.rows_accepted + f.rows_quarantined
    assert f.rows_accepted > 1 + 20  # rows after the cut are read again


DAY_FIRST_LAYOUTS = [  # (as a council writes 2 August 2022, its strptime format)
    ("02/08/2022", "%d/%m/%Y"), ("02/08/22", "%d/%m/%y"), ("2022-08-02", "%Y-%m-%d"),
    ("02/08/2022 00:00:00", "%d/%m/%Y %H:%M:%S"), ("02/08/2022 13:45", "%d/%m/%Y %H:%M"),
    ("2022-08-02T00:00:00", "%Y-%m-%dT%H:%M:%S"), ("02-Aug-2022", "%d-%b-%Y"),
    ("02-Aug-22", "%d-%b-%y"), ("02 August 2022", "%d %B %Y"), ("02.08.2022", "%d.%m.%Y"),
]


@pytest.mark.parametrize(("text", "fmt"), DAY_FIRST_LAYOUTS)
def test_common_date_layouts_are_read_without_a_format_in_the_mapping(tmp_path, text, fmt):
    """A mapping without date_formats reads the layouts councils publish, day first, and keeps
    impossible dates in the quarantine with their pence; a two-digit year is noted with the
    century it was read in."""
    path = tmp_path / "spend.csv"
    path.write_text("Date,Amount,Supplier\n"
                    f"{text},100.00,Acme Ltd\n31/02/2022,5.00,Acme Ltd\n", encoding="utf-8")
    mapping = ColumnMapping(name="plain", date="Date", amount="Amount", payee="Supplier")
    con = duckdb.connect()
    report = load_spend(con, [path], mapping)
    assert con.execute("select payment_date, amount_pence from payments").fetchall() == [
        (dt.datetime.strptime(text, fmt).date(), 10000)]
    assert [(r[0], r[2]) for r in quarantine(con).values()] == [("date '31/02/2022' is not a "
        "valid date in any common day-first layout (the mapping lists no date_formats)", 500)]
    assert not [n for n in report.notes if "date formats" in n]
    two_digit = [n for n in report.notes if "two-digit year" in n]
    if "%y" in fmt:
        assert two_digit == [f"spend.csv: 1 date has a two-digit year (e.g. '{text}', read as "
                             "2 August 2022): 00-68 are read as 2000-2068 and 69-99 as "
                             "1969-1999"]
    else:
        assert two_digit == []


@pytest.mark.parametrize(("text", "fmt"), DAY_FIRST_LAYOUTS)
def test_a_declared_format_is_tried_first_and_the_common_layouts_after_with_a_note(
        tmp_path, text, fmt):
    path = tmp_path / "spend.csv"
    path.write_text(f"Date,Amount,Supplier\n{text},100.00,Acme Ltd\n", encoding="utf-8")
    mapping = ColumnMapping(name="plain", date="Date", amount="Amount", payee="Supplier",
                            date_formats=("%d/%m/%Y",))
    con = duckdb.connect()
    report = load_spend(con, [path], mapping)
    assert con.execute("select payment_date from payments").fetchall() == [
        (dt.datetime.strptime(text, fmt).date(),)]
    noted = [n for n in report.notes if "date formats" in n]
    if fmt == "%d/%m/%Y":  # the mapping's own format: nothing to say
        assert noted == []
    else:
        assert noted == [f"spend.csv: 1 date (e.g. '{text}') is not in the mapping's date "
                         "formats and was read as a common day-first layout; to be sure, add "
                         "the format to the mapping's date_formats"]


def test_the_mappings_own_date_format_comes_before_the_common_layouts(tmp_path):
    """A month-first file read with its own format: 08/02/2022 is 2 August, as the mapping
    says, not 8 February; with no format given it is read day-first."""
    path = tmp_path / "us.csv"
    path.write_text("Date,Amount,Supplier\n08/02/2022,1.00,Acme Ltd\n", encoding="utf-8")
    for formats, expected in ((("%m/%d/%Y",), dt.date(2022, 8, 2)),
                              (("%d/%m/%Y",), dt.date(2022, 2, 8))):
        mapping = ColumnMapping(name="us", date="Date", amount="Amount", payee="Supplier",
                                date_formats=formats)
        con = duckdb.connect()
        report = load_spend(con, [path], mapping)
        assert con.execute("select payment_date from payments").fetchall() == [(expected,)]
        assert not [n for n in report.notes if "date formats" in n]


@pytest.mark.parametrize("extra", [",#N/A", ",#REF!", ", ,#N/A", ",#n/a", ",#DIV/0!,"])
def test_trailing_spreadsheet_errors_past_the_header_are_dropped_with_a_note(tmp_path, extra):
    """A lookup column left past the header (``#N/A`` on every row) is not a misread line: the
    rows are kept whole with a repair note; a real value there still quarantines the row."""
    path = tmp_path / "spend.csv"
    path.write_text("Date,Amount,Supplier\n"
                    f"02/08/2022,100.00,Acme Ltd{extra}\n03/08/2022,50.00,Beta Ltd{extra}\n"
                    "04/08/2022,7.00,Gamma Ltd,Camden Town\n", encoding="utf-8")
    mapping = ColumnMapping(name="plain", date="Date", amount="Amount", payee="Supplier")
    con = duckdb.connect()
    report = load_spend(con, [path], mapping)
    assert con.execute("select sum(amount_pence) from payments").fetchone()[0] == 15000
    assert [line for line, _ in report.files[0].repaired_rows] == [2, 3]
    assert all(note.startswith("dropped") for _, note in report.files[0].repaired_rows)
    reasons = quarantine(con)
    assert list(reasons) == [4] and reasons[4][3].endswith("Gamma Ltd,Camden Town")
    assert "expected 3 fields, found 4" in reasons[4][0]
