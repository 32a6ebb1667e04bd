"""Guess a column mapping for a council's spend file from its header words and its values.

A council's "spend over £500" file names its columns its own way (``Net Amount``, ``Paid
Date``, ``Supplier Name``, ``Expenses Type``, ``Service Area``, …). :func:`suggest_mapping`
reads the header and a sample of rows and scores every column for every field by two kinds of
evidence, each between 0 and 1:

- **words**: how well the column's name matches the names councils use for that field
  (an exact known name 1.0, a known word inside the name 0.6);
- **values**: what the column holds (the share of values that are amounts, dates, names, ids
  unique to their row, or labels repeated over many rows).

A field's confidence is the mean of the two; each column goes to at most one field, the
best-scored pairs first. Date formats are found from the values: day first unless a value
proves month first. The result prints as a mapping YAML with the confidence and the evidence
for every field in comments, for a person to check before building.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from placespend import _dates, _parse
from placespend.errors import InputFileError, UnknownLayoutError, quoted, where

FIELDS = ("date", "amount", "payee", "purpose", "org_unit", "transaction_id",
          "capital_or_revenue")
REQUIRED = ("date", "amount", "payee")

# Column names English councils use, per field (compared after lower-casing and collapsing
# punctuation to spaces). An exact match counts fully, a contained word or phrase partly.
NAMES: dict[str, tuple[str, ...]] = {
    "date": ("date", "payment date", "paid date", "invoice payment date", "date paid",
             "transaction date", "posting date", "invoice date", "pay date", "cheque date"),
    "amount": ("amount", "net amount", "amount gbp", "nett amount", "value", "amount paid",
               "invoice nett amount", "net value", "total", "line amount", "payment amount",
               "amount excluding vat", "gbp", "£"),
    "payee": ("supplier name", "supplier", "payee", "beneficiary", "beneficiary name",
              "vendor", "vendor name", "creditor", "creditor name", "payee name", "merchant"),
    "purpose": ("expenses type", "expense type", "expenditure category", "purpose",
                "description", "expense description", "subjective", "subjective description",
                "account description", "category", "expenditure type", "spend category",
                "expense area", "cost element", "detailed expenditure type"),
    "org_unit": ("service area", "department", "directorate", "service",
                 "organisational unit", "cost centre", "cost centre description", "division",
                 "portfolio", "service division", "service area categorisation"),
    "transaction_id": ("transaction number", "trans no", "transaction id", "reference",
                       "transaction reference", "invoice number", "payment reference",
                       "unique identifier", "voucher number", "document number", "trans ref"),
    "capital_or_revenue": ("type of expenditure", "capital or revenue", "capital revenue",
                           "revenue or capital", "revenue capital", "cap rev", "capex opex"),
}
WORDS: dict[str, tuple[str, ...]] = {
    "date": ("date",),
    "amount": ("amount", "value", "gbp", "net"),
    "payee": ("supplier", "payee", "beneficiary", "vendor", "creditor"),
    "purpose": ("expense", "expenditure", "purpose", "description", "subjective", "category"),
    "org_unit": ("service", "department", "directorate", "division", "cost centre", "unit"),
    "transaction_id": ("transaction", "trans", "reference", "invoice no", "number", "identifier"),
    "capital_or_revenue": ("capital", "revenue", "capex"),
}

# Candidate date formats, day first: all use only the codes a mapping accepts.
DATE_FORMATS = _parse.FALLBACK_DATE_FORMATS  # day first, and those that read one way only
MONTH_FIRST = _dates.MONTH_FIRST_NUMERIC

SAMPLE_ROWS = 2000
_READ_BYTES = 4 * 2**20
_DOUBLE_BOM = "\u00ef\u00bb\u00bf"  # a UTF-8 byte-order mark decoded as Windows-1252


@dataclass(frozen=True)
class FieldGuess:
    """The column guessed for one field, how sure, and why."""

    field: str
    column: str
    confidence: float
    why: str


@dataclass(frozen=True)
class Suggestion:
    """A mapping guessed for one file."""

    path: Path
    header_line: int
    delimiter: str
    columns: tuple[str, ...]
    guesses: dict[str, FieldGuess]
    date_formats: tuple[str, ...]
    rows_sampled: int
    notes: tuple[str, ...] = field(default=())

    @property
    def missing(self) -> tuple[str, ...]:
        """Required fields no column could be found for."""
        return tuple(f for f in REQUIRED if f not in self.guesses)

    def mapping(self) -> dict[str, object]:
        """The suggestion as a mapping dictionary (what the YAML holds)."""
        out: dict[str, object] = {"name": _slug(self.path.stem)}
        for name in FIELDS:
            if name in self.guesses:
                out[name] = self.guesses[name].column
        if self.date_formats and not self.dates_found_by_build:
            out["date_formats"] = list(self.date_formats)
        return out

    @property
    def dates_found_by_build(self) -> bool:
        """Whether a build finds these date formats from the values itself (the common
        day-first layouts, or month first when proven), so the mapping need not list them."""
        found = set(self.date_formats)
        return found <= set(DATE_FORMATS) or found <= set(_dates.MONTH_FIRST_FORMATS)

    def yaml(self) -> str:
        """A column mapping YAML with the evidence for each field in comments."""
        lines = [
            f"# Column mapping suggested by placespend for {self.path.name}",
            f"# (header on line {self.header_line}, {self.rows_sampled:,} rows sampled). Check "
            "every field, then build with --mapping.",
            f"name: {json.dumps(_slug(self.path.stem))}",
        ]
        for name in FIELDS:
            guess = self.guesses.get(name)
            if guess is None:
                hint = "required: name the column" if name in REQUIRED else "optional"
                lines.append(f"# {name}: (no column found; {hint})")
                continue
            lines.append(f"{name}: {json.dumps(guess.column, ensure_ascii=False)}"
                         f"  # confidence {guess.confidence:.0%}: {guess.why}")
        if self.date_formats and self.dates_found_by_build:
            lines.append(f"# date_formats: {json.dumps(list(self.date_formats))}  # optional: "
                         "the build finds these from the values")
        elif self.date_formats:
            lines.append(f"date_formats: {json.dumps(list(self.date_formats))}")
        lines.extend(f"# note: {n}" for n in self.notes)
        return "\n".join(lines) + "\n"


def suggest_mapping(path: Path | str, sample_rows: int = SAMPLE_ROWS) -> Suggestion:
    """Guess a column mapping for the spend file at ``path``.

    Raises
    ------
    InputFileError
        When the file is not text or has no line that looks like a header.
    """
    path = Path(path)
    with path.open("rb") as f:
        data = f.read(_READ_BYTES)
    if not data.strip():
        msg = f"{where(path)}the file is empty; download the export again."
        raise InputFileError(msg)
    problem = _parse.not_text(data[:4096])
    if problem is not None:
        kind, fix = problem
        msg = f"{where(path)}this is {kind}, not a CSV file. {fix}."
        raise InputFileError(msg)
    text, _ = _parse.decode(data)
    lines = _parse.split_lines(text)
    if len(data) == _READ_BYTES:
        lines = lines[:-1]  # the last line read may be cut
    found = _header(lines)
    if found is None:
        msg = (f"{where(path)}no line in the first {_parse.HEADER_SEARCH_LINES} looks like a "
               "header followed by rows of the same width; check that this is the export.")
        raise InputFileError(msg)
    index, delimiter, header = found
    rows = [r for r in csv.reader(lines[index + 1: index + 1 + sample_rows],
                                  delimiter=delimiter) if any(c.strip() for c in r)]
    columns = [_clean(h) for h in header]
    values = [[r[i].strip() if i < len(r) else "" for r in rows] for i in range(len(columns))]
    scores = {(f, i): _score(f, columns[i], values[i]) for f in FIELDS
              for i in range(len(columns)) if columns[i]}
    guesses = _assign(scores, columns)
    formats: tuple[str, ...] = ()
    notes: list[str] = []
    if "transaction_id" in guesses:
        notes.append(_uniqueness(guesses["transaction_id"].column,
                                 values[columns.index(guesses["transaction_id"].column)]))
    if "date" in guesses:
        formats, note = date_formats(values[columns.index(guesses["date"].column)])
        notes.extend([note] if note else [])
    return Suggestion(path, index + 1, delimiter, tuple(columns), guesses, formats, len(rows),
                      tuple(notes))


# A file for which fewer of the required fields are found does not look like a spend export:
# it gets the plain "no header row" error, not a suggestion to fill in.
MIN_REQUIRED_FOUND = 2
CUT_START = "# ---- mapping.yaml: suggested by placespend, from the next line ----"
CUT_END = "# ---- end of the suggested mapping ----"


def unknown_layout_error(
    found: Sequence[UnknownLayoutError],
    mappings: Sequence[_parse.MappingLike],
    *,
    given: bool,
    presets: Sequence[_parse.MappingLike] = (),
) -> UnknownLayoutError:
    """The error for spend files whose header fits none of ``mappings``, with a mapping
    suggested for the first of them that looks like a spend export.

    The message names the file, the header line, the fields each candidate mapping lacks (the
    presets' when ``given`` is false, else the given mapping's), any required field no column
    was found for, a preset the header fits when the given mapping does not, the suggested
    YAML between two comment lines (so it can be saved as it is)
    and the commands to save it and build with it. When no file looks like spend (fewer than
    :data:`MIN_REQUIRED_FOUND` of date, amount and payee found), the first error is returned
    as it was.
    """
    for exc in found:
        guess = _usable_suggestion(exc.path)
        # A header holding every column of a candidate was not found where a build looks
        # for it (after a huge first line, say): a suggestion would not help.
        if guess is not None and all(lacking(m, guess.columns) for m in mappings):
            break
    else:
        return found[0]
    assert exc.path is not None  # a suggestion was read from it
    path = exc.path
    headline = _headline(path, guess, mappings, given, presets)
    others = [Path(e.path or "").name for e in found if e is not exc]
    if others:
        headline += (f" {len(others):,} other file(s) fit no layout either ("
                     f"{', '.join(map(quoted, others[:5]))}{', …' if len(others) > 5 else ''}): "
                     "one mapping reads them all, so a field may list the names it has in "
                     "each (amount: [Net Amount, Amount]).")
    msg = (
        f"{headline}\nA column mapping suggested from its header and values (check every "
        "field: each says how sure the guess is and why):\n"
        f"{CUT_START}\n{guess.yaml()}{CUT_END}\n"
        "Fix: save the lines between the two marks as mapping.yaml (or run: placespend mapping "
        f"suggest {path} --out mapping.yaml), check each field, then build with --mapping "
        "mapping.yaml (in the app: review the suggestion on the upload page and build with it)."
    )
    return UnknownLayoutError(msg, path=path, suggestion=guess, headline=headline)


def _usable_suggestion(path: Path | None) -> Suggestion | None:
    if path is None:
        return None
    try:
        guess = suggest_mapping(path)
    except InputFileError:
        return None
    return guess if len(REQUIRED) - len(guess.missing) >= MIN_REQUIRED_FOUND else None


def _headline(path: Path, guess: Suggestion, mappings: Sequence[_parse.MappingLike],
              given: bool, presets: Sequence[_parse.MappingLike]) -> str:
    """Which file, which header line, and what each candidate mapping lacks in it."""
    lacks = {m.name: lacking(m, guess.columns) for m in mappings}
    if given:
        ((name, missing),) = lacks.items()
        fits = f"does not fit the column mapping {quoted(name)}: it lacks {missing}"
    else:
        fits = "fits no layout placespend knows: " + "; ".join(
            f"{name} lacks {missing}" for name, missing in lacks.items())
    text = (f"{where(path)}no header row with the mapped columns; line {guess.header_line} looks "
            f"most like a header, with columns {_parse.shown_columns(list(guess.columns))}, and "
            f"it {fits}.")
    fitting = [p.name for p in presets if given and not lacking(p, guess.columns)]
    if fitting:
        text += (f" It is laid out as the preset {quoted(fitting[0])}, which placespend "
                 "recognises: leave the mapping out (or write 'preset: "
                 f"{fitting[0]}').")
    if guess.missing:
        text += (f" No column was found for {', '.join(guess.missing)}: name "
                 f"{'it' if len(guess.missing) == 1 else 'them'} in the mapping by hand (a "
                 "column, or constants: {payee: ...}).")
    return text


def lacking(mapping: _parse.MappingLike, columns: Sequence[str]) -> str:
    """The fields (and unique key columns) of ``mapping`` none of whose names is among
    ``columns``, as ``amount ('Net Amount' or 'Amount')``, comma-separated."""
    normed = {_parse.norm_header(c) for c in columns}
    fields = mapping.alternatives()
    missing = [f"{name} ({' or '.join(map(quoted, names))})" for name, names in fields.items()
               if not any(_parse.norm_header(n) in normed for n in names)]
    missing += [f"the unique key's column {quoted(c)}" for c in mapping.unique
                if c not in fields and _parse.norm_header(c) not in normed]
    return ", ".join(missing)


def _uniqueness(column: str, values: Sequence[str]) -> str:
    """Whether the id column could be declared the file's unique key, in words."""
    ids = [v for v in values if v]
    repeated = len(ids) - len(set(ids))
    if repeated:
        return (f"'{column}' repeats in {repeated:,} of {len(ids):,} sampled rows (one invoice, "
                "several lines): it is shown beside each line, but it is not a unique key, so "
                "repeats are accepted")
    return (f"'{column}' did not repeat in {len(ids):,} sampled rows; if it is one per payment "
            "line, add 'unique: [transaction_id]' so that a repeated line is quarantined")


