"""Each file's date order found from its values when the mapping declares no date_formats:
day first by default, month first only when proven, an error when values disagree or none
reads, naming the lines and the mapping line that settles it (placespend._dates)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from placespend.errors import InputFileError
from placespend.ingest import ColumnMapping, load_spend

MAPPING = ColumnMapping(name="plain", date="Date", amount="Amount", payee="Supplier")


def spend(tmp_path, name: str, *dates: str, payee: str = "Acme Ltd"):
    path = tmp_path / name
    lines = [f"{d},{i + 1}.00,{payee}" for i, d in enumerate(dates)]
    path.write_text("\n".join(["Date,Amount,Supplier", *lines]) + "\n", encoding="utf-8")
    return path


def read(paths, mapping=MAPPING):
    con = duckdb.connect()
    report = load_spend(con, paths, mapping)
    rows = con.execute("select source_file, source_row, payment_date from payments "
                       "order by source_file, source_row").fetchall()
    refused = con.execute("select source_row, reason from spend_quarantine").fetchall()
    return report, rows, refused


def test_values_that_prove_month_first_are_read_month_first_with_a_note(tmp_path):
    path = spend(tmp_path, "us.csv", "08/02/2022", "12/31/2022", "1/15/2023")
    report, rows, refused = read([path])
    assert [r[2] for r in rows] == [dt.date(2022, 8, 2), dt.date(2022, 12, 31),
                                    dt.date(2023, 1, 15)]
    assert refused == []
    (note,) = [n for n in report.notes if "month first" in n]
    assert note.startswith("us.csv: dates read month first: 2 (e.g. '12/31/2022', line 3)")
    assert "date_formats: ['%m/%d/%Y']" in note


def test_without_proof_dates_are_day_first(tmp_path):
    path = spend(tmp_path, "uk.csv", "08/02/2022", "01/03/2022", "2022-04-05")
    report, rows, _ = read([path])
    assert [r[2] for r in rows] == [dt.date(2022, 2, 8), dt.date(2022, 3, 1),
                                    dt.date(2022, 4, 5)]
    assert not [n for n in report.notes if "month first" in n]


def test_each_file_has_its_own_order(tmp_path):
    uk = spend(tmp_path, "a_uk.csv", "13/02/2022", "08/02/2022")
    us = spend(tmp_path, "b_us.csv", "02/13/2022", "08/02/2022", payee="Beta Ltd")
    _, rows, refused = read([uk, us])
    assert refused == []
    assert [r[2] for r in rows] == [dt.date(2022, 2, 13), dt.date(2022, 2, 8),
                                    dt.date(2022, 2, 13), dt.date(2022, 8, 2)]


def test_values_read_both_ways_are_an_error_naming_both_lines_and_the_fix(tmp_path):
    path = spend(tmp_path, "mixed.csv", "01/02/2022", "13/02/2022", "02/14/2022", "02/15/2022")
    with pytest.raises(InputFileError) as info:
        read([path])
    message = str(info.value)
    assert "mixed.csv" in message
    assert "'13/02/2022', line 3, and 0 more" in message
    assert "'02/14/2022', line 4, and 1 more" in message
    assert "date_formats: ['%d/%m/%Y']" in message and "date_formats: ['%m/%d/%Y']" in message


def test_a_declared_format_settles_the_mixed_file(tmp_path):
    path = spend(tmp_path, "mixed.csv", "01/02/2022", "13/02/2022", "02/14/2022")
    declared = ColumnMapping(name="plain", date="Date", amount="Amount", payee="Supplier",
                             date_formats=("%d/%m/%Y",))
    report, rows, refused = read([path], declared)
    assert [r[2] for r in rows] == [dt.date(2022, 2, 1), dt.date(2022, 2, 13)]
    assert [r[0] for r in refused] == [4]
    assert report.files[0].rows_read == 3


def test_a_column_where_no_date_reads_is_an_error_offering_the_format(tmp_path):
    path = spend(tmp_path, "words.csv", "2022.08.02", "2022.09.30")
    with pytest.raises(InputFileError) as info:
        read([path])
    message = str(info.value)
    assert "words.csv, row 2: none of its 2 dates in column 'Date' reads as a date" in message
    assert "date_formats: ['%Y.%m.%d']" in message
    # ... and the format offered reads the file
    offered = ColumnMapping(name="plain", date="Date", amount="Amount", payee="Supplier",
                            date_formats=("%Y.%m.%d",))
    _, rows, refused = read([path], offered)
    assert [r[2] for r in rows] == [dt.date(2022, 8, 2), dt.date(2022, 9, 30)]
    assert refused == []


def test_a_column_of_words_says_to_map_another_column(tmp_path):
    path = spend(tmp_path, "names.csv", "Acme", "Beta")
    with pytest.raises(InputFileError, match="map `date` to the column that does"):
        read([path])


def test_impossible_dates_of_a_known_layout_are_rows_not_a_wrong_column(tmp_path):
    path = spend(tmp_path, "bad.csv", "31/02/2022", "30/02/2022")
    report, rows, refused = read([path])
    assert rows == [] and len(refused) == 2
    assert report.files[0].quarantined_pence == 300


@pytest.mark.parametrize(("text", "expected"), [
    ("02/08/22", dt.date(2022, 8, 2)), ("02-Aug-22", dt.date(2022, 8, 2)),
    ("31.12.68", dt.date(2068, 12, 31)),
])
def test_two_digit_years_are_read_with_the_stated_pivot(tmp_path, text, expected):
    path = spend(tmp_path, "short.csv", text, "01/04/2022")
    report, rows, refused = read([path])
    if expected.year > 2030:  # beyond the allowed range: quarantined, not silently 1968
        assert [r[2] for r in rows] == [dt.date(2022, 4, 1)]
        assert "outside the allowed range" in refused[0][1]
    else:
        assert [r[2] for r in rows] == [expected, dt.date(2022, 4, 1)]
    (note,) = [n for n in report.notes if "two-digit year" in n]
    assert "00-68 are read as 2000-2068 and 69-99 as 1969-1999" in note
