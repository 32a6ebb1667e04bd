"""Councils' own layouts: repeated invoice numbers, declared unique keys, possible duplicates,
columns renamed between years, blank header names and a byte-order mark encoded twice; and
the real files, read with a mapping that declares no date formats and no key.

Each case runs through both readers (DuckDB's and the careful Python one), which must agree.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from placespend import build, ingest, paths, store
from placespend.errors import InputFileError
from placespend.ingest import ColumnMapping, load_mapping, load_spend

DATA = Path(__file__).parent / "data"
MANCHESTER = DATA / "real" / "manchester_2022-05.csv"
OXFORD = DATA / "real" / "oxford_2017-10-12.csv"
LAMBETH = DATA / "lambeth_2012-06_invoices_over_500.csv"


@pytest.fixture(params=["duckdb", "python"])
def reader(request, monkeypatch) -> str:
    """Both readers: DuckDB's, and the careful one forced by refusing the fast path."""
    if request.param == "python":
        monkeypatch.setattr(ingest, "_read_fast", lambda con, layout: None)
    return request.param


def _load(path: Path, mapping: ColumnMapping | list[Path], reader: str):
    con = duckdb.connect()
    files = mapping if isinstance(mapping, list) else [path]
    report = load_spend(con, files, None if isinstance(mapping, list) else mapping)
    assert {f.reader for f in report.files} == {reader}
    return con, report


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def _refused(con) -> dict[int, str]:
    return dict(con.execute("select source_row, reason from spend_quarantine").fetchall())


HEADER = ["TransNo", "Seq no", "Date", "Supplier", "Expense Type", "Net Amount"]
INVOICE = [  # one invoice of three lines, then another invoice of one
    ["INV-1", "1", "02/08/2022", "Acme Ltd", "Repairs", "100.00"],
    ["INV-1", "2", "02/08/2022", "Acme Ltd", "Cleaning", "250.50"],
    ["INV-1", "3", "02/08/2022", "Acme Ltd", "Grounds", "49.50"],
    ["INV-2", "1", "03/08/2022", "Beta Ltd", "Repairs", "75.00"],
]


def _mapping(**extra) -> ColumnMapping:
    return ColumnMapping(name="council", date="Date", amount="Net Amount", payee="Supplier",
                         purpose="Expense Type", transaction_id="TransNo", **extra)


def test_the_lines_of_one_invoice_share_its_number_and_are_all_accepted(tmp_path, reader):
    con, report = _load(_write(tmp_path / "s.csv", [HEADER, *INVOICE]), _mapping(), reader)
    assert report.rows_accepted == 4 and report.rows_quarantined == 0
    assert con.execute("select sum(amount_pence) from payments").fetchone()[0] == 47500
    ids = con.execute("select transaction_id from payments order by row_id").fetchall()
    assert [i for (i,) in ids] == ["INV-1", "INV-1", "INV-1", "INV-2"]  # still shown per line


def test_a_declared_two_column_key_quarantines_only_a_real_repeat(tmp_path, reader):
    repeat = ["INV-1", "2", "05/08/2022", "Acme Ltd", "Cleaning", "10.00"]  # INV-1 line 2 again
    path = _write(tmp_path / "s.csv", [HEADER, *INVOICE, repeat])
    con, report = _load(path, _mapping(unique=("TransNo", "Seq no")), reader)
    assert report.rows_accepted == 4
    assert _refused(con) == {6: "duplicate unique key (TransNo, Seq no) 'INV-1', '2': first seen "
                                "at s.csv, row 3"}
    f = report.files[0]
    assert f.accepted_pence + f.quarantined_pence == 47500 + 1000  # nothing lost


def test_a_key_may_name_a_mapped_field_whatever_its_column_is_called(tmp_path, reader):
    path = _write(tmp_path / "s.csv", [HEADER, *INVOICE])
    con, _ = _load(path, _mapping(unique=("transaction_id",)), reader)
    assert sorted(_refused(con)) == [3, 4]
    assert _refused(con)[4] == ("duplicate unique key (TransNo) 'INV-1': first seen at s.csv, "
                                "row 2")


def test_a_key_of_blanks_identifies_nothing(tmp_path, reader):
    rows = [[*r[:1], "", *r[2:]] for r in INVOICE]
    rows = [["", "", *r[2:]] if i < 2 else r for i, r in enumerate(rows)]
    path = _write(tmp_path / "s.csv", [HEADER, *rows])
    con, report = _load(path, _mapping(unique=("TransNo", "Seq no")), reader)
    assert report.rows_quarantined == 0


def test_a_missing_key_column_is_named_in_the_error(tmp_path):
    path = _write(tmp_path / "s.csv", [HEADER[:1] + HEADER[2:], *[r[:1] + r[2:] for r in INVOICE]])
    with pytest.raises(InputFileError, match="it lacks the unique key's column 'Seq no'"):
        load_spend(duckdb.connect(), [path], _mapping(unique=("TransNo", "Seq no")))


