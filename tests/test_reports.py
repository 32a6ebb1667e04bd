"""Officer exports: the XLSX workbook and PDF summary equal the store and the CSV to the penny,
carry the licences and the data label, and never let a payee or a name run as a formula."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import duckdb
import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from placespend import capital, export, money, reads, reports, store
from placespend.cli import app
from placespend.demo import DEMO_LABEL
from placespend.errors import PlacespendError
from placespend.paths import db_path

YEAR = "2024-25"
HOSTILE_PAYEES = ['=HYPERLINK("http://x")', "+cmd", "@SUM(A1)", "-2+3", "\tTAB LTD"]
HOSTILE_ESTATE = "=cmd|' /C calc'!A0 <b>Estate</b>"


@pytest.fixture(scope="module")
def home(demo_home_copy):
    """A demo store where a few of Hilgrove's payment lines and one estate's name are hostile."""
    home = demo_home_copy("reports")  # changed below
    with store.connect(db_path(home)) as con:
        hilgrove = reads.resolve_estate(con, "Hilgrove")
        lines = reads.source_lines(con, hilgrove, "caretaking", YEAR)
        chalcots = reads.resolve_estate(con, "Chalcots")
    named = lines[lines["payee"] != "REDACTED"].head(len(HOSTILE_PAYEES))
    rw = duckdb.connect(str(db_path(home)))
    for (file, row), payee in zip(named[["source_file", "source_row"]].itertuples(index=False),
                                  HOSTILE_PAYEES, strict=True):
        rw.execute("update payments set payee = ? where source_file = ? and source_row = ?",
                   [payee, file, int(row)])
    rw.execute("update estates set name = ? where estate_id = ?", [HOSTILE_ESTATE, chalcots])
    rw.close()
    return home


@pytest.fixture(scope="module")
def con(home):
    connection = store.connect(db_path(home))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def hilgrove(con) -> str:
    return reads.resolve_estate(con, "Hilgrove")


@pytest.fixture(scope="module")
def workbook_bytes(con, hilgrove) -> bytes:
    return reports.estate_xlsx(con, hilgrove, YEAR)


def _load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data), read_only=True)


@pytest.fixture(scope="module")
def workbook(workbook_bytes):
    return _load(workbook_bytes)


@pytest.fixture(scope="module")
def source_sheet(workbook) -> tuple[pd.DataFrame, dict[str, str]]:
    """The source lines sheet read once: its values, and each payee's cell type."""
    rows = list(workbook["source lines"].iter_rows())
    header = [c.value for c in rows[0]]
    payee = header.index("payee")
    types = {row[payee].value: row[payee].data_type for row in rows[1:]}
    frame = pd.DataFrame([[c.value for c in row] for row in rows[1:]], columns=header)
    return frame, types