def date_formats(values: Sequence[str]) -> tuple[tuple[str, ...], str | None]:
    """The fewest formats that read every non-blank value, in the order a build would read
    them (day first unless some value can only be month first and none only day first; see
    placespend._dates), and a note when the order was decided, is in doubt, or values fit
    none."""
    present = [v for v in values if v]
    if not present:
        return (), None
    day_first = [f for f in DATE_FORMATS if f.startswith("%d") and "%m" in f]
    day_only = [v for v in present if _only(v, day_first, MONTH_FIRST)]
    month_only = [v for v in present if _only(v, MONTH_FIRST, day_first)]
    candidates = _dates.MONTH_FIRST_FORMATS if month_only and not day_only else DATE_FORMATS
    left = set(present)
    chosen: list[str] = []
    while left:
        best = max(candidates, key=lambda fmt: sum(_fits(v, fmt) for v in left))
        read = {v for v in left if _fits(v, best)}
        if not read:
            break
        chosen.append(best)
        left -= read
    note = None
    if left:
        note = f"{len(left):,} distinct date values fit no known format, e.g. {sorted(left)[0]!r}"
    if month_only and day_only:
        note = (f"some dates can only be day first (e.g. {day_only[0]!r}) and some only month "
                f"first (e.g. {month_only[0]!r}): say which in date_formats")
    elif month_only:
        note = (f"dates are month first: e.g. {month_only[0]!r} can only be month first; "
                "check the export's order")
    return tuple(chosen), note


