"""The schema of a column-mapping file, and its problems in words a user can act on.

A mapping file is read by :mod:`placespend._yaml` (limits, no code) and validated here by one
pydantic model before anything uses it: every wrong type (a list where a column name belongs,
a number, null, a mapping as a constant), missing field and unknown key is collected, and
:func:`validate` raises one :class:`~placespend.errors.InputFileError` naming the file, the
line, the field and the fix of each. What the fields mean together (a column given twice, a
constant for a mapped field, date formats DuckDB cannot read) is checked by
:class:`placespend.ingest.ColumnMapping` itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Sized
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from placespend._yaml import Document
from placespend.errors import InputFileError, collected, quoted

MAX_NAME_CHARS = 100
MAX_FORMATS = 20
MAX_CONSTANTS = 3  # payee, purpose, org_unit
MAX_ALTERNATIVES = 10  # names one field may have across a council's files
MAX_UNIQUE = 4  # placespend.ingest.MAX_UNIQUE_COLUMNS (checked there, with its own message)

# field: (what it must be, an example). Kept as data, so every message about a field says
# the same thing.
FIELDS: dict[str, tuple[str, str]] = {
    "preset": ("the name of a built-in mapping (text), alone", "preset: lambeth"),
    "name": (f"a label of at most {MAX_NAME_CHARS} characters (text)", "name: hackney"),
    "date": ("the name of the payment date column (text), or a list of the names it has in "
             "different files", "date: Payment Date, or date: [Payment Date, Date Paid]"),
    "amount": ("the name of the amount column (text), or a list of the names it has in "
               "different files", "amount: Amount GBP, or amount: [Net Amount, Amount]"),
    "payee": ("the name of the supplier column (text), or a list of its names",
              "payee: Supplier Name, or constants: {payee: ...}"),
    "purpose": ("the name of the column saying what was bought (text), or a list of its names",
                "purpose: Expense Type"),
    "org_unit": ("the name of the column saying who bought it (text), or a list of its names",
                 "org_unit: Service Area"),
    "transaction_id": ("the name of the payment or invoice reference column (text), or a list "
                       "of its names", "transaction_id: Reference"),
    "capital_or_revenue": ("the name of the column saying capital or revenue (text), or a "
                           "list of its names", "capital_or_revenue: Type of Expenditure"),
    "unique": ("a column name, or a list of the columns whose values together identify one "
               "payment line", "unique: [TransNo, Seq no], or unique: transaction_id"),
    "date_formats": ("a strptime format, or a list of them",
                     "date_formats: ['%d/%m/%Y', '%Y-%m-%d']"),
    "constants": ("a mapping of field: text", "constants: {org_unit: Housing}"),
}
_REQUIRED = ("preset", "date", "amount")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "blank text")
    return value


def _short_name(value: str) -> str:
    if len(value) > MAX_NAME_CHARS:
        raise PydanticCustomError("too_long", "too long")
    return value


_Text = Annotated[str, AfterValidator(_not_blank)]
_Names = list[_Text]  # one name is read as a list of one (see MappingFile._one_name)
COLUMN_FIELDS = (
    "date", "amount", "payee", "purpose", "org_unit", "transaction_id", "capital_or_revenue",
)


def _as_list(value: Any, most: int, *, empty_too: bool = False) -> Any:
    """Text as a list of one; a list longer than ``most`` (or empty) as one problem."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and (len(value) > most or (empty_too and not value)):
        raise PydanticCustomError("too_many" if value else "empty_list",
                                  "too many" if value else "empty")
    return value


class _Fields(BaseModel):
    """Shared by both shapes: no coercion (strict), no unknown keys, no nulls."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null", "null")
        return value


class PresetFile(_Fields):
    """``preset: camden``: a built-in mapping, and nothing else."""

    preset: _Text


class MappingFile(_Fields):
    """A council's own layout (see :class:`placespend.ingest.ColumnMapping` for the fields)."""

    name: Annotated[_Text, AfterValidator(_short_name)] | None = None
    date: _Names
    amount: _Names
    payee: _Names | None = None
    purpose: _Names | None = None
    org_unit: _Names | None = None
    transaction_id: _Names | None = None
    capital_or_revenue: _Names | None = None
    unique: list[_Text] | None = None
    date_formats: list[_Text] | None = None
    constants: dict[str, _Text] | None = None

    @field_validator(*COLUMN_FIELDS, mode="before")
    @classmethod
    def _one_name(cls, value: Any) -> Any:
        return _as_list(value, MAX_ALTERNATIVES, empty_too=True)

    @field_validator("unique", mode="before")
    @classmethod
    def _one_column(cls, value: Any) -> Any:
        return _as_list(value, MAX_UNIQUE, empty_too=True)

    @field_validator("date_formats", mode="before")
    @classmethod
    def _one_format(cls, value: Any) -> Any:
        return _as_list(value, MAX_FORMATS)  # too many: one problem, not one per item

    @field_validator("constants", mode="before")
    @classmethod
    def _few_constants(cls, value: Any) -> Any:
        if isinstance(value, dict) and len(value) > MAX_CONSTANTS:
            raise PydanticCustomError("too_many", "too many")
        return value