def _frame(sheet) -> pd.DataFrame:
    rows = list(sheet.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def _pence(values) -> int:
    """Sum of pound amounts read back from the workbook, in exact pence."""
    return int(sum(Decimal(str(v)) for v in values) * 100)


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# ---- the workbook -----------------------------------------------------------------------------


def test_workbook_has_the_six_sheets_in_order(workbook):
    assert workbook.sheetnames == ["summary", "by service", "source lines", "method",
                                   "reconciliation", "capital and services"]
    assert tuple(workbook.sheetnames) == reports.SHEETS


@pytest.mark.parametrize("year", [YEAR, None])
def test_by_service_sums_to_the_estate_total_to_the_penny(con, hilgrove, workbook, year):
    book = workbook if year == YEAR else _load(reports.estate_xlsx(con, hilgrove, year))
    rows = _frame(book["by service"])
    totals = reads.estate_totals(con, year).set_index("estate_id").loc[hilgrove]
    assert _pence(rows["amount_gbp"]) == int(totals["total_pence"]) > 0
    # the estate's interval is narrower than its lines' lows and highs added up
    assert _pence(rows["low_gbp"]) < int(totals["low_pence"]) < int(totals["total_pence"])
    assert int(totals["total_pence"]) < int(totals["high_pence"]) < _pence(rows["high_gbp"])
    summary = dict(book["summary"].iter_rows(min_row=2, values_only=True))
    assert _pence([summary["total_gbp"]]) == int(totals["total_pence"])
    assert summary["financial_year"] == (year or "all years")


def test_workbook_names_the_wards_and_its_lines_add_up_to_the_total(con, hilgrove, workbook):
    summary = dict(workbook["summary"].iter_rows(min_row=2, values_only=True))
    names = reads.ward_names(con)
    assert summary["ward_names"] == "; ".join(names[c] for c in summary["ward_codes"].split(";"))
    lines = _frame(workbook["source lines"])
    total = reads.estate_totals(con, YEAR).set_index("estate_id").loc[hilgrove, "total_pence"]
    assert _pence(lines["estate_share_gbp"]) == int(total)


def test_capital_sheet_has_capital_and_revenue_adding_up_for_every_year(con, hilgrove,
                                                                        workbook):
    rows = list(workbook["capital and services"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r and r[0] == "financial_year")
    years = {}
    for r in rows[at + 1:]:
        if not r or r[0] is None:
            break
        years[r[0]] = (Decimal(str(r[1])), Decimal(str(r[2])))
    totals = capital.capital_totals(con)
    mine = totals[totals["estate_id"] == hilgrove].set_index("financial_year")
    assert set(years) == set(mine.index) and len(years) >= 2
    for year, (cap, rev) in years.items():
        assert cap == Decimal(int(mine.loc[year, "capital_pence"])).scaleb(-2)
        assert cap + rev == Decimal(int(mine.loc[year, "total_pence"])).scaleb(-2)
    assert "SYNTHETIC DEMO DATA" in rows[0][0]


def test_by_service_rows_equal_the_csv_export(con, hilgrove, workbook):
    sheet = _frame(workbook["by service"])
    csv_rows = pd.read_csv(
        io.BytesIO(export.csv_bytes(export.export_table(reads.estate_rows(con, hilgrove, YEAR),
                                                        DEMO_LABEL))),
        dtype=str, keep_default_na=False,
    )
    assert list(sheet.columns) == list(csv_rows.columns)
    for col in ("amount_gbp", "low_gbp", "high_gbp"):
        assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in sheet[col]] == [
            Decimal(v) for v in csv_rows[col]]
    assert list(sheet["service"]) == list(csv_rows["service"])
    assert set(sheet["data"]) == {DEMO_LABEL}


def test_source_lines_are_every_line_with_payees_as_published(con, hilgrove, source_sheet):
    sheet, _ = source_sheet
    lines = reads.source_lines(con, hilgrove, None, YEAR)
    assert len(sheet) == len(lines)
    assert _pence(sheet["line_gbp"]) == int(lines["line_pence"].sum())
    assert "REDACTED" in set(sheet["payee"])
    assert set(HOSTILE_PAYEES[:3]) <= set(sheet["payee"])


def test_reconciliation_sheet_shows_zero_differences(workbook):
    rows = list(workbook["reconciliation"].iter_rows(values_only=True))
    figures = {r[0]: r[1] for r in rows[1:] if r and r[0] and r[1] is not None}
    assert figures["difference_gbp"] == 0 and figures["ok"] is True
    start = next(i for i, r in enumerate(rows) if r and r[0] == "group_id")
    groups = pd.DataFrame(rows[start + 1:], columns=rows[start])
    assert len(groups) > 0 and (groups["difference_gbp"] == 0).all()


def test_method_sheet_carries_caveats_keys_and_licences(workbook):
    notes = " ".join(str(v) for row in workbook["method"].iter_rows(values_only=True)
                     for v in row if v)
    assert "Apportioned estimate" in notes
    assert "key council_households" in notes
    assert "Contains OS data © Crown copyright and database right 2022" in notes
    assert "© OpenStreetMap contributors" in notes


def test_no_cell_in_the_workbook_is_a_formula(workbook_bytes):
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_hostile_payees_are_plain_string_cells(source_sheet):
    _, types = source_sheet
    for payee in HOSTILE_PAYEES[:4]:
        assert types[payee] == "s", payee


def test_hostile_estate_name_stays_text_everywhere(con):
    estate = reads.resolve_estate(con, "calc")
    book = _load(reports.estate_xlsx(con, estate, YEAR))
    summary = dict(book["summary"].iter_rows(min_row=2, values_only=True))
    assert summary["estate_name"] == HOSTILE_ESTATE
    assert _pdf_text(reports.estate_pdf(con, estate, YEAR)).count("<b>Estate</b>") >= 1
    rows = export.export_table(reads.estate_rows(con, estate, YEAR), DEMO_LABEL)
    assert set(rows["estate_name"]) == {"'" + HOSTILE_ESTATE}


# ---- the PDF ----------------------------------------------------------------------------------


def test_pdf_names_the_estate_the_data_and_the_licences(con, hilgrove):
    pdf = reports.estate_pdf(con, hilgrove, YEAR)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    name = con.execute("select name from estates where estate_id = ?", [hilgrove]).fetchone()[0]
    assert name in text
    assert "SYNTHETIC DEMO DATA" in text
    assert "Open Government Licence v3.0" in text
    assert "Contains National Statistics data © Crown copyright and database right 2011" in text
    assert "Contains OS data © Crown copyright and database right 2022" in text
    assert "© OpenStreetMap contributors" in text
    total = reads.estate_totals(con, YEAR).set_index("estate_id").loc[hilgrove, "total_pence"]
    assert f"£{Decimal(money.gbp(int(total))):,}" in text


def test_pdf_names_the_wards_and_speaks_plain_words(con, hilgrove):
    text = _pdf_text(reports.estate_pdf(con, hilgrove, YEAR))
    codes = con.execute("select ward_codes from estates where estate_id = ?",
                        [hilgrove]).fetchone()[0].split(";")
    names = reads.ward_names(con)
    flat = " ".join(text.split())
    for code in codes:
        assert f"{names[code]} ({code})" in flat
    for formula in ("floor(", "base_t", "|T|", " x w_t", "W ="):
        assert formula not in flat, formula
    assert "docs/METHOD.md" in flat  # where the formula is


def test_pdf_for_all_years_and_an_unknown_estate(con, hilgrove):
    assert _pdf_text(reports.estate_pdf(con, hilgrove, None)).count("2023-24") >= 1
    with pytest.raises(PlacespendError, match="No estate"):
        reports.estate_pdf(con, "no-such-estate", YEAR)
    with pytest.raises(PlacespendError, match="No estate"):
        reports.estate_xlsx(con, "no-such-estate", YEAR)


# ---- CSV neutralisation and file names --------------------------------------------------------


def test_csv_neutralises_formulas_in_text_but_not_amounts(tmp_path):
    frame = pd.DataFrame({"payee": [*HOSTILE_PAYEES, "\rCR", "Plain Ltd"],
                          "amount_gbp": ["-12.50"] * 7})
    path = export.write_csv(frame, tmp_path / "x.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back["payee"]) == ["'" + p for p in HOSTILE_PAYEES] + ["'\rCR", "Plain Ltd"]
    assert set(back["amount_gbp"]) == {"-12.50"}
    assert export.neutralise(export.neutralise(frame)).equals(export.neutralise(frame))


@pytest.mark.parametrize(
    "text", ["../../etc/passwd", "..", "/abs/path", "a\\b", "C:\\x", "name with spaces<>|*?",
             "\x00nul", "é-estate"],
)
def test_file_names_never_leave_the_folder(tmp_path, text):
    part = export.safe_filename(text)
    assert part and set(part) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
    assert not part.startswith(".")
    path = tmp_path / f"{export.export_stem(DEMO_LABEL, text, text)}.csv"
    assert path.resolve().parent == tmp_path.resolve()


def test_export_stem_prefixes_demo_files():
    assert export.export_stem(DEMO_LABEL, "e/1", YEAR) == "SYNTHETIC_DEMO_placespend_e_1_2024-25"
    assert export.export_stem("user-supplied spend", None, None) == (
        "placespend_all_estates_all_years")


# ---- the command ------------------------------------------------------------------------------

runner = CliRunner()


def _export(home, out, *args: str):
    return runner.invoke(app, ["export", "--home", str(home), "--out", str(out), *args],
                         catch_exceptions=False)


def test_export_of_one_estate_writes_csv_geojson_xlsx_and_pdf_by_default(home, tmp_path):
    result = _export(home, tmp_path, "--estate", "Hilgrove", "--year", YEAR)
    assert result.exit_code == 0
    suffixes = sorted(p.suffix for p in tmp_path.iterdir())
    assert suffixes == [".csv", ".geojson", ".pdf", ".xlsx"]
    assert all(p.name.startswith("SYNTHETIC_DEMO_placespend_") for p in tmp_path.iterdir())
    (pdf,) = tmp_path.glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("fmt", "estate", "suffixes"),
    [
        ("pdf", "Hilgrove", [".pdf"]),
        ("csv,geojson", "Hilgrove", [".csv", ".geojson"]),
        ("both", None, [".csv", ".geojson"]),
        (None, None, [".csv", ".geojson"]),
    ],
)
def test_export_formats(home, tmp_path, fmt, estate, suffixes):
    args = ["--year", YEAR]
    args += ["--format", fmt] if fmt else []
    args += ["--estate", estate] if estate else []
    assert _export(home, tmp_path, *args).exit_code == 0
    assert sorted(p.suffix for p in tmp_path.iterdir()) == suffixes


@pytest.mark.parametrize(("fmt", "message"), [("pdf", "--estate"), ("docx", "--format")])
def test_export_format_errors_are_user_errors(home, tmp_path, fmt, message):
    with pytest.raises(PlacespendError, match=message):
        _export(home, tmp_path, "--format", fmt)


def test_outline_draws_polygons_and_survives_an_empty_geometry():
    from shapely import MultiPolygon, Polygon, box

    from placespend._pdf import Document

    doc = Document("t", "user data", is_demo=False)
    ring = box(0, 0, 300, 200).difference(box(100, 50, 150, 100))
    assert isinstance(ring, Polygon) and len(ring.interiors) == 1
    right = doc.outline(MultiPolygon([ring, box(400, 0, 450, 50)]), 50, "two parts, a hole")
    assert right == pytest.approx(doc.pdf.l_margin + 50)
    doc.outline(Polygon(), 50, "empty")
    assert doc.output().startswith(b"%PDF")


def test_method_sheet_scores_each_key_only_against_what_it_stands_for(workbook):
    notes = {str(r[0]): str(r[1]) for r in workbook["method"].iter_rows(values_only=True)
             if r[0] and str(r[0]).startswith("key ")}
    council = [n for t, n in notes.items() if t == "key council_households"]
    assert council and all("is the count the service stands for" in n for n in council)
    assert not any("population counts" in n for n in notes.values())
    for n in notes.values():
        if "stands in for" in n:
            key, quantity = re.match(r"key (\w+) stands in for ([\w ]+):", n).groups()
            assert key != quantity.replace(" ", "_")
