"""Column-mapping files are checked by one schema: every problem at once, never a traceback.

Wrong types (a list for a column, a number, null, a mapping as a constant), missing and
unknown keys, and one column feeding two fields each get a line, the field and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placespend import _mapping_file
from placespend.errors import InputFileError
from placespend.ingest import CAMDEN, ColumnMapping, load_mapping

GOOD = {"date": "Payment Date", "amount": "Amount GBP", "payee": "Beneficiary Name"}


def write(tmp_path: Path, data, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    text = json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, data, name: str = "m.yaml") -> str:
    with pytest.raises(InputFileError) as info:
        load_mapping(write(tmp_path, data, name))
    return str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("date", ["Payment Date", 5], "'date item 2' must be a column name (text), not 5"),
        ("amount", [], "'amount' is an empty list; give the name of the amount column (text), or "
                       "a list of the names it has in different files"),
        ("amount", [f"A{i}" for i in range(11)], "'amount' holds 11 entries, more than 10"),
        ("unique", ["a", "b", "c", "d", "e"], "'unique' holds 5 entries, more than 4"),
        ("unique", {"TransNo": 1}, "'unique' must be a column name, or a list of the columns"),
        ("amount", 2024, "not 2024 (put it in quotes to keep it as text: '2024')"),
        ("payee", 1.5, "'payee' must be the name of the supplier column (text), or a list of its "
                     "names, not 1.5"),
        ("purpose", True, "'purpose' must be the name of the column saying what was bought "
                          "(text), or a list of its names, not True; e.g. purpose: Expense Type"),
        ("org_unit", {"a": "b"}, "'org_unit' must be the name of the column saying who bought it "
                                 "(text), or a list of its names, not {'a': 'b'}"),
        ("transaction_id", None, "'transaction_id' is empty (null); give the name of the "
                                 "payment or invoice reference column (text), or a list of its "
                                 "names, e.g. transaction_id: Reference, or leave the key out"),
        ("date", None, "'date' is empty (null); give the name of the payment date column (text), "
                       "or a list of the names it has in different files, e.g. date: Payment "
                       "Date, or date: [Payment Date, Date Paid]\n"),
        ("date", "   ", "'date' is blank"),
        ("date_formats", 5, "'date_formats' must be a strptime format, or a list of them, not 5"),
        ("date_formats", {"a": "%d"}, "'date_formats' must be a strptime format, or a list of "
                                      "them, not {'a': '%d'}"),
        ("date_formats", ["%d/%m/%Y", ["%Y"]], "'date_formats item 2' must be a strptime format "
                                               "(text), not ['%Y']"),
        ("constants", ["org_unit"], "'constants' must be a mapping of field: text, not "
                                    "['org_unit']"),
        ("constants", {"org_unit": {"name": "Housing"}}, "'constants.org_unit' must be text, not "
                                                         "{'name': 'Housing'}"),
        ("constants", {"org_unit": 7}, "'constants.org_unit' must be text, not 7"),
        ("constants", None, "'constants' is empty (null)"),
        ("date_formats", ["%d/%m/%Y"] * 21, "'date_formats' holds 21 entries, more than 20"),
        ("constants", {str(i): "x" for i in range(1000)},
         "'constants' holds 1,000 entries, more than 3; e.g. constants: {org_unit: Housing}"),
        ("name", ["a"], "'name' must be a label of at most 100 characters (text), not ['a']"),
        ("name", "n" * 101, "'name' is 101 characters long; give a label of at most 100 "
                            "characters (text), e.g. name: hackney"),
    ],
)
def test_a_wrong_type_is_named_with_its_line_and_an_example(tmp_path, field, value, expect):
    data = {**GOOD, field: value}
    msg = problems(tmp_path, data)
    head = "m.yaml: the column mapping is not usable (1 problem):\n  - line "
    assert head in msg
    line = int(msg.split(head)[1].split(":")[0])  # the field's line, or its item's below it
    assert line - (list(data).index(field) + 1) in (0, 1, 2), msg
    assert expect in msg + "\n", msg


def test_every_problem_is_listed_at_once(tmp_path):
    msg = problems(tmp_path, {"date": [1], "amount": None, "payee": {"x": 1}, "purpose": 3,
                              "date_formats": [None], "constants": {"payee": []}, "oops": 1,
                              "amont": 2})
    assert "(7 problems)" in msg
    assert "unknown keys ['oops', 'amont']" in msg and "did you mean" not in msg
    for field in ("'date item 1'", "'amount'", "'payee'", "'purpose'", "'date_formats item 1'",
                  "'constants.payee'"):
        assert field in msg


def test_missing_fields_and_misspelt_keys_say_what_to_write(tmp_path):
    msg = problems(tmp_path, {"payee": "P", "ammount": "A"})
    assert "line 2: unknown keys ['ammount'] (did you mean 'amount'?); allowed keys are" in msg
    assert "'date' is missing; give the name of the payment date column (text), or a list" in msg
    assert "'amount' is missing" in msg


def test_json_mappings_get_the_same_schema(tmp_path):
    msg = problems(tmp_path, {**GOOD, "date": [["x"]], "constants": {"org_unit": None}}, "m.json")
    assert "(2 problems)" in msg and "line " not in msg  # JSON carries no lines
    assert "'date item 1' must be a column name (text), not ['x']" in msg
    assert "'constants.org_unit' must be text, not empty (null)" in msg


def test_a_constant_key_that_is_not_text_is_named(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("date: D\namount: A\npayee: P\nconstants: {1: x}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"line 4: 'constants' has the key 1, but its keys "
                                             r"must be text: payee, purpose or org_unit"):
        load_mapping(path)


def test_values_are_quoted_capped_in_messages(tmp_path):
    msg = problems(tmp_path, {**GOOD, "date": ["x" * 100_000], "oops" * 1000: 1})
    assert len(msg) < 2000
    assert "… (4,000 characters)" in msg


def test_a_preset_stands_alone(tmp_path):
    assert load_mapping(write(tmp_path, {"preset": "Camden"})) is CAMDEN
    msg = problems(tmp_path, {"preset": "camden", "date": "x"})
    assert "unknown keys ['date'] beside 'preset'" in msg
    assert "'preset' must be the name of a built-in mapping (text), alone, not ['camden']" in (
        problems(tmp_path, {"preset": ["camden"]}))
    assert "unknown preset 'hackney'; use one of ['camden', 'lambeth']" in (
        problems(tmp_path, {"preset": "hackney"}))


@pytest.mark.parametrize("top", [[1, 2], "date", 5, None])
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path, top):
    msg = problems(tmp_path, top)
    assert "a column mapping must be a mapping of keys such as 'date: ...'" in msg


def test_a_good_file_gives_its_mapping(tmp_path):
    mapping = load_mapping(write(tmp_path, {**GOOD, "date_formats": "%Y-%m-%d",
                                            "constants": {"org_unit": "Housing"}}, "m.json"))
    assert mapping == ColumnMapping(name="m", date="Payment Date", amount="Amount GBP",
                                    payee="Beneficiary Name", date_formats=("%Y-%m-%d",),
                                    constants={"org_unit": "Housing"})


@pytest.mark.parametrize(
    ("columns", "expect"),
    [
        ({"payee": "Description", "purpose": "Description"},
         "'payee' and 'purpose' both name the column 'Description'"),
        ({"payee": "Description", "purpose": "DESCRIPTION ", "org_unit": "description"},
         "'payee', 'purpose' and 'org_unit' all name the column 'Description'"),
        ({"payee": "P", "transaction_id": "amount gbp"},
         "'transaction_id' and 'amount' both name the column 'amount gbp'"),
    ],
)
def test_one_column_mapped_to_two_fields_is_refused(tmp_path, columns, expect):
    msg = problems(tmp_path, {**GOOD, **columns})
    assert expect in msg and "map each to its own column" in msg
    with pytest.raises(InputFileError, match="a column can feed only one field"):
        ColumnMapping(name="x", **{**GOOD, **columns})


def test_the_schema_knows_every_field_of_the_mapping():
    """The messages' table of fields, the schema and the dataclass name the same fields."""
    from dataclasses import fields

    mapping_fields = {f.name for f in fields(ColumnMapping)}
    assert set(_mapping_file.MappingFile.model_fields) == mapping_fields
    assert set(_mapping_file.FIELDS) == mapping_fields | {"preset"}


# -- anything at all -------------------------------------------------------------------------------

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from([*_mapping_file.FIELDS, "nope"])


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(KEYS, VALUES, max_size=8) | VALUES,
       kind=st.sampled_from(["yaml", "json"]))
def test_any_file_is_a_mapping_or_one_input_error(tmp_path, data, kind):
    path = tmp_path / f"any.{kind}"
    text = json.dumps(data) if kind == "json" else yaml.dump(data, Dumper=_NoAliases)
    path.write_text(text, encoding="utf-8")
    try:
        mapping = load_mapping(path)
    except InputFileError as exc:
        assert str(exc).startswith(str(path)) and len(str(exc)) < 5000
    else:
        assert isinstance(mapping, ColumnMapping)
