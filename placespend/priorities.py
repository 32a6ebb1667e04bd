"""Residents' priorities as data, set beside where the estate's money goes.

A priorities file says, per estate, how residents ranked services and mission outcomes: a
survey, a consultation or a participatory budgeting vote. Two kinds are read:

- **CSV**, one row per (estate, priority, survey): ``estate`` (any id, name or alias, as
  :mod:`placespend.estate_names` resolves it), ``priority`` (a catalogue service or mission
  outcome, by id or name), ``rank`` (1 = residents' top priority) and/or ``score`` (the share of
  respondents behind it, a percentage 0-100), ``respondents`` (how many answered), ``source``
  (who asked, and how) and ``date`` (``2024-06-30``, ``30/06/2024`` or ``2024-06``); optional
  ``data`` (``SYNTHETIC DEMO DATA`` marks made-up rows) and ``comment``. Lines starting ``#``
  before the header are comments. Every row is checked and every problem is listed at once,
  naming the file, the line and what to do.
- **pabulib ``.pb``** files with votes, read by :mod:`placespend.pb_votes`: each project's
  support becomes a priority (a ``service_<id>`` project is that service; any other is an idea).

A survey is the rows of one estate, source and date. Without a ``rank``, ranks come from the
scores (highest first; equal scores share a rank). :func:`compare` sets each priority beside
the share of the estate's spend it gets in a year:

``share = spend(priority) / spend(estate)``, where a service's spend is its lines on the estate
and an outcome's is the sum over the services the catalogue links to it (a service serving two
outcomes counts in both, so outcomes' shares may add to more than 100%). ``spend_rank`` is the
priority's place by share among the survey's priorities with spend (1 = the largest share).

Imported files are kept with the data set, in ``priorities/`` beside its store
(:class:`PriorityBook`), so the dashboard and the exports find them.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from placespend import estate_names, export, paths, reads
from placespend._sql import query
from placespend.errors import InputFileError, PlacespendError, collected, quoted

REQUIRED = ("estate", "priority", "respondents", "source", "date")
RANKED_BY = ("rank", "score")
OPTIONAL = ("data", "comment")
COLUMNS = (*REQUIRED[:2], *RANKED_BY, *REQUIRED[2:], *OPTIONAL)
MAX_BYTES = 5_000_000
MAX_ROWS = 50_000
TEXT_LIMIT = 300
FOLDER_NAME = "priorities"
SUFFIXES = (".csv", ".pb")
ROW_COLUMNS = ["estate_id", "estate_name", "kind", "priority_id", "priority", "rank", "score",
               "respondents", "source", "date", "file", "line", "synthetic"]
SYNTHETIC = "SYNTHETIC DEMO DATA"  # the data column's mark for made-up rows
PACKAGE_FILES = {"template": "priorities_template.csv",
                 "demo": "priorities_SYNTHETIC_DEMO.csv"}


@dataclass(frozen=True, eq=False)
class Priorities:
    """Validated priorities: ``rows`` (``ROW_COLUMNS``), one per (survey, priority).

    ``kind`` is ``service``, ``outcome`` or ``idea`` (a project of a vote that is no service);
    ``rank`` is an int (1 = top), ``score`` a float percentage or ``None``; ``synthetic`` says a
    row is made up (the demo file's ``data`` column, or ``SYNTHETIC`` in a ``.pb`` file's META).
    """

    rows: pd.DataFrame

    @property
    def is_synthetic(self) -> bool:
        return bool(self.rows["synthetic"].any()) if len(self.rows) else False

    def for_estate(self, estate_id: str) -> Priorities:
        return Priorities(self.rows[self.rows["estate_id"] == estate_id].reset_index(drop=True))

    def surveys(self) -> pd.DataFrame:
        """One row per survey: estate, source, date, respondents, priorities, file."""
        if self.rows.empty:
            return pd.DataFrame(columns=["estate_id", "estate_name", "source", "date",
                                         "respondents", "priorities", "file", "synthetic"])
        grouped = self.rows.groupby(["estate_id", "estate_name", "source", "date", "file"],
                                    sort=False)
        return grouped.agg(respondents=("respondents", "max"), priorities=("priority", "size"),
                           synthetic=("synthetic", "any")).reset_index()


def empty() -> Priorities:
    return Priorities(pd.DataFrame(columns=ROW_COLUMNS))


def concat(parts: list[Priorities]) -> Priorities:
    frames = [p.rows for p in parts if len(p.rows)]
    return Priorities(pd.concat(frames, ignore_index=True)) if frames else empty()


def shipped_file(which: str) -> Path:
    """The shipped ``template`` (header only) or synthetic ``demo`` priorities file."""
    from placespend.paths import PACKAGE_DATA_DIR

    return PACKAGE_DATA_DIR / PACKAGE_FILES[which]


# ---- what a priority can name -------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """What a ``priority`` cell may name: the store's catalogue services and mission outcomes,
    and which services serve each outcome."""

    services: dict[str, str]  # service_id -> name
    outcomes: dict[str, str]  # outcome_id -> label
    serving: dict[str, tuple[str, ...]]  # outcome_id -> service ids

    @classmethod
    def from_store(cls, con: duckdb.DuckDBPyConnection) -> Vocabulary:
        services = query(con, "catalogue_services")
        outcomes = query(con, "catalogue_outcomes")
        serving: dict[str, list[str]] = {o: [] for o in outcomes["outcome_id"]}
        for sid, joined in zip(services["service_id"], services["outcomes"], strict=True):
            for oid in str(joined or "").split(";"):
                if oid.strip() in serving:
                    serving[oid.strip()].append(sid)
        return cls(dict(zip(services["service_id"], services["name"], strict=True)),
                   dict(zip(outcomes["outcome_id"], outcomes["label"], strict=True)),
                   {o: tuple(s) for o, s in serving.items()})

    @functools.cached_property
    def _keys(self) -> dict[str, tuple[str, str]]:
        keys: dict[str, tuple[str, str]] = {}
        for kind, names in (("outcome", self.outcomes), ("service", self.services)):
            for pid, name in names.items():
                keys[estate_names.normalise(pid.replace("_", " "))] = (kind, pid)
                keys[estate_names.normalise(name)] = (kind, pid)
        return keys

    def resolve(self, text: str) -> tuple[str, str] | None:
        """``(kind, id)`` of the service or outcome ``text`` names, else ``None``."""
        text = str(text).strip()
        if text in self.services:
            return "service", text
        if text in self.outcomes:
            return "outcome", text
        return self._keys.get(estate_names.normalise(text))

    def suggest(self, text: str) -> list[str]:
        keys = self._keys
        close = difflib.get_close_matches(estate_names.normalise(text), list(keys), n=6,
                                          cutoff=0.6)
        out: list[str] = []
        for k in close:
            name = self.label(*keys[k])
            if name not in out:
                out.append(name)
        return out[:3]

    def label(self, kind: str, pid: str) -> str:
        return self.services[pid] if kind == "service" else self.outcomes[pid]


# ---- reading a CSV ------------------------------------------------------------------------------


def read_csv(path: Path | str, con: duckdb.DuckDBPyConnection,
             display_name: str | None = None) -> Priorities:
    """Read and check a priorities CSV against the store's estates and catalogue.

    Raises
    ------
    InputFileError
        Listing every bad row (file, line, what is wrong, what to do), or what is wrong with
        the file as a whole (missing, empty, not UTF-8 text, missing or unknown columns).
    """
    path = Path(path)
    name = display_name or path.name
    text = _text(path, name)
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()
                  and not line.lstrip().startswith("#")), None)
    if first is None:
        msg = (f"{name}: no header row. Start from the template "
               f"({PACKAGE_FILES['template']}): {', '.join(COLUMNS)}.")
        raise InputFileError(msg)
    reader = csv.reader(io.StringIO("\n".join(lines[first:])))
    header = [h.strip().lower() for h in next(reader)]
    _check_header(header, f"{name}, line {first + 1}")
    index = _Memo(reads.estate_index(con))
    vocab = Vocabulary.from_store(con)
    rows: list[dict] = []
    problems: list[str] = []
    seen: dict[tuple, int] = {}
    read = reader.line_num  # lines the reader has taken so far (a quoted field may hold breaks)
    for cells in reader:
        line, read = first + read + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(f"{name}: more than {MAX_ROWS:,} rows; split the file by estate.")
            break
        if len(cells) != len(header):
            problems.append(f"{name}, line {line}: {len(cells)} fields where the header has "
                            f"{len(header)}; quote any field holding a comma.")
            continue
        record = dict(zip(header, (c.strip() for c in cells), strict=True))
        row, why = _row(record, index, vocab)
        if why:
            problems += [f"{name}, line {line}: {w}" for w in why]
            continue
        key = (row["estate_id"], estate_names.normalise(row["source"]), row["date"],
               row["kind"], row["priority_id"])
        if key in seen:
            problems.append(f"{name}, line {line}: repeats line {seen[key]} (same estate, "
                            "priority, source and date); keep one of them.")
            continue
        seen[key] = line
        rows.append({**row, "file": name, "line": line})
    if problems:
        raise collected(InputFileError, f"{name}: the priorities file has problems", problems)
    if not rows:
        msg = f"{name}: no data rows under the header; add one row per estate and priority."
        raise InputFileError(msg)
    return Priorities(_ranked(pd.DataFrame(rows)))


def _text(path: Path, name: str) -> str:
    if not path.is_file():
        msg = f"{name}: no such file; give the path of a priorities CSV or .pb file."
        raise InputFileError(msg)
    if path.stat().st_size > MAX_BYTES:
        msg = (f"{name}: {path.stat().st_size:,} bytes, more than the {MAX_BYTES:,} a "
               "priorities file may have; split it by estate.")
        raise InputFileError(msg)
    data = path.read_bytes()
    if not data.strip():
        msg = f"{name}: the file is empty. Start from the template ({PACKAGE_FILES['template']})."
        raise InputFileError(msg)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = (f"{name}: not UTF-8 text (byte {exc.start + 1}); save it from your spreadsheet "
               "as 'CSV UTF-8'.")
        raise InputFileError(msg) from exc


class _Memo:
    """An estate index that resolves each distinct text once (a survey repeats its estate)."""

    def __init__(self, index: estate_names.EstateIndex) -> None:
        self.names = index.names
        self._index = index
        self._seen: dict[str, tuple[str | None, str | None]] = {}

    def resolve(self, text: str) -> str:
        if text not in self._seen:
            try:
                self._seen[text] = (self._index.resolve(text), None)
            except PlacespendError as exc:
                self._seen[text] = (None, str(exc))
        found, problem = self._seen[text]
        if found is None:
            raise PlacespendError(problem or f"no estate {text!r}")
        return found


def _check_header(header: list[str], where: str) -> None:
    problems = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if not set(RANKED_BY) & set(header):
        problems.append("no rank or score column: give at least one")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(quoted(u) for u in unknown)} "
                        f"(the columns are {', '.join(COLUMNS)})")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        problems.append(f"column(s) given twice: {', '.join(repeated)}")
    if problems:
        msg = f"{where} (the header): " + "; ".join(problems) + "."
        raise InputFileError(msg)


def _row(record: dict[str, str], index: _Memo, vocab: Vocabulary) -> tuple[dict, list[str]]:
    why: list[str] = []
    estate_id = _estate(record["estate"], index, why)
    priority = record["priority"]
    found = vocab.resolve(priority) if priority else None
    if not priority:
        why.append("no priority: name a service or mission outcome of the catalogue.")
    elif found is None:
        close = vocab.suggest(priority)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        why.append(f"priority {quoted(priority)} is no service or mission outcome of the "
                   f"catalogue.{hint} Use a service or outcome id or name (the Method page "
                   "lists the services; the outcomes are in the catalogue).")
    before = len(why)
    rank = _whole(record.get("rank", ""), "rank", why, allow_blank=True)
    score = _score(record.get("score", ""), why)
    if rank is None and score is None and len(why) == before:
        why.append("neither rank nor score: give residents' rank (1 = top) or the share of "
                   "respondents (0-100).")
    respondents = _whole(record["respondents"], "respondents", why, allow_blank=False)
    source = record["source"]
    if not source:
        why.append("no source: say who asked and how (e.g. 'Estate survey, door to door').")
    elif len(source) > TEXT_LIMIT:
        why.append(f"the source is {len(source):,} characters; keep it to {TEXT_LIMIT}.")
    date = _date(record["date"], why)
    data = record.get("data", "")
    if data and data.strip().upper() != SYNTHETIC:
        why.append(f"data {quoted(data)}: leave it blank, or write {SYNTHETIC} for made-up "
                   "rows.")
    if why:
        return {}, why
    assert found is not None and estate_id is not None  # else `why` says what is missing
    kind, pid = found
    return {
        "estate_id": estate_id, "estate_name": index.names[estate_id], "kind": kind,
        "priority_id": pid, "priority": vocab.label(kind, pid), "rank": rank, "score": score,
        "respondents": respondents, "source": source, "date": date,
        "synthetic": data.strip().upper() == SYNTHETIC,
    }, []


def _estate(text: str, index: _Memo, why: list[str]) -> str | None:
    if not text:
        why.append("no estate: give its id, name or an alias.")
        return None
    try:
        return index.resolve(text)
    except PlacespendError as exc:
        why.append(str(exc).replace(f"'{text}'", quoted(text)))
        return None


def _whole(text: str, what: str, why: list[str], *, allow_blank: bool) -> int | None:
    cleaned = text.replace(",", "").strip()
    if not cleaned:
        if not allow_blank:
            why.append(f"no {what}: give a whole number of 1 or more.")
        return None
    if re.fullmatch(r"\d{1,9}", cleaned) and int(cleaned) >= 1:
        return int(cleaned)
    why.append(f"{what} {quoted(text)} is not a whole number of 1 or more.")
    return None


def _score(text: str, why: list[str]) -> float | None:
    cleaned = text.strip().rstrip("%").strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 100:
        why.append(f"score {quoted(text)} is not a percentage from 0 to 100 (e.g. 62 or 62%).")
        return None
    return value


_DATES = (("%Y-%m-%d", 10), ("%d/%m/%Y", 10), ("%Y-%m", 7))


def _date(text: str, why: list[str]) -> str | None:
    if not text:
        why.append("no date: give the date of the survey or vote, e.g. 2024-06-30.")
        return None
    for fmt, width in _DATES:
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not dt.date(1990, 1, 1) <= day <= dt.date.today() + dt.timedelta(days=366):
            break
        return day.isoformat()[:width] if fmt != "%d/%m/%Y" else day.isoformat()
    why.append(f"date {quoted(text)} is not a date from 1990 to next year: write 2024-06-30, "
               "30/06/2024 or 2024-06.")
    return None


def _ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill missing ranks from the scores within each survey (highest first, ties share)."""
    frame = frame.copy()
    keys = ["estate_id", "source", "date", "file"]
    by_score = frame.groupby(keys)["score"].rank(method="min", ascending=False)
    frame["rank"] = [int(r) if pd.notna(r) else int(s) if pd.notna(s) else None
                     for r, s in zip(frame["rank"], by_score, strict=True)]
    frame["score"] = [None if pd.isna(s) else float(s) for s in frame["score"]]
    return frame[ROW_COLUMNS].reset_index(drop=True)