def validate(doc: Document) -> PresetFile | MappingFile:
    """The mapping file's fields, checked against the schema.

    Raises
    ------
    InputFileError
        Naming the file and, for every problem, the line, the field and the fix.
    """
    data = doc.data
    if not isinstance(data, dict):
        msg = (f"{doc.path}: a column mapping must be a mapping of keys such as 'date: ...', "
               f"not {quoted(data)}; see the example in README.md")
        raise InputFileError(msg)
    odd = [k for k in data if not isinstance(k, str)]
    model = PresetFile if "preset" in data else MappingFile
    problems = [_unknown(doc, odd, model)] if odd else []
    try:
        fields = model.model_validate({k: v for k, v in data.items() if isinstance(k, str)})
    except ValidationError as exc:
        problems += _problems(doc, exc, model)
    if problems:
        raise collected(InputFileError, f"{doc.path}: the column mapping is not usable",
                        problems)
    return fields


def _problems(doc: Document, exc: ValidationError, model: type[_Fields]) -> list[str]:
    problems: list[str] = []
    unknown: list[Any] = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if len(loc) > 1 and isinstance(doc.data.get(loc[0]), str):
            loc = loc[:1]  # one text read as a list of one: the problem is the text's
        if error["type"] == "extra_forbidden":
            unknown.append(loc[0])
            continue
        problems.append(_at(doc, loc, _says(error, loc)))
    if unknown:
        problems.insert(0, _unknown(doc, unknown, model))
    return problems


def _says(error: ErrorDetails, loc: tuple[str | int, ...]) -> str:
    field = str(loc[0])
    want, example = FIELDS[field]
    kind, value = error["type"], error.get("input")
    size = len(value) if isinstance(value, Sized) else 0
    if kind == "missing":
        return f"'{field}' is missing; give {want}, e.g. {example}"
    name = _located(loc)
    if kind == "null":
        optional = "" if field in _REQUIRED else ", or leave the key out"
        return f"'{name}' is empty (null); give {want}, e.g. {example}{optional}"
    if loc[-1] == "[key]":
        return (f"'{_located(loc[:-2])}' has the key {quoted(value)}, but its keys must be "
                "text: payee, purpose or org_unit")
    if kind == "blank":
        return f"'{name}' is blank; give {want}, e.g. {example}"
    if kind == "too_long":
        return f"'{name}' is {size:,} characters long; give {want}, e.g. {example}"
    if kind == "too_many":
        most = {"date_formats": MAX_FORMATS, "constants": MAX_CONSTANTS,
                "unique": MAX_UNIQUE}.get(field, MAX_ALTERNATIVES)
        return f"'{name}' holds {size:,} entries, more than {most}; e.g. {example}"
    if kind == "empty_list":
        return f"'{name}' is an empty list; give {want}, e.g. {example}"
    if field == "date_formats" and len(loc) > 1:
        want = "a strptime format (text)"
    elif field in (*COLUMN_FIELDS, "unique") and len(loc) > 1:
        want = "a column name (text)"
    elif field == "constants" and len(loc) > 1:
        want = "text"
    shown = "empty (null)" if value is None else quoted(value)
    hint = ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "text" in want:
        hint = f" (put it in quotes to keep it as text: '{value}')"
    return f"'{name}' must be {want}, not {shown}{hint}; e.g. {example}"


def _located(loc: tuple[str | int, ...]) -> str:
    """``date_formats item 2``, ``constants.payee``: where in the file the value sits."""
    name = str(loc[0])
    for part in loc[1:]:
        name += f" item {part + 1}" if isinstance(part, int) else f".{part}"
    return name


def _at(doc: Document, loc: tuple[str | int, ...], text: str) -> str:
    parts = [p for p in loc if p != "[key]"]
    line = doc.line(*parts) or doc.line(*parts[:1])
    return f"line {line}: {text}" if line else text


def _unknown(doc: Document, keys: list[Any], model: type[_Fields]) -> str:
    allowed = sorted(model.model_fields)
    shown = ", ".join(quoted(k) for k in keys[:10]) + (", …" if len(keys) > 10 else "")
    close = difflib.get_close_matches(str(keys[0])[:100], allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if model is PresetFile:
        text = (f"unknown keys [{shown}] beside 'preset'; a preset is a whole mapping: give "
                f"either 'preset' alone or the columns without it")
    else:
        text = f"unknown keys [{shown}]{hint}; allowed keys are {allowed}"
    line = doc.line(str(keys[0]))
    return f"line {line}: {text}" if line else text
