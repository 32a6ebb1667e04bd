"""The one reader of users' YAML and JSON: data only, within limits, repeated keys refused.

Every refusal is the caller's error class with the file, the line and the fix; none builds a
value first, so a "billion laughs" file fails in milliseconds without growing memory.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from placespend import _yaml
from placespend.errors import CatalogueError, InputFileError, quoted

PWNED = Path("/tmp/placespend_pwned")


def read(tmp_path: Path, text: str | bytes, name: str = "m.yaml", error=InputFileError):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return _yaml.read(path, error, "column mapping")


def refused(tmp_path: Path, text: str | bytes, name: str = "m.yaml") -> str:
    with pytest.raises(InputFileError) as info:
        read(tmp_path, text, name)
    msg = str(info.value)
    assert msg.startswith(str(tmp_path / name)), msg
    assert "Traceback" not in msg
    return msg


def billion_laughs(levels: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nall: *a{levels - 1}\n"


# -- memory bombs ----------------------------------------------------------------------------------


def test_a_billion_laughs_is_refused_at_its_first_anchor_fast_and_in_little_memory(tmp_path):
    text = billion_laughs()
    assert len(text) < 1024  # 1 KB standing for 9**9 strings
    tracemalloc.start()
    try:
        msg = refused(tmp_path, text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "line 1, column 5: cannot read the column mapping: anchors and aliases" in msg
    assert "write each value out in full" in msg
    assert peak < 5_000_000, peak  # expanding even one level would take far more


@pytest.mark.parametrize("text", ["a: &x 1\nb: 2\n", "a: 1\nb: *x\n", "a: &loop [*loop]\n"])
def test_every_anchor_or_alias_is_refused(tmp_path, text):
    msg = refused(tmp_path, text)
    assert "anchors and aliases (&name, *name) are not allowed" in msg
    assert "line " in msg


def test_merge_keys_are_refused(tmp_path):
    msg = refused(tmp_path, "a:\n  <<: {b: 1}\n  c: 2\n")
    assert "line 2, column 3" in msg and "merge keys (<<) are not allowed" in msg


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[" * 10_000, "line 1, column 21"),
        ("x: " + "[" * 10_000 + "]" * 10_000 + "\n", "line 1, column 23"),
        ("".join("  " * i + "- \n" for i in range(100)), "line 21, column 41"),
        ("".join("  " * i + f"k{i}:\n" for i in range(100)), "line 21, column 41"),
    ],
    ids=["flow-unclosed", "flow-closed", "block-lists", "block-mappings"],
)
def test_deep_nesting_is_refused_without_recursion_error(tmp_path, text, where):
    msg = refused(tmp_path, text)
    assert (f"{where}: cannot read the column mapping: lists and mappings are nested more "
            f"than {_yaml.MAX_DEPTH} deep; check that this is the right file") in msg


def test_twenty_levels_are_still_read(tmp_path):
    doc = read(tmp_path, "[" * _yaml.MAX_DEPTH + "]" * _yaml.MAX_DEPTH)
    depth, value = 0, doc.data
    while isinstance(value, list):
        depth, value = depth + 1, value[0] if value else None
    assert depth == _yaml.MAX_DEPTH


def test_too_many_values_are_refused(tmp_path):
    msg = refused(tmp_path, "[" + "1," * _yaml.MAX_VALUES + "1]")
    assert f"the file holds more than {_yaml.MAX_VALUES:,} values" in msg


def test_a_file_over_the_size_cap_is_refused_without_being_read_whole(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:  # 2 GB, sparse: reading it whole would take seconds and memory
        f.write(b"name: big\n")
        f.truncate(2 * 1024**3)
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError) as info:
            _yaml.read(path, InputFileError, "column mapping")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, peak  # not read whole: that would be 2 GB
    assert f"the file is larger than {_yaml.MAX_BYTES:,} bytes" in str(info.value)
    assert "check that this is the right file" in str(info.value)


def test_a_file_at_the_size_cap_is_read(tmp_path):
    text = "a: 1\n" + "#" * (_yaml.MAX_BYTES - 6) + "\n"
    assert len(text) == _yaml.MAX_BYTES
    assert read(tmp_path, text).data == {"a": 1}


# -- keys given twice ------------------------------------------------------------------------------


def test_a_key_given_twice_is_named_with_both_lines(tmp_path):
    msg = refused(tmp_path, "date: A\namount: B\n\ndate: C\n")
    assert ("line 4, column 1: cannot read the column mapping: the key 'date' is given twice "
            "in one mapping (lines 1 and 4), and only the last would count; delete or rename "
            "one of them") in msg


def test_keys_that_python_holds_as_one_are_one_key(tmp_path):
    """1 and true are one key in a Python dict, so PyYAML would keep only the last."""
    assert "the key 'true' is given twice" in refused(tmp_path, "1: a\ntrue: b\n")
    assert "the key '0x10' is given twice" in refused(tmp_path, "16: a\n0x10: b\n")
    assert read(tmp_path, "'1': a\n1: b\n").data == {"1": "a", 1: "b"}  # text and a number


def test_a_key_given_twice_inside_a_list_item_is_found(tmp_path):
    msg = refused(tmp_path, "services:\n  - id: a\n    name: x\n    id: b\n")
    assert "line 4, column 5" in msg and "the key 'id' is given twice" in msg


# -- tags and odd values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("name: !!python/object/apply:os.system ['touch /tmp/placespend_pwned']\n",
         "'!!python/object/apply:os.system'"),
        ("!!python/object/new:os.system [touch /tmp/placespend_pwned]\n",
         "'!!python/object/new:os.system'"),
        ("a: !!python/name:os.system\n", "'!!python/name:os.system'"),
        ("a: !!binary aGVsbG8=\n", "'!!binary'"),
        ("a: !!set {x: null}\n", "'!!set'"),
        ("a: !custom x\n", "'!custom'"),
    ],
)
def test_tags_beyond_plain_data_are_refused_before_anything_runs(tmp_path, text, tag):
    msg = refused(tmp_path, text)
    assert f"not valid YAML for placespend (the tag {tag} is not allowed" in msg
    assert "remove the tag" in msg and "line 1" in msg
    assert not PWNED.exists()


def test_plain_tags_are_read(tmp_path):
    doc = read(tmp_path, "a: !!str 10\nb: !!int '7'\nc: ! x\n")
    assert doc.data == {"a": "10", "b": 7, "c": "x"}


def test_dates_and_equals_signs_stay_text(tmp_path):
    doc = read(tmp_path, "a: 2024-02-30\nb: 2024-04-01\nc: =\nd: 1e5\ne: true\nf: ~\n")
    assert doc.data == {"a": "2024-02-30", "b": "2024-04-01", "c": "=", "d": "1e5",
                        "e": True, "f": None}


@pytest.mark.parametrize(
    ("data", "expect"),
    [
        (b"a: caf\xe9\n", "line 1: cannot read the column mapping: byte 0xe9 is not UTF-8 text"),
        (b"a: 1\nb: x\x00y\n", "line 2: cannot read the column mapping: not valid YAML "
                               "(character '\\x00' is not allowed in YAML)"),
        (b"a: " + b"9" * 5000 + b"\n", "a value cannot be read"),
        (b"a: [1,\n", "not valid YAML"),
        (b"a: 1\n---\nb: 2\n", "line 2, column 1"),
    ],
    ids=["latin-1", "nul", "huge-int", "unclosed", "two-documents"],
)
def test_unreadable_text_is_an_error_with_its_line(tmp_path, data, expect):
    assert expect in refused(tmp_path, data)


def test_a_bom_is_read_and_lines_are_given_for_every_value(tmp_path):
    doc = read(tmp_path, "\ufeffa:\n  - b: 1\n    c: [x, y]\nd: 2\n")
    assert doc.data == {"a": [{"b": 1, "c": ["x", "y"]}], "d": 2}
    assert doc.line("a") == 1 and doc.line("a", 0) == 2 and doc.line("a", 0, "c") == 3
    assert doc.line("d") == 4 and doc.line("nope") is None


def test_the_caller_chooses_the_error_class(tmp_path):
    with pytest.raises(CatalogueError, match="anchors and aliases"):
        read(tmp_path, "a: &x 1\n", error=CatalogueError)


def test_an_empty_file_is_none(tmp_path):
    assert read(tmp_path, "").data is None
    assert read(tmp_path, "# only a comment\n").data is None


def test_a_missing_file_says_check_the_path(tmp_path):
    with pytest.raises(InputFileError, match="cannot read the column mapping .*check the path"):
        _yaml.read(tmp_path / "nope.yaml", InputFileError, "column mapping")


# -- JSON ------------------------------------------------------------------------------------------


def test_json_nested_deeply_is_refused_without_recursion_error(tmp_path):
    msg = refused(tmp_path, '{"a":\n' + "[" * 100_000 + "]" * 100_000 + "}", "m.json")
    assert "line 2: cannot read the column mapping: lists and objects are nested more than" in msg


def test_json_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    doc = read(tmp_path, '{"a": "' + "[" * 100 + '\\"[["}', "m.json")
    assert doc.data == {"a": "[" * 100 + '"[['}


def test_json_keys_given_twice_are_named_with_their_lines(tmp_path):
    msg = refused(tmp_path, '{\n"a": 1,\n"b": {"c": 1, "c": 2}\n}', "m.json")
    assert "the key 'c' is given twice in one object (line 3)" in msg
    assert read(tmp_path, '{"a": {"c": 1}, "b": {"c": 2}}', "m.json").data  # two objects


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}'])
def test_json_nan_and_infinity_are_refused(tmp_path, text):
    assert "is not a JSON number" in refused(tmp_path, text, "m.json")


def test_json_syntax_errors_give_line_and_column(tmp_path):
    msg = refused(tmp_path, '{\n  "a": 1,\n}', "m.json")
    assert "line 3, column 1: cannot read the column mapping: not valid JSON" in msg


# -- quoting user values in messages ---------------------------------------------------------------


def test_quoted_caps_long_text_and_says_how_long_it_was():
    assert quoted("Payment Date") == "'Payment Date'"
    long = quoted("x" * 3_000_000)
    assert long == "'" + "x" * 80 + "'… (3,000,000 characters)"


def test_quoted_shows_controls_as_escapes_and_bounds_any_structure():
    assert quoted("\x1b[31mred\x07") == "'\\x1b[31mred\\x07'"
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    wide = list(range(1_000_000))
    for value in (deep, wide, {str(i): i for i in range(100_000)}, 10**5000):
        assert len(quoted(value)) <= 81