# ---- any priorities file --------------------------------------------------------------------


def read_file(path: Path | str, con: duckdb.DuckDBPyConnection, *,
              estate: str | None = None, display_name: str | None = None) -> Priorities:
    """A CSV (:func:`read_csv`) or pabulib ``.pb`` file (:func:`placespend.pb_votes.priorities`)."""
    path = Path(path)
    if path.suffix.lower() == ".pb":
        from placespend import pb_votes

        return pb_votes.priorities(path, con, estate=estate, display_name=display_name)
    if path.suffix.lower() != ".csv":
        msg = (f"{display_name or path.name}: a priorities file is a .csv or a pabulib .pb "
               "file; rename it if it is one.")
        raise InputFileError(msg)
    return read_csv(path, con, display_name)


class PriorityBook:
    """The priorities files kept with one data set: ``priorities/`` beside its store."""

    def __init__(self, db_file: Path | str | None) -> None:
        self.folder = None if db_file is None else paths.beside_store(db_file, FOLDER_NAME)

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection) -> PriorityBook:
        """The book of the store ``con`` is open on (an empty one for an in-memory store)."""
        found = con.execute("select path from duckdb_databases() "
                            "where database_name = current_database()").fetchone()
        return cls(found[0] if found and found[0] else None)

    def files(self) -> list[Path]:
        if self.folder is None or not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir()
                      if p.suffix.lower() in SUFFIXES and not p.name.startswith("."))

    def stamp(self) -> tuple[tuple[str, int, int], ...]:
        """What the kept files are now (names, sizes, times): a cache key that changes with them."""
        return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in self.files())

    def save(self, path: Path | str, con: duckdb.DuckDBPyConnection, *,
             estate: str | None = None, name: str | None = None) -> Priorities:
        """Check ``path`` and keep a copy (a file of the same name is replaced)."""
        if self.folder is None:
            msg = "This store is in memory: priorities are kept only beside a store file."
            raise PlacespendError(msg)
        path = Path(path)
        kept = export.safe_filename(Path(name or path.name).stem) + path.suffix.lower()
        found = read_file(path, con, estate=estate, display_name=kept)
        if path.suffix.lower() == ".pb" and estate:
            kept = f"{export.safe_filename(found.rows['estate_id'].iloc[0])}__{kept}"
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".import-", suffix=".tmp")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, self.folder / kept)
        return found

    def remove(self, name: str) -> None:
        target = None if self.folder is None else self.folder / name
        if target is None or target not in self.files():
            listed = ", ".join(p.name for p in self.files()) or "none"
            msg = f"No priorities file named '{name}' is kept with this data set ({listed})."
            raise PlacespendError(msg)
        target.unlink()

    def load(self, con: duckdb.DuckDBPyConnection) -> Priorities:
        """Every kept file, checked again against the store (which may have been rebuilt)."""
        parts = []
        for path in self.files():
            estate = path.name.split("__", 1)[0] if "__" in path.name else None
            try:
                parts.append(read_file(path, con, estate=estate, display_name=path.name))
            except PlacespendError as exc:
                msg = (f"{exc}\nThis file is kept with the data set, in {self.folder}: fix it "
                       f"and import it again, or remove it (`placespend priorities remove "
                       f"{path.name}`).")
                raise InputFileError(msg) from exc
        return concat(parts)


