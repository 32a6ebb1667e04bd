"""Column mappings guessed from a file's header and values (placespend.suggest), on real
councils' files and on hand-made ones."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from _spend_fixtures import COUNCIL_COLUMNS, council_file

from placespend import build, ingest, paths, store, suggest
from placespend.errors import InputFileError, UnknownLayoutError

DATA = Path(__file__).parent / "data"
MANCHESTER = DATA / "real" / "manchester_2022-05.csv"
OXFORD = DATA / "real" / "oxford_2017-10-12.csv"
LAMBETH = DATA / "lambeth_2012-06_invoices_over_500.csv"

# The columns each file holds for each field, read off the files by hand.
TRUTH = {
    MANCHESTER: {"date": "Invoice Payment Date", "amount": "Net Amount",
                 "payee": "Supplier Name", "purpose": "Expenses Type",
                 "org_unit": "Service Area"},
    OXFORD: {"date": "Paid Date", "amount": "Amount", "payee": "Supplier Name",
             "purpose": "Expenditure Category", "org_unit": "Service Area",
             "capital_or_revenue": "Type of Expenditure"},
    LAMBETH: {"date": "Invoice Creation Date", "amount": "Invoice Nett Amount",
              "payee": "Supplier Name", "purpose": "Subj Description",
              "org_unit": "Department"},
}


@pytest.mark.parametrize("path", list(TRUTH), ids=lambda p: p.stem)
def test_real_files_get_the_right_column_for_every_field(path):
    guess = suggest.suggest_mapping(path)
    assert {f: g.column for f, g in guess.guesses.items() if f in TRUTH[path]} == TRUTH[path]
    assert not guess.missing


def test_an_invoice_number_repeated_over_lines_is_mapped_but_not_offered_as_a_unique_key():
    guess = suggest.suggest_mapping(MANCHESTER)
    assert guess.guesses["transaction_id"].column == "Transaction Number"
    assert "unique" not in guess.mapping()
    assert any("'Transaction Number' repeats" in n and "not a unique key" in n
               for n in guess.notes)


def _file_total_pence(path: Path, fields: dict[str, str]) -> tuple[int, int]:
    """Rows with an amount and a date, and their pence, read with the standard library's CSV
    reader from the line that holds the header (a preamble above it is skipped)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        text = f.read().replace("\u00ef\u00bb\u00bf", "")
    lines = list(csv.reader(io.StringIO(text)))
    start = next(i for i, row in enumerate(lines) if fields["amount"] in row)
    header = lines[start]
    at, on = header.index(fields["amount"]), header.index(fields["date"])
    rows = [_unfused(r, len(header)) for r in lines[start + 1:]]
    paid = [r for r in rows if len(r) > max(at, on) and r[at].strip() and r[on].strip()]
    return len(paid), sum(int(Decimal(r[at].replace(",", "")) * 100) for r in paid)


DMY = re.compile(r"\d{2}/\d{2}/\d{4}")


def _unfused(row: list[str], width: int) -> list[str]:
    """Lambeth's export drops commas around some dates ('25/06/2012750' is the date and £750;
    'Academy2129/05/2012740' the payee Academy21, the date and £740): a short row's field that
    holds a date run into its neighbours is split around the date."""
    if len(row) >= width:
        return row
    for i, cell in enumerate(row):
        m = DMY.search(cell)
        if m and m.group() != cell:
            parts = [p for p in (cell[:m.start()], m.group(), cell[m.end():]) if p]
            if len(row) - 1 + len(parts) == width:
                return [*row[:i], *parts, *row[i + 1:]]
    return row


@pytest.mark.parametrize("path", [MANCHESTER, OXFORD, LAMBETH], ids=lambda p: p.stem)
def test_a_build_with_the_suggested_mapping_accepts_every_row(path, tmp_path):
    guess = suggest.suggest_mapping(path)
    assert "date_formats" not in guess.mapping() and "unique" not in guess.mapping()
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(guess.yaml(), encoding="utf-8")
    home = tmp_path / "home"
    build.build(home, build.BuildInputs(spend=(path,), mapping=mapping))
    with store.connect(paths.db_path(home)) as con:
        read, accepted, pence = con.execute(
            "select sum(rows_read), sum(rows_accepted), sum(accepted_pence) "
            "from ingest_summary").fetchone()
    rows, total = _file_total_pence(path, TRUTH[path])
    assert accepted == rows
    assert read >= accepted
    assert pence == total
    column = TRUTH[path].get("capital_or_revenue")
    with store.connect(paths.db_path(home)) as con:
        said = dict(con.execute("select capital_or_revenue, count(*) from spend_lines "
                                "where capital_or_revenue_from = 'file' group by 1").fetchall())
    if column is None:
        assert said == {}
    else:
        with path.open(encoding="utf-8-sig", newline="") as f:
            kinds = [r[column].strip().lower() for r in csv.DictReader(f)]
        assert said == {k: kinds.count(k) for k in set(kinds)}  # 214 capital on Oxford's


