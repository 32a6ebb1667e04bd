"""The upload page, run headless with AppTest: what an upload read is reported file by file
(a warning when more than 1% of its rows or £ was refused, with the reasons and the refused
rows to download), and a spend file of no known layout is offered a mapping to check and
build with."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from _spend_fixtures import COUNCIL_COLUMNS, COUNCIL_ROWS, council_text
from streamlit.testing.v1 import AppTest

from placespend import paths, views

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "Your own data"


@pytest.fixture(scope="module")
def home(demo_home_copy):
    folder = demo_home_copy("app_upload_home")  # uploads go into it
    before = os.environ.get(paths.HOME_ENV)
    os.environ[paths.HOME_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(paths.HOME_ENV, None)
    else:
        os.environ[paths.HOME_ENV] = before


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["page"] = PAGE
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _upload(name: str, filename: str, data: bytes) -> AppTest:
    """Upload one spend file under ``name`` and press *Check and build*."""
    at = _page()
    spend = next(u for u in at.get("file_uploader") if u.label.startswith("Spend"))
    spend.set_value([(filename, data, "text/csv")])
    next(t for t in at.text_input if t.label == "Name for this data set").set_value(name)
    next(b for b in at.button if b.label == "Check and build").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _camden_rows(home: Path, n: int) -> tuple[list[str], list[list[str]]]:
    lines = (paths.demo_dir(home) / "SYNTHETIC_DEMO_camden_spend.csv").read_text(
        encoding="utf-8").splitlines()
    return next(csv.reader([lines[0]])), [next(csv.reader([row])) for row in lines[1:n + 1]]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows([header, *rows])
    return body.getvalue().encode("utf-8")


def _summary(name: str) -> dict:
    with views.open_store(paths.uploads_dir() / name / paths.DB_FILENAME) as con:
        row = con.execute(
            "select sum(rows_read), sum(rows_accepted), sum(rows_quarantined), "
            "sum(accepted_pence), sum(quarantined_pence) from ingest_summary").fetchone()
        refused = views.quarantine_csv(con)
    keys = ("read", "accepted", "quarantined", "accepted_pence", "quarantined_pence")
    return {**dict(zip(keys, map(int, row), strict=True)), "refused_csv": refused}


def _mapping_box(at: AppTest):
    return next(t for t in at.text_area if t.label.startswith("Column mapping (YAML)"))


def _table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_an_upload_mostly_refused_is_a_warning_with_each_file_the_reasons_and_the_rows(home):
    header, rows = _camden_rows(home, 6)
    amount, date = header.index("Amount GBP"), header.index("Payment Date")
    for i, fields in enumerate(rows[1:], 1):  # keep the first row; refuse the other five
        if i <= 2:
            fields[amount] = "twelve pounds"  # no amount that can be read
        else:
            fields[date] = "31/02/2023"  # an impossible date: its amount still counts
    readable = sum(int(Decimal(r[amount]) * 100) for r in rows if r[amount] != "twelve pounds")

    at = _upload("mostly-refused", "payments.csv", _csv(header, rows))

    warnings = " ".join(w.value for w in at.warning)
    assert "and switched to it" in warnings and "5 of 6 spend rows (83.3%)" in warnings
    assert not [s for s in at.success if "switched" in s.value]
    built = _summary("mostly-refused")
    files = _table_with(at, "Rows read")
    assert files["File"].tolist() == ["payments.csv"]
    (shown,) = files.to_dict("records")
    assert (shown["Rows read"], shown["Accepted"], shown["Not accepted"]) == (6, 1, 5)
    assert round(shown["Accepted £"] * 100) == built["accepted_pence"]
    assert round(shown["Not accepted £"] * 100) == built["quarantined_pence"]
    assert built["accepted_pence"] + built["quarantined_pence"] == readable  # to the penny
    reasons = _table_with(at, "Reason")
    assert reasons["Rows"].sum() == 5 and len(reasons) == 2
    assert round(reasons["£"].sum() * 100) == built["quarantined_pence"]
    labels = [b.label for b in at.get("download_button")]
    assert "Download the rows not accepted (CSV)" in labels
    refused = list(csv.DictReader(io.StringIO(built["refused_csv"].decode("utf-8"))))
    assert len(refused) + built["accepted"] == built["read"] == 6
    assert sum(int(r["amount_pence"] or 0) for r in refused) == built["quarantined_pence"]
    assert sorted(int(r["line"]) for r in refused) == [3, 4, 5, 6, 7]


def test_a_clean_upload_is_a_success(home):
    header, rows = _camden_rows(home, 6)
    at = _upload("clean", "clean.csv", _csv(header, rows))
    assert any("and switched to it" in s.value for s in at.success)
    assert not [w for w in at.warning if "not accepted" in w.value]
    assert _summary("clean")["quarantined"] == 0
    assert _table_with(at, "Rows read")["Accepted"].tolist() == [6]


def test_a_spend_file_of_no_known_layout_is_offered_a_mapping_to_check_then_built_with_it(home):
    at = _upload("riverside", "riverside_2023-06.csv", council_text().encode("utf-8"))
    assert not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("Check the column mapping") for s in at.subheader)
    assert any("fits no layout placespend knows" in w.value for w in at.warning)
    fields = _table_with(at, "Confidence")
    found = fields[fields["Column"] != "(none found)"]
    assert dict(zip(found["Field"], found["Column"], strict=True)) == COUNCIL_COLUMNS
    assert set(fields["Needed"][fields["Column"] == "(none found)"]) <= {"optional"}
    assert found["Confidence"].between(0, 1).all()
    box = _mapping_box(at)
    reviewed = box.value
    assert 'amount: "Net Value"' in reviewed and "confidence" in reviewed
    assert not (paths.uploads_dir() / "riverside").exists()  # nothing built yet

    next(b for b in at.button if b.label == "Build with this mapping").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("and switched to it" in s.value for s in at.success)
    assert not [s for s in at.subheader if s.value.startswith("Check the column mapping")]
    built = _summary("riverside")
    assert built["read"] == built["accepted"] == COUNCIL_ROWS
    used = paths.uploads_dir() / "riverside" / "inputs" / "mapping" / "mapping.yaml"
    assert used.read_text(encoding="utf-8") == reviewed


def test_an_edited_mapping_is_the_one_built_with(home):
    at = _upload("riverside-keyed", "riverside_2023-06.csv", council_text().encode("utf-8"))
    box = _mapping_box(at)
    box.set_value(box.value + "unique: [transaction_id]\n")  # one line per voucher, says the user
    next(b for b in at.button if b.label == "Build with this mapping").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    built = _summary("riverside-keyed")
    assert (built["accepted"], built["quarantined"]) == (COUNCIL_ROWS // 2, COUNCIL_ROWS // 2)
    assert any("20 of 40 spend rows" in w.value for w in at.warning)