# ---- priorities beside spend --------------------------------------------------------------------

COMPARE_COLUMNS = ["estate_id", "estate_name", "source", "date", "respondents", "rank",
                   "score", "kind", "priority_id", "priority", "spend_pence", "share",
                   "spend_rank", "said", "synthetic", "file"]


@dataclass(frozen=True, eq=False)
class Comparison:
    """One estate's priorities beside its spend in a year: ``table`` (``COMPARE_COLUMNS``),
    the estate's total, and the gaps in plain words, one sentence or two per survey."""

    estate_id: str
    estate_name: str
    financial_year: str | None
    estate_total_pence: int
    table: pd.DataFrame
    gaps: tuple[str, ...]
    synthetic: bool

    @property
    def year_text(self) -> str:
        return self.financial_year or "all years"

    def surveys(self) -> list[str]:
        """The surveys in the table, latest first, as ``"source (date)"`` labels."""
        return list(dict.fromkeys(survey_label(r) for r in self.table.itertuples()))

    def survey(self, label: str | None = None) -> pd.DataFrame:
        """The rows of one survey (the latest when ``label`` is ``None``)."""
        labels = [survey_label(r) for r in self.table.itertuples()]
        wanted = label if label in labels else (labels[0] if labels else None)
        return self.table[[x == wanted for x in labels]].reset_index(drop=True)


