"""Fuzzing the parsers the ingest relies on: header sniffing, dates, amounts.

``tests/test_parse_props.py`` pins amounts and dates written the ways councils write them; these
properties throw arbitrary text at the same functions: they must answer (a value or a reason)
and never raise anything else, and the Python twins must agree with the SQL macros that decide
in the build.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placespend._parse import (
    DELIMITERS,
    EARLIEST_YEAR,
    LATEST_YEAR,
    amount_problem,
    date_format_problem,
    find_header,
    norm_header,
    parse_amount_pence,
    parse_date,
    split_lines,
)
from placespend.errors import InputFileError
from placespend.ingest import CAMDEN, LAMBETH, PRESETS, ColumnMapping
from placespend.paths import PIPELINES_DIR

FUZZ = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def sql() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute((PIPELINES_DIR / "00_ingest_macros.sql").read_text(encoding="utf-8"))
    yield con
    con.close()


# -- header sniffing -----------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ _-'()&", min_size=1, max_size=14)
MAPPED = [norm_header(c) for m in PRESETS.values() for c in m.columns().values()]


def _spell(column: str, style: int) -> str:
    """The same column name as finance systems write it: case, doubled or padded spaces."""
    return [column, column.upper(), column.lower(), column.replace(" ", "  "), f" {column} ",
            column.title()][style]


def _quote(field: str, delimiter: str) -> str:
    return f'"{field}"' if delimiter in field or '"' in field else field


@FUZZ
@given(
    columns=st.permutations(list(CAMDEN.columns().values())),
    extra=st.lists(WORD.filter(lambda w: norm_header(w) not in MAPPED), max_size=6),
    positions=st.lists(st.integers(0, 20), min_size=6, max_size=6),
    styles=st.lists(st.integers(0, 5), min_size=12, max_size=12),
    delimiter=st.sampled_from(DELIMITERS),
    preamble=st.lists(st.text(alphabet="Londn Bruhgf Cam£:.,;|0123456789-", max_size=40),
                      max_size=6),
)
def test_the_header_is_found_wherever_it_sits_however_it_is_spelt(
    columns, extra, positions, styles, delimiter, preamble
):
    header = list(columns)
    for word, at in zip(extra, positions, strict=False):
        header.insert(at % (len(header) + 1), word)
    spelt = [_spell(c, styles[i % len(styles)]) for i, c in enumerate(header)]
    lines = [*preamble, delimiter.join(_quote(c, delimiter) for c in spelt), "1,2,3"]
    found = find_header(lines, [LAMBETH, CAMDEN])
    assert found is not None
    line, used, mapping, fields, positions_found = found
    assert (line, used, mapping) == (len(preamble) + 1, delimiter, CAMDEN)
    for name, column in CAMDEN.columns().items():
        assert norm_header(fields[positions_found[name]]) == norm_header(column)


@FUZZ
@given(text=st.text(max_size=400))
def test_random_lines_never_break_the_header_search(text):
    found = find_header(split_lines(text), list(PRESETS.values()))
    if found is not None:  # only if the text really holds every mapped column
        _, _, mapping, fields, positions = found
        normed = [norm_header(f) for f in fields]
        assert all(norm_header(c) in normed for c in mapping.columns().values())


@given(st.text(max_size=40))
def test_header_normalisation_is_idempotent_and_ignores_case_and_spacing(name):
    once = norm_header(name)
    assert norm_header(once) == once
    assert norm_header(name.upper()) == norm_header(name.lower()) or not name.isascii()
    assert norm_header(f"  {name}  ") == once


# -- dates -------------------------------------------------------------------------------------

FORMATS = st.sampled_from([
    ("%d/%m/%Y",),
    ("%d/%m/%Y", "%Y-%m-%d"),
    ("%Y-%m-%d",),
    ("%d-%b-%Y",),
    ("%d/%m/%y",),
])
DATE_TEXT = st.one_of(
    st.text(alphabet="0123456789/-. :", max_size=14),
    st.text(alphabet="0123456789/-JanFebMarDecjun ", max_size=14),
    st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)).map(
        lambda d: f"{d.day}/{d.month}/{d.year}"),
)


def _python_date(text: str, formats: tuple[str, ...]) -> dt.date | None:
    try:
        return parse_date(text, formats)
    except ValueError:
        return None


def _sql_date(con, text: str, formats: tuple[str, ...]) -> dt.date | None:
    """What 01_stg_payments accepts: trimmed, strptime with the formats, years in range."""
    (day,) = con.execute(
        "select cast(try_strptime(nullif(ps_trim($t), ''), $f) as date)",
        {"t": text, "f": list(formats)},
    ).fetchone()
    return day if day is not None and EARLIEST_YEAR <= day.year <= LATEST_YEAR else None


@FUZZ
@given(text=DATE_TEXT, formats=FORMATS)
def test_any_text_is_a_date_or_a_reason_and_python_agrees_with_sql(sql, text, formats):
    python = _python_date(text, formats)
    if python is not None:
        assert EARLIEST_YEAR <= python.year <= LATEST_YEAR
    assert python == _sql_date(sql, text, formats)


FORMAT_PARTS = ["%d", "%m", "%Y", "%y", "%b", "%B", "%H", "%M", "%S", "%Q", "%s", "%%", "%",
                "/", "-", " ", "T"]


@FUZZ
@given(fmt=st.lists(st.sampled_from(FORMAT_PARTS), max_size=6).map("".join),
       when=st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2100, 12, 31)))
def test_a_date_format_is_refused_or_read_alike_by_python_and_duckdb(sql, fmt, when):
    """A mapping's date formats are checked up front; any format that passes reads a date
    written in it the same way in Python (repairs) and DuckDB (the build)."""
    if date_format_problem(fmt) is not None:
        with pytest.raises(InputFileError, match="date format"):
            ColumnMapping(name="x", date="d", amount="a", payee="p", date_formats=(fmt,))
        return
    ColumnMapping(name="x", date="d", amount="a", payee="p", date_formats=(fmt,))
    sample = when.strftime(fmt)
    assert _sql_date(sql, sample, (fmt,)) == _python_date(sample, (fmt,))


# -- amounts -----------------------------------------------------------------------------------

AMOUNT_TEXT = st.one_of(
    st.text(alphabet="0123456789,.-+£() ", max_size=26),
    st.integers(-(10**17), 10**17).map(lambda p: f"{p // 100}.{abs(p) % 100:02d}"),
    st.integers(0, 10**16).map(lambda p: f"£{p:,}"),
    st.text(max_size=12),
)


@FUZZ
@given(texts=st.lists(AMOUNT_TEXT, min_size=1, max_size=20))
def test_any_text_is_an_amount_or_a_reason_alike_in_python_and_sql(sql, texts):
    """Long amounts included: 15 whole digits once overflowed the SQL fast path."""
    rows = sql.execute(
        "select ps_amount_pence(t), ps_amount_problem(t) "
        "from unnest($texts) with ordinality as u(t, i) order by i",
        {"texts": texts},
    ).fetchall()
    for text, (pence, problem) in zip(texts, rows, strict=True):
        reason = amount_problem(text)
        assert (problem is None) == (reason is None), (text, problem, reason)
        if reason is None:
            assert pence == parse_amount_pence(text)
            assert abs(pence) < 2**63