def _only(text: str, these: Sequence[str], not_those: Sequence[str]) -> bool:
    """Whether ``text`` reads in one of ``these`` formats and in none of ``not_those``."""
    return any(_fits(text, f) for f in these) and not any(_fits(text, f) for f in not_those)


def _fits(text: str, fmt: str) -> bool:
    try:
        parsed = datetime.strptime(text, fmt)
    except ValueError:
        return False
    return _parse.EARLIEST_YEAR <= parsed.year <= _parse.LATEST_YEAR


def _clean(name: str) -> str:
    return name.replace("\ufeff", "").replace(_DOUBLE_BOM, "").strip()


def _norm(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z£]+", " ", _clean(name).casefold()).split())


def _header(lines: Sequence[str]) -> tuple[int, str, list[str]] | None:
    """The first line, of the first 60, with at least three named fields whose next lines
    split into about as many fields (with the same delimiter)."""
    for i, line in enumerate(lines[: _parse.HEADER_SEARCH_LINES]):
        for delimiter in _parse.DELIMITERS:
            if delimiter not in line:
                continue
            header = _parse.split_fields(line, delimiter)
            named = [h for h in header if _clean(h)]
            if len(named) < 3 or any(_looks_like_data(h) for h in named):
                continue
            following = [r for r in csv.reader(lines[i + 1: i + 21], delimiter=delimiter)
                         if any(c.strip() for c in r)]
            fitting = [r for r in following if len(named) - 1 <= len(r) <= len(header) + 2]
            if following and len(fitting) >= 0.7 * len(following):
                return i, delimiter, header
    return None