def survey_label(row) -> str:
    return f"{row.source} ({row.date}, {row.file})"


def compare(con: duckdb.DuckDBPyConnection, found: Priorities, estate_id: str,
            financial_year: str | None) -> Comparison:
    """Set ``estate_id``'s priorities beside the share of its spend each gets (module notes)."""
    mine = found.for_estate(estate_id)
    spend = query(con, "estate_service_spend", financial_year=financial_year,
                  estate_id=estate_id)
    by_service = dict(zip(spend["service_id"], spend["amount_pence"].astype("int64"),
                          strict=True))
    total = int(sum(by_service.values()))
    vocab = Vocabulary.from_store(con)
    name = reads.estate_index(con).names.get(estate_id, estate_id)
    table = _beside(mine.rows, by_service, total, vocab)
    surveys: dict[tuple, list[dict]] = {}
    for record in table.to_dict("records"):
        surveys.setdefault((record["source"], record["date"], record["file"]), []).append(record)
    gaps = tuple(g for survey in surveys.values() for g in _gaps(survey))
    return Comparison(estate_id, name, financial_year, total, table, gaps, mine.is_synthetic)


def _beside(rows: pd.DataFrame, by_service: dict[str, int], total: int,
            vocab: Vocabulary) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    out = rows.copy()
    out["spend_pence"] = [_spend(k, p, by_service, vocab)
                          for k, p in zip(out["kind"], out["priority_id"], strict=True)]
    out["share"] = [None if s is None else (s / total if total else 0.0)
                    for s in out["spend_pence"]]
    out["spend_rank"] = None
    has = out["spend_pence"].notna()
    if has.any():
        funded = out[has].assign(_spend=out.loc[has, "spend_pence"].astype(float))
        ranks = funded.groupby(["estate_id", "source", "date", "file"])["_spend"].rank(
            method="min", ascending=False)
        out.loc[has, "spend_rank"] = ranks.astype(int)
    out["said"] = [said(r) for r in out.itertuples()]
    out["_key"] = out["date"].map(date_key)
    out = out.sort_values(["_key", "source", "rank", "priority"],
                          ascending=[False, True, True, True], kind="stable")
    return out[COMPARE_COLUMNS].reset_index(drop=True)


