"""Residents' priorities: the CSV checked row by row (every bad-row class named with its file and
line), set beside the estate's spend (shares that match the store), across estates, kept with
the data set and carried into the estate XLSX and PDF."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from placespend import priorities, reads, reports, store
from placespend.cli import app
from placespend.errors import InputFileError
from placespend.paths import db_path

YEAR = "2024-25"
HEADER = "estate,priority,rank,score,respondents,source,date\n"
GOOD = "Whittington Estate,caretaking,1,62,140,Door-to-door survey,2024-06-30\n"
runner = CliRunner()


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("priorities_home")  # priorities are kept into it


@pytest.fixture(scope="module")
def con(home):
    connection = store.connect(db_path(home))
    yield connection
    connection.close()


def _write(tmp_path, text: str | bytes, name: str = "survey.csv"):
    path = tmp_path / name
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


def _problems(tmp_path, con, body: str) -> str:
    with pytest.raises(InputFileError) as caught:
        priorities.read_csv(_write(tmp_path, HEADER + body), con)
    return str(caught.value)


# ---- a good file --------------------------------------------------------------------------------


def test_the_demo_file_reads_whole_and_says_it_is_synthetic(con):
    found = priorities.read_csv(priorities.shipped_file("demo"), con)
    assert "SYNTHETIC" in priorities.shipped_file("demo").name
    assert len(found.rows) == 19 and found.rows["synthetic"].all() and found.is_synthetic
    # an alias finds the same estate the resolver does, and ids and names both name services
    hilgrove = reads.resolve_estate(con, "Hilgrove")
    mine = found.for_estate(hilgrove).rows
    assert len(mine) == 6
    assert set(mine["priority_id"]) >= {"green_space", "youth_services", "community_safety"}
    assert mine.set_index("priority_id").loc["net_zero", "kind"] == "outcome"
    # ranks come from the scores where none is given, equal scores sharing a rank
    chalcots = found.for_estate(reads.resolve_estate(con, "Chalcots")).rows
    assert sorted(chalcots["rank"]) == [1, 2, 2]
    assert chalcots.set_index("priority_id").loc["community_safety", "rank"] == 1


def test_the_template_is_only_a_header_and_is_refused_as_empty_of_rows(con):
    text = priorities.shipped_file("template").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if not line.startswith("#")]
    assert header == [",".join(priorities.COLUMNS)]
    with pytest.raises(InputFileError, match="no data rows"):
        priorities.read_csv(priorities.shipped_file("template"), con)


def test_a_good_file_with_commas_quotes_a_bom_and_a_uk_date(tmp_path, con):
    text = ("\ufeff" + HEADER + GOOD
            + '"whittington estate","Green space and grounds maintenance",,"48%","1,200",'
              '"Survey, online",30/06/2024\n')
    found = priorities.read_csv(_write(tmp_path, text), con)
    rows = found.rows.set_index("priority_id")
    assert rows.loc["green_space", "respondents"] == 1200
    assert rows.loc["green_space", "date"] == "2024-06-30"
    assert rows.loc["green_space", "source"] == "Survey, online"
    assert not found.is_synthetic


# ---- every bad-row class ------------------------------------------------------------------------

BAD_ROWS = [
    ("Whitington Estate,caretaking,1,,10,S,2024-06-30", "Did you mean: Whittington Estate"),
    ("Mortimer,caretaking,1,,10,S,2024-06-30", "matches 2 estates"),
    (",caretaking,1,,10,S,2024-06-30", "no estate"),
    ("Whittington Estate,Caretaking and cleaning,1,,10,S,2024-06-30",
     "Did you mean: Caretaking and estate cleaning"),
    ("Whittington Estate,,1,,10,S,2024-06-30", "no priority"),
    ("Whittington Estate,caretaking,,,10,S,2024-06-30", "neither rank nor score"),
    ("Whittington Estate,caretaking,first,,10,S,2024-06-30", "rank 'first' is not a whole"),
    ("Whittington Estate,caretaking,0,,10,S,2024-06-30", "rank '0' is not a whole"),
    ("Whittington Estate,caretaking,1.5,,10,S,2024-06-30", "rank '1.5' is not a whole"),
    ("Whittington Estate,caretaking,,abc,10,S,2024-06-30", "score 'abc' is not a percentage"),
    ("Whittington Estate,caretaking,,150,10,S,2024-06-30", "score '150' is not a percentage"),
    ("Whittington Estate,caretaking,1,,,S,2024-06-30", "no respondents"),
    ("Whittington Estate,caretaking,1,,0,S,2024-06-30", "respondents '0' is not a whole"),
    ("Whittington Estate,caretaking,1,,many,S,2024-06-30", "respondents 'many'"),
    ("Whittington Estate,caretaking,1,,10,,2024-06-30", "no source"),
    ("Whittington Estate,caretaking,1,,10,S,", "no date"),
    ("Whittington Estate,caretaking,1,,10,S,31/02/2024", "date '31/02/2024' is not a date"),
    ("Whittington Estate,caretaking,1,,10,S,next week", "date 'next week' is not a date"),
    ("Whittington Estate,caretaking,1,,10,S,1985-01-01", "date '1985-01-01' is not a date"),
    ("Whittington Estate,caretaking,1,,10,S", "6 fields where the header has 7"),
]


@pytest.mark.parametrize(("row", "expected"), BAD_ROWS, ids=[e for _, e in BAD_ROWS])
def test_each_bad_row_is_named_with_file_line_and_fix(tmp_path, con, row, expected):
    message = _problems(tmp_path, con, GOOD + row + "\n")
    assert "survey.csv, line 3: " in message and expected in message
    assert "line 2" not in message  # the good row above it is not blamed


def test_a_repeated_row_names_the_line_it_repeats(tmp_path, con):
    message = _problems(tmp_path, con, GOOD + GOOD.replace("Whittington Estate", "whittington"))
    assert "survey.csv, line 3: repeats line 2" in message


def test_lines_are_counted_as_an_editor_shows_them_past_a_quoted_line_break(tmp_path, con):
    body = GOOD.replace("Door-to-door survey", '"Door to door,\nsecond round"')
    message = _problems(tmp_path, con, body + "Nowhere at all,caretaking,1,,10,S,2024-06-30\n")
    assert "survey.csv, line 4: No estate matches 'Nowhere at all'" in message


def test_a_bad_data_label_is_refused(tmp_path, con):
    with pytest.raises(InputFileError, match="line 2: data 'made up'"):
        priorities.read_csv(_write(tmp_path, HEADER.replace("\n", ",data\n")
                                   + GOOD.replace("\n", ",made up\n")), con)


def test_every_problem_is_listed_at_once(tmp_path, con):
    body = "".join(row + "\n" for row, _ in BAD_ROWS[:5])
    message = _problems(tmp_path, con, body)
    assert "(5 problems)" in message
    assert all(f"line {n}:" in message for n in range(2, 7))


@pytest.mark.parametrize(("text", "expected"), [
    ("estate,priority,rank,respondents,source\n", "missing column(s) date"),
    ("estate,priority,respondents,source,date\n", "no rank or score column"),
    ("estate,priority,rank,respondents,source,date,votes\n", "unknown column(s) 'votes'"),
    ("estate,priority,rank,rank,respondents,source,date\n", "given twice: rank"),
    ("# a comment\n", "line 2 (the header): missing column(s) estate, priority"),
])
def test_a_bad_header_is_refused_naming_the_columns(tmp_path, con, text, expected):
    with pytest.raises(InputFileError, match="survey.csv") as caught:
        priorities.read_csv(_write(tmp_path, text + GOOD), con)
    assert expected in str(caught.value)


def test_a_file_of_comments_only_has_no_header(tmp_path, con):
    with pytest.raises(InputFileError, match="survey.csv: no header row"):
        priorities.read_csv(_write(tmp_path, "# a comment\n\n"), con)


def test_files_that_cannot_be_read_say_what_to_do(tmp_path, con):
    with pytest.raises(InputFileError, match="the file is empty"):
        priorities.read_csv(_write(tmp_path, b""), con)
    with pytest.raises(InputFileError, match="CSV UTF-8"):
        priorities.read_csv(_write(tmp_path, (HEADER + GOOD).encode("cp1252") + b"\xe9\n"), con)
    with pytest.raises(InputFileError, match="no such file"):
        priorities.read_csv(tmp_path / "missing.csv", con)
    with pytest.raises(InputFileError, match="a .csv or a pabulib .pb"):
        priorities.read_file(_write(tmp_path, HEADER + GOOD, "survey.xlsx"), con)


def test_text_from_the_file_is_kept_as_data(tmp_path, con):
    hostile = "[click](http://evil.example) <img src=x> :red[x]"
    found = priorities.read_csv(_write(tmp_path, HEADER + GOOD.replace(
        "Door-to-door survey", f'"{hostile}"')), con)
    assert found.rows["source"].iloc[0] == hostile
    fig = priorities.chart(priorities.compare(con, found, found.rows["estate_id"].iloc[0],
                                              YEAR))
    assert "<img" not in fig.layout.title.text and "&lt;img" in fig.layout.title.text


# ---- beside the spend ---------------------------------------------------------------------------


def test_shares_match_the_store_and_the_words_say_them(con):
    found = priorities.read_csv(priorities.shipped_file("demo"), con)
    hilgrove = reads.resolve_estate(con, "Hilgrove")
    comparison = priorities.compare(con, found, hilgrove, YEAR)
    rows = reads.estate_rows(con, hilgrove, YEAR)
    total = int(rows["amount_pence"].sum())
    by_service = rows.groupby("service_id")["amount_pence"].sum()
    table = comparison.table.set_index("priority_id")
    assert comparison.estate_total_pence == total > 0
    green = int(by_service.get("green_space", 0))
    assert table.loc["green_space", "spend_pence"] == green
    assert table.loc["green_space", "share"] == pytest.approx(green / total)
    assert table.loc["green_space", "said"] == (
        f"ranked 1st by 62% of 140 respondents; {green / total:.1%} of the estate's spend")
    serving = priorities.Vocabulary.from_store(con).serving["net_zero"]
    assert serving and table.loc["net_zero", "spend_pence"] == sum(
        int(by_service.get(s, 0)) for s in serving)
    ranks = comparison.table["spend_rank"].astype(int)
    assert sorted(ranks) == list(range(1, len(ranks) + 1))
    top = comparison.table.iloc[0]
    assert comparison.gaps[0].count(str(top["priority"])) == 1
    assert "residents' top priority" in comparison.gaps[0]


def test_across_estates_lists_each_estates_top_priority_smallest_share_first(con):
    found = priorities.read_csv(priorities.shipped_file("demo"), con)
    table = priorities.across_estates(con, found, YEAR)
    assert len(table) == found.rows["estate_id"].nunique() == 5
    assert list(table["share"]) == sorted(table["share"])
    assert table["said"].str.startswith("ranked 1st").all()
    maitland = table.set_index("estate_name").loc["Maitland Park Estate"]
    assert maitland["priority"] == "Caretaking and estate cleaning"
    display = priorities.across_display(table)
    assert (display["Data"] == priorities.SYNTHETIC).all()


# ---- kept with the data set, in the exports -----------------------------------------------------


def test_import_keeps_the_file_and_the_estate_exports_carry_it(home, con, tmp_path):
    demo = priorities.shipped_file("demo")
    result = runner.invoke(app, ["priorities", "import", str(demo), "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC DEMO DATA" in result.output
    listed = runner.invoke(app, ["priorities", "list", "--home", str(home)],
                           env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "Whittington" in listed.output
    assert (home / "priorities" / demo.name).is_file()
    hilgrove = reads.resolve_estate(con, "Hilgrove")
    book = openpyxl.load_workbook(io.BytesIO(reports.estate_xlsx(con, hilgrove, YEAR)))
    assert book.sheetnames == [*reports.SHEETS, reports.PRIORITIES_SHEET]
    cells = [c for row in book[reports.PRIORITIES_SHEET].iter_rows(values_only=True)
             for c in row if c]
    assert "SYNTHETIC DEMO DATA" in cells and any(
        str(c).startswith("ranked 1st by 62% of 140 respondents") for c in cells)
    pdf = PdfReader(io.BytesIO(reports.estate_pdf(con, hilgrove, YEAR)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Residents' priorities beside the spend" in text and "ranked 1st by 62%" in text
    # an estate without priorities gets the usual workbook
    other = reads.resolve_estate(con, "Holly Lodge")
    plain = openpyxl.load_workbook(io.BytesIO(reports.estate_xlsx(con, other, YEAR)))
    assert plain.sheetnames == list(reports.SHEETS)
    across = runner.invoke(app, ["priorities", "across", "--home", str(home), "--year", YEAR],
                           env={"COLUMNS": "200"})
    assert across.exit_code == 0 and "Maitland Park Estate" in across.output
    removed = runner.invoke(app, ["priorities", "remove", demo.name, "--home", str(home)])
    assert removed.exit_code == 0 and not (home / "priorities" / demo.name).exists()


def test_check_lists_without_keeping_and_a_bad_file_exits_2(home, tmp_path):
    before = priorities.PriorityBook(db_path(home)).files()
    good = runner.invoke(app, ["priorities", "check", str(priorities.shipped_file("demo")),
                               "--home", str(home), "--year", YEAR])
    assert good.exit_code == 0 and "all rows valid" in good.output
    assert priorities.PriorityBook(db_path(home)).files() == before
    bad = _write(tmp_path, HEADER + "Nowhere at all,caretaking,1,,10,S,2024-06-30\n")
    result = runner.invoke(app, ["priorities", "check", str(bad), "--home", str(home)])
    assert result.exit_code != 0 and "survey.csv, line 2" in str(result.exception)


def test_template_command_writes_the_shipped_files(tmp_path):
    out = tmp_path / "t.csv"
    assert runner.invoke(app, ["priorities", "template", "--out", str(out)]).exit_code == 0
    assert out.read_bytes() == priorities.shipped_file("template").read_bytes()
    demo = tmp_path / "d.csv"
    result = runner.invoke(app, ["priorities", "template", "--demo", "--out", str(demo)])
    assert "SYNTHETIC DEMO DATA" in result.output
    assert "SYNTHETIC DEMO DATA" in demo.read_text(encoding="utf-8")
