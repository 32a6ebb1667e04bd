"""Read the YAML and JSON files users write (column mappings, catalogues): data only, in limits.

PyYAML's ``safe_load`` runs no code, but it still expands aliases (a 1 KB "billion laughs"
file stands for gigabytes), recurses once per level of nesting (10,000 ``[`` end in
``RecursionError``) and keeps the last of two equal keys without a word. :func:`read` refuses
all of these while composing the document, before any Python value is built:

* a file over :data:`MAX_BYTES`, more than :data:`MAX_VALUES` values, or lists and mappings
  nested more than :data:`MAX_DEPTH` deep;
* anchors and aliases (``&name``, ``*name``) and merge keys (``<<``);
* a key given twice in one mapping (the message names the key and both lines);
* any tag but those of plain data: text, numbers, true/false, null, lists, mappings
  (``!!python/object/apply:...`` is refused before anything could look at it).

Dates and ``=`` stay text (PyYAML would make ``2024-02-30`` a date, and fail). JSON files
(``.json``) are read by :mod:`json` within the same limits: nesting, duplicate keys, ``NaN``
and ``Infinity`` are refused.

Every refusal is an error of the caller's class (``InputFileError``, ``CatalogueError``)
naming the file, the line (and column) and the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from placespend.errors import PlacespendError, quoted

MAX_BYTES = 1_000_000
"""The largest YAML or JSON file read (the shipped catalogue is about 26 KB)."""
MAX_DEPTH = 20
"""How deep lists and mappings may nest (a catalogue needs 3 levels, a mapping 2)."""
MAX_VALUES = 20_000
"""The most values (scalars, lists, mappings) in a YAML file (the shipped catalogue: 1,315)."""

_CORE = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(_CORE + t for t in ("null", "bool", "int", "float", "str", "seq", "map"))
_MERGE = _CORE + "merge"
_FIX_SYNTAX = "fix the syntax there"
_FIX_SIZE = "check that this is the right file"

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """A file's data, with the 1-based line of every value that has one.

    ``lines`` maps a location, the keys (as text) and list indices leading to a value from
    the top, to its line: ``("services", 3, "name")``; for a mapping entry, the key's line.
    JSON documents carry no lines.
    """

    path: Path
    data: Any
    lines: Mapping[Location, int] = field(default_factory=dict)

    def line(self, *location: str | int) -> int | None:
        """The line of the value at ``location`` (``None`` if unknown)."""
        return self.lines.get(tuple(location))


def read(path: Path, error: type[PlacespendError], what: str) -> Document:
    """Read ``path`` (JSON if it ends in ``.json``, else YAML) within the limits above.

    Parameters
    ----------
    path
        The file.
    error
        The error class to raise (``InputFileError`` for mappings, ``CatalogueError``).
    what
        What the file is, for messages: ``"column mapping"``, ``"service catalogue"``.

    Raises
    ------
    PlacespendError
        Of class ``error``: the file cannot be read, is too big, not UTF-8, not valid YAML or
        JSON, or breaks a limit; naming the file, line and fix.
    """
    text = _text(path, error, what)
    if path.suffix.lower() == ".json":
        return parse_json(text, path, error, what)
    return parse_yaml(text, path, error, what)


def _text(path: Path, error: type[PlacespendError], what: str) -> str:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        msg = f"{path}: cannot read the {what} ({exc.strerror or exc}); check the path"
        raise error(msg) from exc
    if len(raw) > MAX_BYTES:
        msg = (f"{path}: cannot read the {what}: the file is larger than {MAX_BYTES:,} bytes, "
               f"far more than a {what} needs; {_FIX_SIZE}")
        raise error(msg)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        msg = (f"{path}, line {line}: cannot read the {what}: byte 0x{raw[exc.start]:02x} is "
               "not UTF-8 text; save the file as UTF-8")
        raise error(msg) from exc


# -- YAML ----------------------------------------------------------------------------------------


class _Refusal(yaml.YAMLError):
    """Something the loader will not read, at ``mark``."""

    def __init__(self, mark: yaml.Mark, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.mark, self.problem, self.fix = mark, problem, fix


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases, deep nesting, repeated keys and odd tags."""

    # Plain scalars resolve to null, booleans, numbers or text only: no dates, no '=' values
    # (whose tag has no constructor). '<<' still resolves to a merge key, to be refused.
    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag in _PLAIN_TAGS or tag == _MERGE]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._values = 0

    def compose_node(self, parent: Any, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise _Refusal(event.start_mark, "anchors and aliases (&name, *name) are not "
                           "allowed, as they let a small file stand for gigabytes",
                           "write each value out in full")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _PLAIN_TAGS:
            raise _Refusal(event.start_mark, f"not valid YAML for placespend (the tag "
                           f"{_shown_tag(tag)} is not allowed: placespend reads plain data, "
                           "text, numbers, true/false, lists and mappings, and runs nothing)",
                           "remove the tag")
        self._values += 1
        if self._values > MAX_VALUES:
            raise _Refusal(event.start_mark, f"the file holds more than {MAX_VALUES:,} values",
                           _FIX_SIZE)
        nests = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
        self._depth += nests
        try:
            if self._depth > MAX_DEPTH:
                raise _Refusal(event.start_mark, "lists and mappings are nested more than "
                               f"{MAX_DEPTH} deep", _FIX_SIZE)
            return super().compose_node(parent, index)
        finally:
            self._depth -= nests

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        first: dict[Any, yaml.Node] = {}
        for key, _ in node.value:
            if key.tag == _MERGE:
                raise _Refusal(key.start_mark, "merge keys (<<) are not allowed",
                               "write the keys out in full")
            if not isinstance(key, yaml.ScalarNode):
                continue  # a list or mapping as a key: the constructor refuses it
            # Keys compare as the values Python will hold: 1 and true are one key in a dict.
            value = self.yaml_constructors[key.tag](self, key)
            seen = first.setdefault(value, key)
            if seen is not key:
                lines = f"lines {seen.start_mark.line + 1} and {key.start_mark.line + 1}"
                raise _Refusal(key.start_mark, f"the key {quoted(key.value)} is given twice in "
                               f"one mapping ({lines}), and only the last would count",
                               "delete or rename one of them")
        return node


def _shown_tag(tag: str) -> str:
    return quoted("!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag)


def parse_yaml(text: str, path: Path, error: type[PlacespendError], what: str) -> Document:
    """Parse YAML ``text`` from ``path`` within the limits (see :func:`read`)."""
    loader = None
    try:
        loader = _Loader(text)  # checks that every character may appear in YAML
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except _Refusal as exc:
        raise error(_at(path, exc.mark, what, exc.problem, exc.fix)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = _short(exc.problem or exc.context or str(exc))
        raise error(_at(path, mark, what, f"not valid YAML ({problem})", _FIX_SYNTAX)) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        msg = (f"{path}, line {line}: cannot read the {what}: not valid YAML (character "
               f"{char!r} is not allowed in YAML); delete it or save the file as text")
        raise error(msg) from None
    except yaml.YAMLError as exc:
        msg = f"{path}: cannot read the {what}: not valid YAML ({_short(str(exc))}); {_FIX_SYNTAX}"
        raise error(msg) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4,300 digits
        msg = (f"{path}: cannot read the {what}: a value cannot be read ({_short(str(exc))}); "
               "write numbers of ordinary size, or quote the value to keep it as text")
        raise error(msg) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(path, data, _lines(node))


def _at(path: Path, mark: yaml.Mark | None, what: str, problem: str, fix: str) -> str:
    where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"{path}{where}: cannot read the {what}: {problem}; {fix}"


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _lines(root: yaml.Node | None) -> dict[Location, int]:
    lines: dict[Location, int] = {}
    stack: list[tuple[Location, yaml.Node, int]] = []
    if root is not None:
        stack.append(((), root, root.start_mark.line + 1))
    while stack:
        location, node, line = stack.pop()
        lines.setdefault(location, line)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    stack.append(((*location, key.value), value, key.start_mark.line + 1))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append(((*location, i), item, item.start_mark.line + 1))
    return lines


# -- JSON ----------------------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def parse_json(text: str, path: Path, error: type[PlacespendError], what: str) -> Document:
    """Parse JSON ``text`` from ``path`` within the limits (see :func:`read`)."""
    deep = _too_deep_line(text)
    if deep is not None:
        msg = (f"{path}, line {deep}: cannot read the {what}: lists and objects are nested "
               f"more than {MAX_DEPTH} deep; {_FIX_SIZE}")
        raise error(msg)
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in items:
            if key in obj:
                repeated.append(key)
            obj[key] = value
        return obj

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        msg = (f"{path}, line {exc.lineno}, column {exc.colno}: cannot read the {what}: not "
               f"valid JSON ({exc.msg}); {_FIX_SYNTAX}")
        raise error(msg) from None
    except ValueError as exc:  # NaN or Infinity, or an integer of more than 4,300 digits
        msg = f"{path}: cannot read the {what}: not valid JSON ({_short(str(exc))}); {_FIX_SYNTAX}"
        raise error(msg) from None
    if repeated:
        key = repeated[0]
        found = sorted({text.count("\n", 0, m.start()) + 1
                        for m in _key_pattern(key).finditer(text)})
        lines = (f" (lines {', '.join(map(str, found))})" if len(found) > 1
                 else f" (line {found[0]})" if found else "")
        msg = (f"{path}: cannot read the {what}: the key {quoted(key)} is given twice in one "
               f"object{lines}, and only the last would count; delete or rename one of them")
        raise error(msg)
    return Document(path, data)


def _too_deep_line(text: str) -> int | None:
    """The line where lists and objects first nest deeper than :data:`MAX_DEPTH`, if any.

    Checked before :func:`json.loads`, which recurses once per level.
    """
    bare = _JSON_STRING.sub('""', text)  # strings hold no raw newline: lines are kept
    depth = 0
    for m in _JSON_BRACKET.finditer(bare):
        depth += 1 if m.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return bare.count("\n", 0, m.start()) + 1
    return None


def _no_constant(name: str) -> Any:
    msg = f"{name} is not a JSON number"
    raise ValueError(msg)


def _key_pattern(key: str) -> re.Pattern[str]:
    return re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:")