def _spend(kind: str, pid: str, by_service: dict[str, int], vocab: Vocabulary) -> int | None:
    if kind == "service":
        return int(by_service.get(pid, 0))
    if kind == "outcome":
        return int(sum(by_service.get(s, 0) for s in vocab.serving.get(pid, ())))
    return None  # an idea: nothing is spent on it yet


def ordinal(n: int) -> str:
    """``1`` -> ``"1st"``, ``12`` -> ``"12th"``, ``23`` -> ``"23rd"``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def said(row) -> str:
    """``"ranked 1st by 62% of 140 respondents; 3.0% of the estate's spend"`` for a row (a
    named tuple or a Series) with ``rank``, ``score``, ``respondents`` and ``share``."""
    r = row._asdict() if hasattr(row, "_asdict") else dict(row)
    respondents = int(r["respondents"])
    who = f"{respondents:,} respondent{'s' if respondents != 1 else ''}"
    score, share = r.get("score"), r.get("share")
    backing = f"by {score:g}% of {who}" if score is not None and pd.notna(score) else f"by {who}"
    if share is None or pd.isna(share):
        spend = "an idea, not a service with spend here"
    else:
        spend = f"{share:.1%} of the estate's spend"
    return f"ranked {ordinal(int(r['rank']))} {backing}; {spend}"


def gap_words(survey: pd.DataFrame) -> list[str]:
    """The gap between what residents ranked highest and where the money goes, in words, for
    one survey's rows of a :class:`Comparison` table."""
    return _gaps(survey.to_dict("records"))


