"""Amount, date and payee parsing: examples, properties, and Python and SQL agreeing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from placespend._parse import financial_year, parse_amount_pence, parse_date
from placespend.paths import PIPELINES_DIR

DAY_FIRST = ("%d/%m/%Y",)


@pytest.fixture(scope="module")
def sql() -> duckdb.DuckDBPyConnection:
    """A connection with the ingest macros (module-scoped: hypothesis reuses it)."""
    con = duckdb.connect()
    con.execute((PIPELINES_DIR / "00_ingest_macros.sql").read_text(encoding="utf-8"))
    yield con
    con.close()


def sql_amounts(con: duckdb.DuckDBPyConnection, texts: list[str]) -> list[tuple]:
    return con.execute(
        "select ps_amount_pence(t), ps_amount_problem(t) "
        "from unnest($texts) with ordinality as u(t, i) order by i",
        {"texts": texts},
    ).fetchall()


def python_amount(text: str) -> tuple[int | None, str | None]:
    try:
        return parse_amount_pence(text), None
    except ValueError as exc:
        return None, str(exc)


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("£1,234.56", 123456),
        ("1234.56", 123456),
        ("(123.45)", -12345),
        ("-1,000", -100000),
        ("1,000.5", 100050),
        (" 12 ", 1200),
        ("£-5.00", -500),
        ("-£5", -500),
        ("(£5.10)", -510),
        ("1.500", 150),
        ("31550000.00", 3155000000),
    ],
)
def test_amount_examples(sql, text, pence):
    assert parse_amount_pence(text) == pence
    assert sql_amounts(sql, [text]) == [(pence, None)]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "blank"),
        ("   ", "blank"),
        ("n/a", "not a number"),
        ("1.234,56", "decimal comma"),
        ("1,2345", "not a number"),
        ("1.005", "more than 2 decimal places"),
        ("(-5)", "more than one sign"),
        ("-£-5", "more than one sign"),
        ("£", "no digits"),
        ("1234567890123456", "implausibly large"),
    ],
)
def test_amounts_refused_with_reason(sql, text, why):
    with pytest.raises(ValueError, match=why):
        parse_amount_pence(text)
    ((pence, problem),) = sql_amounts(sql, [text])
    assert pence is None and why in problem


def _styles(pence: int) -> list[str]:
    """The same amount written the ways councils write it."""
    d = Decimal(abs(pence)) / 100
    plain, grouped = f"{d:.2f}", f"{d:,.2f}"
    if pence >= 0:
        return [plain, grouped, f"£{grouped}", f" {plain} ", f"+{plain}", str(d.normalize())]
    return [
        f"-{plain}",
        f"-{grouped}",
        f"£-{grouped}",
        f"-£{grouped}",
        f"({grouped})",
        f"(£{plain})",
        f"- £ {grouped}",
    ]


@given(st.integers(min_value=-(10**14), max_value=10**14))
@settings(max_examples=200)
def test_any_amount_round_trips_in_every_style(sql, pence):
    texts = [t for t in _styles(pence) if "E" not in t]  # normalize() may use exponents
    assert [parse_amount_pence(t) for t in texts] == [pence] * len(texts)
    assert sql_amounts(sql, texts) == [(pence, None)] * len(texts)


@given(st.lists(st.text(alphabet="0123456789,.-+£() \tx", max_size=12), min_size=1))
@settings(max_examples=200)
def test_python_and_sql_amount_parsers_agree(sql, texts):
    assert sql_amounts(sql, texts) == [python_amount(t) for t in texts]


dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


@given(dates, st.booleans())
def test_any_date_round_trips_with_or_without_leading_zeros(sql, day, padded):
    text = day.strftime("%d/%m/%Y") if padded else f"{day.day}/{day.month}/{day.year}"
    assert parse_date(text, DAY_FIRST) == day
    row = sql.execute(
        "select cast(try_strptime($t, ['%d/%m/%Y']) as date), "
        "ps_financial_year(cast(try_strptime($t, ['%d/%m/%Y']) as date))",
        {"t": text},
    ).fetchone()
    assert row == (day, financial_year(day))


@given(dates)
def test_financial_year_contains_the_date(day):
    fy = financial_year(day)
    start = int(fy[:4])
    assert dt.date(start, 4, 1) <= day < dt.date(start + 1, 4, 1)
    assert fy[5:] == f"{(start + 1) % 100:02d}"


@pytest.mark.parametrize(
    "text", ["31/02/2024", "29/02/2023", "31/04/2024", "0/1/2024", "1/13/2024"]
)
def test_impossible_dates_refused(sql, text):
    with pytest.raises(ValueError, match="not a valid date"):
        parse_date(text, DAY_FIRST)
    assert sql.execute("select try_strptime($t, ['%d/%m/%Y'])", {"t": text}).fetchone() == (None,)


def test_two_digit_year_refused():
    with pytest.raises(ValueError, match="outside 1990-2100"):
        parse_date("1/1/0020", DAY_FIRST)


names = st.text(
    alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456789 .,'&()-*/"),
    min_size=1,
    max_size=30,
).filter(lambda s: any(c.isalnum() for c in s))


@given(names, st.integers(min_value=1, max_value=6))
def test_payee_key_ignores_case_and_trailing_asterisks_and_is_idempotent(sql, name, stars):
    key, starred, lowered, again = sql.execute(
        "select ps_payee_key($n), ps_payee_key($n || repeat('*', $k)), "
        "ps_payee_key(lower($n)), ps_payee_key(ps_payee_key($n))",
        {"n": name, "k": stars},
    ).fetchone()
    assert key == starred == lowered == again
    assert key == key.strip() and "  " not in key and key == key.upper()


@pytest.mark.parametrize(
    ("payee", "redacted"),
    [
        ("xxxxREDACTEDxxxx", True),
        ("REDACTED", True),
        ("Redacted", True),
        ("Name redacted", True),
        ("REDACTIVE EVENTS", False),
        ("UNREDACTED LTD", False),
        ("", False),
        (None, False),
    ],
)
def test_redaction_markers(sql, payee, redacted):
    assert sql.execute("select ps_is_redacted($p)", {"p": payee}).fetchone() == (redacted,)