def _looks_like_data(text: str) -> bool:
    """An amount or a date: a header names its columns, it does not hold values."""
    value = _clean(text)
    return _parse.amount_problem(value) is None or any(_fits(value, f) for f in DATE_FORMATS)


def _score(name: str, column: str, values: list[str]) -> tuple[float, str]:
    words, word_why = _word_score(name, column)
    fit, value_why = _value_score(name, values)
    if fit == 0:
        return 0.0, value_why
    return (words + fit) / 2, f"{word_why}; {value_why}"


def _word_score(name: str, column: str) -> tuple[float, str]:
    normed = _norm(column)
    if normed in NAMES[name]:
        return 1.0, f"'{column}' is a usual name for it"
    if any(re.search(rf"\b{re.escape(w)}\b", normed) for w in (*WORDS[name], *NAMES[name])):
        return 0.6, f"'{column}' has a usual word for it"
    return 0.0, f"'{column}' is not a usual name for it"


def _value_score(name: str, values: list[str]) -> tuple[float, str]:
    present = [v for v in values if v]
    if not present:
        return 0.0, "the column is empty"
    n = len(present)
    share = n / len(values)
    distinct = len(set(present)) / n
    amounts = sum(_parse.amount_problem(v) is None for v in present) / n
    dated = max(sum(_fits(v, f) for v in present[:300])
                for f in (*DATE_FORMATS, *MONTH_FIRST)) / min(n, 300)
    lettered = sum(bool(re.search(r"[A-Za-z]{2}", v)) for v in present) / n
    if name == "amount":
        decimals = sum("." in v for v in present) / n
        fit = amounts * (1.0 if decimals > 0.05 or distinct > 0.3 else 0.5)
        return fit, f"{amounts:.0%} of values are amounts"
    if name == "date":
        return dated, f"{dated:.0%} of values are dates"
    if name == "transaction_id":
        fit = share * min(1.0, distinct / 0.5) * (1 - dated)
        return fit, f"{distinct:.0%} of values distinct"
    if name == "capital_or_revenue":
        readable = sum(capital_or_revenue(v) is not None for v in present) / n
        fit = readable if readable >= 0.9 and len(set(present)) <= 10 else 0.0
        return fit, f"{readable:.0%} of values read as capital or revenue"
    if amounts > 0.9 or dated > 0.5:
        return 0.0, "the values are numbers or dates"
    if name == "payee":
        fit = lettered * share * (1.0 if distinct > 0.05 else 0.5)
        return fit, f"{distinct:.0%} of {n:,} names distinct"
    # purpose and org unit: labels repeated over many rows, but more than one (a column
    # holding one value, such as the council's own name, says nothing about the line)
    labels = len(set(present))
    repeated = 0.2 if labels == 1 else 1.0 if distinct < 0.3 else 0.5
    return lettered * share * repeated, f"{labels:,} distinct labels"


def capital_or_revenue(text: str) -> str | None:
    """``'capital'``, ``'revenue'`` or ``None``: the lenient reading the build applies
    (``pipelines/04_int_spend_lines.sql``): letters only, any case; ``cap…``, ``capex``, ``c``
    are capital, ``rev…``, ``opex``, ``r`` revenue."""
    letters = re.sub(r"[^a-z]", "", text.lower())
    if letters.startswith("cap") or letters in ("c", "capex"):
        return "capital"
    if letters.startswith("rev") or letters in ("r", "opex"):
        return "revenue"
    return None


def _assign(scores: dict[tuple[str, int], tuple[float, str]], columns: list[str]
            ) -> dict[str, FieldGuess]:
    """Best-scored (field, column) pairs first, each field and column used once."""
    ranked = sorted(((s, why, f, i) for (f, i), (s, why) in scores.items() if s >= 0.4),
                    key=lambda t: (-t[0], FIELDS.index(t[2]), t[3]))
    out: dict[str, FieldGuess] = {}
    used: set[int] = set()
    for score, why, name, i in ranked:
        if name in out or i in used:
            continue
        out[name] = FieldGuess(name, columns[i], round(score, 2), why)
        used.add(i)
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "council"