def _gaps(survey: list[dict]) -> list[str]:
    funded = [r for r in survey if r["spend_pence"] is not None and pd.notna(r["spend_pence"])]
    if not funded:
        return []
    where = f"{survey[0]['source']} ({survey[0]['date']})"

    def score(r: dict) -> float:
        return r["score"] if r["score"] is not None and pd.notna(r["score"]) else -1.0

    top = min(funded, key=lambda r: (r["rank"], -score(r)))
    most = min(funded, key=lambda r: (-r["spend_pence"], r["rank"]))
    n = len(funded)
    who = ("residents' top priority" if top["rank"] == min(r["rank"] for r in survey)
           else "the service or outcome residents ranked highest (new ideas came first)")
    if top["priority_id"] == most["priority_id"]:
        return [f"{where}: {who}, {top['priority']}, also gets the largest share of the "
                f"estate's spend of the {n} with spend ({top['share']:.1%})."]
    place = int(top["spend_rank"])
    which = "the smallest share" if place == n else f"the {ordinal(place)} largest share"
    return [
        f"{where}: {who}, {top['priority']} ({said(top)}), gets {which} of the estate's "
        f"spend of the {n} priorities with spend.",
        f"{most['priority']} gets the largest share ({most['share']:.1%}) but residents "
        f"ranked it {ordinal(int(most['rank']))}.",
    ]