def test_lines_repeating_every_field_are_kept_and_listed_as_possible_duplicates(tmp_path,
                                                                                 reader):
    same = ["INV-9", "1", "04/08/2022", "Gamma Ltd", "Repairs", "20.00"]
    path = _write(tmp_path / "s.csv", [HEADER, *INVOICE, same, same, same])
    con, report = _load(path, _mapping(), reader)
    assert report.rows_accepted == 7
    listed = con.execute("select source_row, first_row, amount_pence from possible_duplicates "
                         "order by source_row").fetchall()
    assert listed == [(7, 6, 2000), (8, 6, 2000)]
    (note,) = report.notes
    assert note.startswith("s.csv: 2 accepted lines (£40.00) repeat an earlier line of the file")
    assert "placespend quarantine --suspects" in note
    # A column that tells them apart, declared in the key, makes them three lines, not repeats.
    lines = [[*same[:1], str(n), *same[2:]] for n in (1, 2, 3)]
    con, report = _load(_write(tmp_path / "t.csv", [HEADER, *INVOICE, *lines]),
                        _mapping(unique=("transaction_id", "Seq no")), reader)
    assert report.notes == () and report.rows_accepted == 7
    assert con.execute("select count(*) from possible_duplicates").fetchone()[0] == 0


def test_the_suspects_command_lists_them(tmp_path):
    same = ["INV-9", "1", "04/08/2022", "Gamma Ltd", "Repairs", "20.00"]
    spend = _write(tmp_path / "s.csv", [HEADER, *INVOICE, same, same])
    mapping = tmp_path / "m.yaml"
    mapping.write_text("date: Date\namount: Net Amount\npayee: Supplier\n"
                       "purpose: Expense Type\ntransaction_id: TransNo\n", encoding="utf-8")
    home = tmp_path / "home"
    run = [sys.executable, "-m", "placespend"]
    built = subprocess.run([*run, "build", "--home", str(home), "--spend", str(spend),
                            "--mapping", str(mapping)], capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stderr
    assert "1 accepted line (£20.00) repeats an earlier line" in " ".join(built.stdout.split())
    listed = subprocess.run([*run, "quarantine", "--home", str(home), "--suspects"],
                            capture_output=True, text=True, timeout=120,
                            env={"COLUMNS": "200", "PATH": ""})
    assert listed.returncode == 0, listed.stderr
    text = " ".join(listed.stdout.split())
    assert "1 accepted lines (£20.00)" in text or "1 accepted line" in text
    assert "Gamma Ltd" in text and "│ 7 │ 6 │" in text.replace("  ", " ")


# -- columns renamed between files, and odd headers -------------------------------------------


def test_one_mapping_reads_files_that_renamed_a_column(tmp_path, reader):
    old = _write(tmp_path / "2021.csv", [["Date", "Supplier", "Amount"],
                                         ["01/04/2021", "Acme Ltd", "10.00"]])
    new = _write(tmp_path / "2022.csv", [["Date", "Supplier Name", "Net Amount"],
                                         ["01/04/2022", "Acme Ltd", "20.00"]])
    mapping = ColumnMapping(name="c", date="Date", amount=("Net Amount", "Amount"),
                            payee=("Supplier Name", "Supplier"))
    con = duckdb.connect()
    report = load_spend(con, [old, new], mapping)
    assert [f.rows_accepted for f in report.files] == [1, 1]
    assert con.execute("select sum(amount_pence) from payments").fetchone()[0] == 3000


def test_alternatives_are_tried_in_order_when_a_file_has_both(tmp_path, reader):
    path = _write(tmp_path / "s.csv", [["Date", "Supplier", "Amount", "Net Amount"],
                                       ["01/04/2022", "Acme Ltd", "12.00", "10.00"]])
    mapping = ColumnMapping(name="c", date="Date", amount=("Net Amount", "Amount"),
                            payee="Supplier")
    con, _ = _load(path, mapping, reader)
    assert con.execute("select amount_pence from payments").fetchone()[0] == 1000


def test_a_yaml_mapping_lists_alternatives_and_a_key(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("date: Date\namount: [Net Amount, Amount]\npayee: Supplier\n"
                    "unique: [TransNo, Seq no]\n", encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.alternatives()["amount"] == ("Net Amount", "Amount")
    assert mapping.columns()["amount"] == "Net Amount" and mapping.unique == ("TransNo", "Seq no")


@pytest.mark.parametrize(("unique", "expect"), [
    (("TransNo", "transno"), "'unique' names the column 'transno' 2 times"),
    (("a", "b", "c", "d", "e"), "'unique' names 5 columns, more than 4"),
    (("org_unit",), "'unique' names the field 'org_unit', which the mapping does not map"),
])
def test_a_key_that_cannot_work_is_refused(unique, expect):
    with pytest.raises(InputFileError, match=expect):
        _mapping(unique=unique)


def test_one_name_in_two_fields_alternatives_is_refused():
    with pytest.raises(InputFileError, match="'amount' and 'payee' both name the column 'Paid'"):
        ColumnMapping(name="c", date="Date", amount=("Net", "Paid"), payee=("Supplier", "paid"))


def test_blank_header_names_become_column_n_and_can_be_mapped(tmp_path, reader):
    path = _write(tmp_path / "s.csv", [["Date", "", "Amount", ""],
                                       ["01/04/2022", "Acme Ltd", "10.00", "x"]])
    mapping = ColumnMapping(name="c", date="Date", amount="Amount", payee="column_2")
    con, _ = _load(path, mapping, reader)
    assert con.execute("select payee, amount_pence from payments").fetchall() == [
        ("Acme Ltd", 1000)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_a_byte_order_mark_encoded_twice_does_not_hide_the_first_column(tmp_path, encoding,
                                                                        reader):
    bom_twice = "\ufeff".encode().decode("cp1252")  # what a re-encoded export starts with
    path = _write(tmp_path / "s.csv", [[bom_twice + "Date", "Supplier", "Amount"],
                                       ["01/04/2022", "Acme Ltd", "10.00"]], encoding)
    mapping = ColumnMapping(name="c", date="Date", amount="Amount", payee="Supplier")
    con, report = _load(path, mapping, reader)
    assert report.rows_accepted == 1


# -- the real files ----------------------------------------------------------------------------

# Mappings as an analyst writes them from the header: the invoice number as transaction id (as
# the README's example suggests), no date formats, no unique key.
REAL = {
    MANCHESTER: "date: Invoice Payment Date\namount: Net Amount\npayee: Supplier Name\n"
                "purpose: Expenses Type\norg_unit: Service Area\ntransaction_id: Transaction "
                "Number\n",
    OXFORD: "date: Paid Date\namount: Amount\npayee: Supplier Name\npurpose: Expenditure "
            "Category\norg_unit: Service Area\ntransaction_id: Trans No\n",
    LAMBETH: "date: Invoice Creation Date\namount: Invoice Nett Amount\npayee: Supplier Name\n"
             "purpose: Subj Description\norg_unit: Department\n",
}


def _independent_total(path: Path, date: str, amount: str) -> tuple[int, int]:
    """(rows, pence) of the file's lines with a date and an amount, by the csv module alone.
    Lambeth's fused lines (a missing comma) are the reader's repairs, so that file is checked
    against its own "Total" line instead (see below)."""
    text = path.read_bytes().decode("utf-8").replace("\ufeff", "")
    text = text.replace("\ufeff".encode().decode("cp1252"), "")
    rows = list(csv.DictReader(io.StringIO(text)))
    dated = [r for r in rows if r[date].strip() and r[amount].strip()]
    return len(dated), sum(int(Decimal(r[amount]) * 100) for r in dated)


@pytest.mark.parametrize("path", list(REAL), ids=lambda p: p.stem)
def test_real_files_with_an_invoice_number_and_no_formats_lose_nothing(tmp_path, path):
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(REAL[path], encoding="utf-8")
    mapping = load_mapping(mapping_file)
    con = duckdb.connect()
    report = load_spend(con, [path], mapping)
    (f,) = report.files
    if path == LAMBETH:
        # Every quarantined row is its totals line, an empty line or has no date to count.
        total = next(row for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8")))
                     if row and row[0] == "Total")
        assert f.accepted_pence == int(Decimal(total[4]) * 100)
        reasons = _refused(con).values()
        assert all(any(w in r for w in ("totals line", "empty line", "date is blank"))
                   for r in reasons), reasons
        return
    rows, pence = _independent_total(path, mapping.columns()["date"],
                                     mapping.columns()["amount"])
    assert (f.rows_accepted, f.accepted_pence) == (rows, pence)
    assert f.rows_quarantined == f.rows_read - rows


def test_a_build_reports_a_repeated_invoice_number_as_nothing_wrong(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(REAL[MANCHESTER], encoding="utf-8")
    result = build.build(tmp_path / "home",
                         build.BuildInputs(spend=(MANCHESTER,), mapping=mapping))
    assert not [n for n in result.notes if "duplicate transaction id" in n.lower()
                or "duplicate unique key" in n.lower()]
    # Lines repeating an earlier line in every mapped field are listed, counted by hand here.
    columns = load_mapping(mapping).columns()
    fields, amount = list(columns.values()), columns["amount"]
    seen, repeats = set(), []
    for row in csv.DictReader(io.StringIO(MANCHESTER.read_text(encoding="utf-8-sig"))):
        key = tuple(row[c].strip() for c in fields)
        if key in seen and row[amount].strip():
            repeats.append(int(Decimal(row[amount]) * 100))
        seen.add(key)
    with store.connect(paths.db_path(tmp_path / "home")) as con:
        assert con.execute("select count(*) from spend_quarantine").fetchone()[0] == 0
        listed = con.execute("select count(*), sum(amount_pence) from possible_duplicates"
                             ).fetchone()
    assert repeats and listed == (len(repeats), sum(repeats))
    assert [n for n in result.notes if f"{len(repeats)} accepted lines" in n]