def test_a_capital_or_revenue_column_is_guessed_only_from_values_that_read_so(tmp_path):
    rows = "".join(f"Housing,Repairs,Acme Ltd {i},0{i}/08/2022,{i}00.50,{k},{k}x\n"
                   for i, k in zip(range(1, 9), "CRCRCRRR", strict=True))
    path = _write(tmp_path, "Directorate,Expense Type,Supplier,Date Paid,Value,Type,Flag\n" + rows)
    guess = suggest.suggest_mapping(path)
    assert guess.guesses["capital_or_revenue"].column == "Type"
    assert [suggest.capital_or_revenue(v) for v in ("Capital", " CAP ", "c", "Rev.", "OPEX",
                                                     "other", "")] == [
        "capital", "capital", "capital", "revenue", "revenue", None, None]


def _write(tmp_path: Path, text: str, name: str = "council.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_preamble_and_a_trailing_junk_column_do_not_hide_the_header(tmp_path):
    rows = "".join(f"Housing,Repairs,Acme Ltd {i},0{i}/08/2022,{i}00.50,#N/A\n"
                   for i in range(1, 9))
    path = _write(tmp_path, "Payments over £500\nRun on 03/09/2022,,,\n\n"
                  "Directorate,Expense Type,Supplier,Date Paid,Value,\n" + rows)
    guess = suggest.suggest_mapping(path)
    assert guess.header_line == 4
    assert {f: g.column for f, g in guess.guesses.items()} == {
        "org_unit": "Directorate", "purpose": "Expense Type", "payee": "Supplier",
        "date": "Date Paid", "amount": "Value"}
    mapping = ingest.load_mapping(_write(tmp_path, guess.yaml(), "m.yaml"))
    assert mapping.columns()["amount"] == "Value"


@pytest.mark.parametrize(("values", "formats"), [
    (["2022-08-02", "2022-08-31"], ("%Y-%m-%d",)),
    (["02/08/2022 00:00:00", "31/08/2022 00:00:00"], ("%d/%m/%Y %H:%M:%S",)),
    (["02-Aug-2022", "31-Aug-2022"], ("%d-%b-%Y",)),
    (["02/08/22", "31/08/22"], ("%d/%m/%y",)),
    (["02/08/2022", "2022-08-31"], ("%d/%m/%Y", "%Y-%m-%d")),
    (["08/02/2022", "12/31/2022"], ("%m/%d/%Y",)),  # proven month first: all of them
    (["08/02/2022", "12/31/2022", "2022-08-31"], ("%m/%d/%Y", "%Y-%m-%d")),
])
def test_date_formats_are_found_from_the_values_day_first(values, formats):
    found, _ = suggest.date_formats(values)
    assert found == formats
    for value in values:  # every value reads with what was found
        assert any(suggest._fits(value, f) for f in found)


def test_month_first_dates_are_flagged_and_unreadable_ones_counted():
    _, note = suggest.date_formats(["12/31/2022"])
    assert "month first" in note
    formats, note = suggest.date_formats(["13/02/2022", "02/13/2022"])
    assert "only be day first (e.g. '13/02/2022')" in note and "'02/13/2022'" in note
    _, note = suggest.date_formats(["02/08/2022", "yesterday"])
    assert "fit no known format" in note and "yesterday" in note


def test_a_file_with_no_header_is_a_clear_error(tmp_path):
    with pytest.raises(InputFileError, match="no line in the first"):
        suggest.suggest_mapping(_write(tmp_path, "1,2,3\n4,5,6\n"))
    with pytest.raises(InputFileError, match="empty"):
        suggest.suggest_mapping(_write(tmp_path, ""))


def test_the_command_prints_and_writes_a_mapping_that_loads(tmp_path):
    out = tmp_path / "oxford.yaml"
    done = subprocess.run([sys.executable, "-m", "placespend", "mapping", "suggest", str(OXFORD),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "date: \"Paid Date\"" in done.stdout and "confidence" in done.stdout
    mapping = ingest.load_mapping(out)
    assert mapping.columns()["payee"] == "Supplier Name"


def test_dates_the_build_finds_itself_are_left_out_of_the_mapping(tmp_path):
    """Day-first (or proven month-first) dates need no date_formats line: the guess shows the
    formats as a comment, and the mapping it writes reads the file."""
    for name, dates in (("plain", ("02/08/22", "2022-08-03")), ("named", ("Aug 2 2022",
                        '"Sep 30, 2022"')), ("us", ("12/31/2022", "08/02/2022"))):
        path = tmp_path / f"{name}.csv"
        path.write_text("Date,Amount,Supplier\n" + "".join(
            f"{d},{i}.00,Acme {i}\n" for i, d in enumerate(dates, 1)), encoding="utf-8")
        guess = suggest.suggest_mapping(path)
        assert guess.date_formats and "date_formats" not in guess.mapping(), name
        assert "# date_formats:" in guess.yaml()
        mapping = tmp_path / f"{name}.yaml"
        mapping.write_text(guess.yaml(), encoding="utf-8")
        con = ingest.duckdb.connect()
        report = ingest.load_spend(con, [path], ingest.load_mapping(mapping))
        assert report.rows_accepted == 2, name


# ---- a build on a layout placespend does not know ---------------------------------------


def _pence(path: Path, column: str) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return sum(int(Decimal(r[column].replace(",", "")) * 100) for r in csv.DictReader(f))


def _between_the_marks(text: str) -> str:
    start = text.index(suggest.CUT_START) + len(suggest.CUT_START) + 1
    return text[start:text.index(suggest.CUT_END)]


def test_a_build_on_an_unknown_layout_stops_before_the_long_steps_with_a_mapping(tmp_path):
    path = council_file(tmp_path)
    steps: list[str] = []
    with pytest.raises(UnknownLayoutError) as caught:
        build.build(tmp_path / "home", build.BuildInputs(spend=(path,)), on_step=steps.append)
    assert steps == [build.Step.CATALOGUE]  # before boundaries, atoms or any spend is read
    message, guess = str(caught.value), caught.value.suggestion
    assert message.startswith(f"{path}: no header row") and "line 1 looks most like" in message
    assert "camden lacks" in message and "amount ('Amount GBP')" in message
    assert "lambeth lacks" in message and "payee ('Supplier Name')" in message
    assert {f: g.column for f, g in guess.guesses.items()} == COUNCIL_COLUMNS
    assert guess.yaml() in message and "confidence" in _between_the_marks(message)
    assert f"placespend mapping suggest {path} --out mapping.yaml" in message
    assert "--mapping mapping.yaml" in message


def test_the_printed_mapping_saved_as_it_is_builds_the_file(tmp_path):
    path = council_file(tmp_path)
    home = tmp_path / "home"
    done = subprocess.run([sys.executable, "-m", "placespend", "build", "--home", str(home),
                           "--spend", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert str(path) in done.stderr and "fits no layout placespend knows" in done.stderr
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(_between_the_marks(done.stderr), encoding="utf-8")
    build.build(home, build.BuildInputs(spend=(path,), mapping=mapping))
    with store.connect(paths.db_path(home)) as con:
        read, accepted, pence = con.execute(
            "select sum(rows_read), sum(rows_accepted), sum(accepted_pence) "
            "from ingest_summary").fetchone()
    assert read == accepted == 40  # the repeated voucher numbers are lines of one invoice
    assert pence == _pence(path, "Net Value")


def test_a_mapping_that_does_not_fit_is_told_what_it_lacks_and_offered_one_that_does(tmp_path):
    path = council_file(tmp_path)
    wrong = ingest.ColumnMapping(name="last-year", date="Date Paid", amount=("Amount", "Gross"),
                                 payee="Creditor Name", unique=("Line No",))
    with pytest.raises(UnknownLayoutError) as caught:
        ingest.check_spend_files([path], wrong)
    message = str(caught.value)
    assert ("does not fit the column mapping 'last-year': it lacks amount ('Amount' or "
            "'Gross'), the unique key's column 'Line No'") in message
    assert "date (" not in message and "payee (" not in message  # those it has
    assert 'amount: "Net Value"' in _between_the_marks(message)


def test_each_file_of_no_known_layout_is_named_and_one_mapping_offered(tmp_path):
    first = council_file(tmp_path)
    second = council_file(tmp_path, rows=10, name="riverside_2023-07.csv")
    with pytest.raises(UnknownLayoutError) as caught:
        ingest.check_spend_files([first, second])
    message = str(caught.value)
    assert message.startswith(f"{first}:") and "1 other file(s)" in message
    assert "'riverside_2023-07.csv'" in message and message.count(suggest.CUT_START) == 1


def test_a_file_that_does_not_look_like_spend_gets_no_suggestion(tmp_path):
    """A header whose columns hold no dates and no names is not offered a mapping to fill in:
    the error says what it saw and how to write a mapping."""
    path = _write(tmp_path, "alpha,beta,gamma\n1,2,3\n4,5,6\n")
    with pytest.raises(UnknownLayoutError) as caught:
        ingest.check_spend_files([path])
    assert caught.value.suggestion is None
    assert suggest.CUT_START not in str(caught.value) and "--mapping" in str(caught.value)