# ---- across estates -----------------------------------------------------------------------------

ACROSS_COLUMNS = ["estate_id", "estate_name", "priority", "kind", "said", "share",
                  "spend_pence", "estate_total_pence", "source", "date", "synthetic"]


def across_estates(con: duckdb.DuckDBPyConnection, found: Priorities,
                   financial_year: str | None) -> pd.DataFrame:
    """Each estate's top priority and the share of the estate's spend it gets, smallest share
    first: where residents' first call gets least.

    The top priority is the first-ranked service or outcome of the estate's latest survey
    whose first rank holds one (a vote won by a new idea has no spend to set beside); between
    equal ranks, the higher score.
    """
    if found.rows.empty:
        return pd.DataFrame(columns=ACROSS_COLUMNS)
    spend = query(con, "estate_service_spend", financial_year=financial_year, estate_id=None)
    totals = spend.groupby("estate_id")["amount_pence"].sum()
    vocab = Vocabulary.from_store(con)
    rows = found.rows.assign(_key=found.rows["date"].map(date_key))
    survey = ["estate_id", "source", "date", "file"]
    first = rows[rows["rank"] == rows.groupby(survey)["rank"].transform("min")]
    first = first[first["kind"] != "idea"]
    top = (first.sort_values(["_key", "score", "priority"], ascending=[False, False, True],
                             na_position="last", kind="stable")
           .drop_duplicates("estate_id").drop(columns="_key"))
    out = []
    for estate_id, row in top.groupby("estate_id", sort=False):
        mine = spend[spend["estate_id"] == estate_id]
        by_service = dict(zip(mine["service_id"], mine["amount_pence"].astype("int64"),
                              strict=True))
        total = int(totals.get(estate_id, 0))
        table = _beside(row, by_service, total, vocab).iloc[0]
        out.append({**{c: table[c] for c in ACROSS_COLUMNS if c != "estate_total_pence"},
                    "estate_total_pence": total})
    frame = pd.DataFrame(out, columns=ACROSS_COLUMNS)
    return frame.sort_values(["share", "estate_name"], kind="stable").reset_index(drop=True)


