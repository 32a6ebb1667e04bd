"""Whole-file fuzzing of the spend ingest: random bytes, and random rows in random encodings,
delimiters, line endings and quoting, with truncated, merged, blank and totals lines.

Whatever the file, ``load_spend`` (followed by the build's own check that a file has a usable
row) either raises a :class:`~placespend.errors.PlacespendError` that is not a
:class:`~placespend.errors.ReconciliationError` (which would mean lost money), or loads with
every row accounted for: ``rows read = accepted + quarantined``, the pence of both tables equal
the summary's, and every quarantined row has a reason. Nothing else may escape.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placespend import ingest
from placespend.errors import PlacespendError, ReconciliationError

CAMDEN_HEADER = (
    "Organisation Label,Organisation URI,Payment Date,Payment Month,Payment Year,"
    "Financial Year,Beneficiary Name,Purpose,Organisational Unit,Amount GBP,"
    "Irrecoverable VAT Amount GBP,Latest Financial Year,Latest Year,Latest Month,"
    "Unique Identifier"
).split(",")
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def load(data: bytes) -> None:
    """Load ``data`` as one spend file; check the invariant, or that the error is a user's."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        path.write_bytes(data)
        con = duckdb.connect()
        try:
            report = ingest.load_spend(con, [path])
            check_accounted_for(con, report)
            ingest.refuse_unusable_files(con, report)
        except ReconciliationError:
            raise
        except PlacespendError as exc:
            assert "fuzz.csv" in str(exc) or "Spend files" in str(exc)
        finally:
            con.close()


def check_accounted_for(con: duckdb.DuckDBPyConnection, report: ingest.IngestReport) -> None:
    (f,) = report.files
    assert f.rows_read == f.rows_accepted + f.rows_quarantined
    n_pay, pay_pence = con.execute(
        "select count(*), coalesce(sum(amount_pence), 0) from payments").fetchone()
    n_q, q_pence, no_reason, lines = con.execute(
        "select count(*), coalesce(sum(amount_pence), 0), "
        "count(*) filter (where coalesce(reason, '') = ''), count(distinct source_row) "
        "from spend_quarantine").fetchone()
    assert (n_pay, n_q) == (f.rows_accepted, f.rows_quarantined)
    assert (pay_pence, q_pence) == (f.accepted_pence, f.quarantined_pence)
    assert no_reason == 0 and lines == n_q
    distinct = con.execute(
        "select count(distinct source_row) from (select source_row from payments "
        "union all select source_row from spend_quarantine)").fetchone()[0]
    assert distinct == f.rows_read  # one editor line per row, none counted twice


# -- random bytes --------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_are_refused_cleanly(data):
    load(data)


@FUZZ
@given(body=st.binary(max_size=3000), bom=st.sampled_from([b"", b"\xef\xbb\xbf"]))
def test_random_bytes_after_a_good_header_are_accounted_for(body, bom):
    load(bom + (",".join(CAMDEN_HEADER) + "\n").encode() + body)


# -- random rows ---------------------------------------------------------------------------------

FIELD = st.one_of(
    st.text(max_size=12),
    st.text(alphabet='ab ,;|\t"\r\n*£€\x00\x1b=+-@<>', max_size=10),
    st.sampled_from(["", "Total", "REDACTED", "xxxxREDACTEDxxxx", "(1,234.56)", "£1,234.56",
                     "1.234,56", "31/02/2024", "1/6/2024", "01/06/2024", "12.345", "-0.00"]),
)
GOOD_DATE = st.dates(dt.date(2019, 1, 1), dt.date(2026, 12, 31)).map(
    lambda d: f"{d.day}/{d.month}/{d.year}")
GOOD_AMOUNT = st.one_of(st.integers(-(10**12), 10**12).map(lambda p: f"{p / 100:.2f}"),
                        st.integers(-(10**15), 10**15).map(lambda p: f"£{p:,}"))
# Mostly valid values, so rows are accepted too; the rest anything at all.
DATE = st.one_of(GOOD_DATE, GOOD_DATE, GOOD_DATE, st.dates().map(str), FIELD)
AMOUNT = st.one_of(GOOD_AMOUNT, GOOD_AMOUNT, GOOD_AMOUNT, FIELD)
ROW = st.fixed_dictionaries({
    "date": DATE, "payee": FIELD, "purpose": FIELD, "amount": AMOUNT,
    "uid": st.one_of(st.none(), st.none(), st.sampled_from(["u1", "u2", "", "U1"])),
    "cut": st.one_of(st.none(), st.none(), st.none(), st.integers(0, 14)),  # truncated
    "extra": st.one_of(st.just([]), st.just([]), st.lists(FIELD, max_size=2)),  # too wide
})


def _rows(rows: list[dict]) -> list[list[str]]:
    out = []
    for i, r in enumerate(rows):
        uid = f"id{i}" if r["uid"] is None else r["uid"]  # unique, or one that may repeat
        fields = ["LBC", "u", r["date"], "Jun", "2024", "F", r["payee"], r["purpose"], "Housing",
                  r["amount"], "0", "F", "2024", "J", uid, *r["extra"]]
        out.append(fields[: r["cut"]] if r["cut"] is not None else fields)
    return out


@FUZZ
@given(
    rows=st.lists(ROW, max_size=25),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]),
    preamble=st.lists(st.text(alphabet="Camden spend £:0123456789", max_size=30), max_size=3),
    mangle=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(['"', "\n", "\r", ",,"])),
                    max_size=2),
)
def test_random_rows_in_any_layout_are_accounted_for(rows, delimiter, newline, quoting,
                                                     encoding, preamble, mangle):
    buf = io.StringIO()
    for line in preamble:
        buf.write(line + newline)
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(CAMDEN_HEADER)
    writer.writerows(_rows(rows))
    text = buf.getvalue()
    header_end = text.index("Unique Identifier") + len("Unique Identifier") + 2
    for at, junk in mangle:  # stray quotes and line breaks after the header
        cut = header_end + at % max(1, len(text) - header_end)
        text = text[:cut] + junk + text[cut:]
    load(text.encode(encoding, errors="replace"))