def date_key(text: str) -> str:
    """A survey's date, sortable: ISO dates as they are, a financial year ``2024-25`` (a vote
    file without dates) as the month it starts, ``2024-04``."""
    text = str(text)
    if re.fullmatch(r"\d{4}-\d{2}", text) and int(text[5:]) > 12:
        return f"{text[:4]}-04"
    return text


def display(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison as people read it (text stays text: shown in tables only)."""
    return pd.DataFrame({
        "Residents' rank": table["rank"].astype(int),
        "Priority": table["priority"],
        "Kind": table["kind"],
        "Share of respondents (%)": table["score"],
        "Respondents": table["respondents"],
        "Spend here (£)": [None if pd.isna(p) else round(p / 100, 2)
                           for p in table["spend_pence"]],
        "Share of the estate's spend (%)": [None if pd.isna(s) else round(s * 100, 1)
                                            for s in table["share"]],
        "In words": table["said"],
        "Source": table["source"],
        "Date": table["date"],
        "Data": [SYNTHETIC if s else "" for s in table["synthetic"]],
    })


def across_display(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Estate": table["estate_name"],
        "Residents' top priority": table["priority"],
        "In words": table["said"],
        "Share of the estate's spend (%)": [round(s * 100, 1) for s in table["share"]],
        "Spend on it (£)": [round(p / 100, 2) for p in table["spend_pence"]],
        "Source": table["source"],
        "Date": table["date"],
        "Data": [SYNTHETIC if s else "" for s in table["synthetic"]],
    })


def chart(comparison: Comparison, survey: str | None = None):
    """One survey's priorities as horizontal bars in residents' rank order: the share of
    respondents behind each beside the share of the estate's spend it gets (labels escaped:
    they come from residents' files)."""
    import plotly.graph_objects as go

    from placespend.charts import readable
    from placespend.safe_text import html

    table = comparison.survey(survey)
    labels = [html(f"{ordinal(int(r))}. {p}", 60)
              for r, p in zip(table["rank"], table["priority"], strict=True)]
    fig = go.Figure()
    fig.add_bar(y=labels, x=[None if pd.isna(s) else s * 100 for s in table["share"]],
                orientation="h", name="Share of the estate's spend (%)",
                marker_color="#3b528b", hovertemplate="%{y}: %{x:.1f}% of spend<extra></extra>")
    if table["score"].notna().any():
        fig.add_bar(y=labels, x=table["score"], orientation="h",
                    name="Share of respondents (%)", marker_color="#fde725",
                    marker_line_color="#444", marker_line_width=1,
                    hovertemplate="%{y}: %{x:.0f}% of respondents<extra></extra>")
    title = "Residents' priorities beside the estate's spend"
    if comparison.synthetic:
        title += f" ({SYNTHETIC})"
    if len(table):
        title += "<br><sub>" + html(f"{table['source'].iloc[0]} ({table['date'].iloc[0]})", 120)
        title += "</sub>"
    fig.update_layout(barmode="group", title=title, xaxis_title="%",
                      yaxis={"autorange": "reversed"}, height=120 + 40 * max(len(table), 1),
                      legend={"orientation": "h", "y": -0.2}, margin={"l": 10, "r": 10})
    return readable(fig)


__all__ = [
    "Comparison",
    "Priorities",
    "PriorityBook",
    "Vocabulary",
    "across_display",
    "across_estates",
    "chart",
    "compare",
    "display",
    "gap_words",
    "ordinal",
    "read_csv",
    "read_file",
    "said",
    "shipped_file",
]
