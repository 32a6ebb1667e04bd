"""Help an officer classify the labels no rule matches, and explain the ones a rule does.

Three things, read from a built store:

- :func:`coverage`: the share of £ the rules classify, with the sentence that must go with it
  when the spend is the synthetic demo (:data:`DEMO_COVERAGE_NOTE`);
- :func:`unclassified`: the largest unclassified org unit × purpose labels, each with its top
  payees and up to three suggested services, ranked by how like it is to labels already
  classified (scikit-learn TF-IDF on word and character n-grams, cosine nearest neighbours);
- :func:`explain`: which rule classifies a label and which words of it each pattern matched.

:func:`add_rule` writes a confirmed choice as a rule into the user's own catalogue file (a
copy of the shipped one is made first if the file does not exist); the shipped catalogue is
never written.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from placespend import catalogue as catalogue_mod
from placespend import paths, reads
from placespend.errors import CatalogueError, PlacespendError, quoted

DEMO_COVERAGE_NOTE = (
    "Measured on the synthetic demo, whose spend is drawn from the very labels the catalogue "
    "was written for: it says nothing about how much of a real council's file the rules "
    "classify (see docs/CLASSIFICATION.md for real files)."
)
SUGGESTIONS = 3
MIN_SIMILARITY = 0.2
_RE2_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


@dataclass(frozen=True)
class Coverage:
    """How much of the store's spend the rules classify (gross £)."""

    lines: int
    classified_lines: int
    gross_pence: int
    classified_gross_pence: int
    is_demo: bool

    @property
    def share(self) -> float:
        return self.classified_gross_pence / self.gross_pence if self.gross_pence else 1.0

    def sentence(self) -> str:
        """The figure as a sentence, with the demo caveat when the spend is synthetic."""
        text = (f"Rules classify {self.share:.1%} of spend by £ ({self.classified_lines:,} of "
                f"{self.lines:,} lines).")
        return f"{text} {DEMO_COVERAGE_NOTE}" if self.is_demo else text


def coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    """The store's classification coverage."""
    row = con.execute(
        """
        select count(*), count(*) filter (where service_id <> 'unclassified'),
               coalesce(sum(abs(amount_pence)), 0)::bigint,
               coalesce(sum(abs(amount_pence)) filter (where service_id <> 'unclassified'),
                        0)::bigint
        from spend_lines
        """
    ).fetchone()
    lines, classified, gross, classified_gross = row or (0, 0, 0, 0)
    return Coverage(int(lines), int(classified), int(gross), int(classified_gross),
                    is_demo=reads.is_demo(con))


def _labels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every org unit × purpose with its £, lines, top payees and its service (or None)."""
    return con.execute(
        """
        with lines as (
            select p.org_unit, p.purpose, p.payee, abs(p.amount_pence) as pence,
                   nullif(s.service_id, 'unclassified') as service_id
            from spend_lines as s
            inner join payments as p using (row_id)
        ),
        payees as (
            select org_unit, purpose, payee, sum(pence) as pence
            from lines where payee is not null
            group by all
        ),
        top_payees as (
            select org_unit, purpose,
                   string_agg(payee, ' | ' order by pence desc, payee) as payees
            from (select *, row_number() over (partition by org_unit, purpose
                                               order by pence desc, payee) as n
                  from payees)
            where n <= 3
            group by all
        ),
        final as (
            select l.org_unit, l.purpose, count(*) as lines, sum(l.pence)::bigint as gross_pence,
                   mode(l.service_id) as service_id,
                   count(l.service_id) = 0 as unclassified
            from lines as l
            group by all
        )
        select f.*, t.payees
        from final as f
        left join top_payees as t
            on f.org_unit is not distinct from t.org_unit
            and f.purpose is not distinct from t.purpose
        order by f.gross_pence desc, f.org_unit, f.purpose
        """
    ).df()


def _text(org_unit: object, purpose: object) -> str:
    return " ".join(str(v) for v in (org_unit, purpose) if isinstance(v, str))


def unclassified(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """The largest labels no rule matches, with suggestions.

    Returns columns ``org_unit``, ``purpose``, ``lines``, ``gross_pence``, ``payees`` (top three
    by £) and ``suggestions``: up to :data:`SUGGESTIONS` ``(service_id, similarity)`` pairs,
    best first, from the classified labels most like this one.

    Notes
    -----
    Each label is the text "org unit purpose", vectorised by TF-IDF over word unigrams and
    bigrams and character 3–5-grams (so *Grounds Maint.* is near *Grounds Maintenance*). A
    service's score is its best cosine similarity to a classified label; services under
    :data:`MIN_SIMILARITY` are not offered.
    """
    labels = _labels(con)
    todo = labels[labels["unclassified"]].head(limit).reset_index(drop=True)
    done = labels[~labels["unclassified"]].reset_index(drop=True)
    todo["suggestions"] = suggest(todo, done)
    return todo[["org_unit", "purpose", "lines", "gross_pence", "payees", "suggestions"]]


def suggest(todo: pd.DataFrame, done: pd.DataFrame) -> list[list[tuple[str, float]]]:
    """Up to three services for each row of ``todo``, from the labelled rows of ``done``."""
    if todo.empty or done.empty:
        return [[] for _ in range(len(todo))]
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    known = [_text(o, p) for o, p in zip(done["org_unit"], done["purpose"], strict=True)]
    asked = [_text(o, p) for o, p in zip(todo["org_unit"], todo["purpose"], strict=True)]
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(known + asked)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(
        known + asked)

    def vectors(texts: list[str]):
        return hstack([words.transform(texts), chars.transform(texts)]).tocsr()

    sims = cosine_similarity(vectors(asked), vectors(known)) / 2  # two blocks, each unit length
    services = done["service_id"].to_numpy()
    out: list[list[tuple[str, float]]] = []
    for row in sims:
        best: dict[str, float] = {}
        for j in row.argsort()[::-1]:
            if row[j] < MIN_SIMILARITY or len(best) == SUGGESTIONS:
                break
            best.setdefault(str(services[j]), float(row[j]))
        out.append(sorted(best.items(), key=lambda kv: -kv[1]))
    return out


# ---- explain ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """Why one org unit × purpose × payee got its service."""

    org_unit: str | None
    purpose: str | None
    payee: str | None
    gross_pence: int
    rule_no: int | None
    service_id: str | None
    matched: tuple[tuple[str, str, str], ...]  # (field, pattern, the words it matched)

    def sentence(self) -> str:
        label = " / ".join(v or "(blank)" for v in (self.org_unit, self.purpose))
        if self.rule_no is None:
            return f"{label}: no rule matches; it is unclassified (and excluded)."
        why = "; ".join(f"{f} {quoted(w)} matches {quoted(p)}" for f, p, w in self.matched)
        return f"{label}: rule {self.rule_no} gives {self.service_id}, because {why}."


def _store_rules(con: duckdb.DuckDBPyConnection) -> list[catalogue_mod.Rule]:
    rows = con.execute(
        "select rule_no, service_id, org_unit_pattern, purpose_pattern, payee_pattern "
        "from rules order by rule_no").fetchall()
    strip = catalogue_mod.CASE_INSENSITIVE
    return [catalogue_mod.Rule(n, s, *(p.removeprefix(strip) if p else None for p in pats))
            for n, s, *pats in rows]


def explain(con: duckdb.DuckDBPyConnection, label: str, limit: int = 10) -> list[Explanation]:
    """Explain how the lines whose org unit or purpose contains ``label`` are classified.

    ``label`` is matched case-insensitively as text; ``ORG UNIT / PURPOSE`` narrows to both.
    One explanation per distinct (org unit, purpose, payee rule outcome), largest £ first.
    """
    org_part, _, purpose_part = label.partition(" / ") if " / " in label else ("", "", label)
    rows = con.execute(
        """
        select p.org_unit, p.purpose, p.payee, abs(p.amount_pence) as pence
        from payments as p
        where (contains(lower(coalesce(p.org_unit, '')), lower($org))
               and contains(lower(coalesce(p.purpose, '')), lower($purpose)))
           or ($org = '' and contains(lower(coalesce(p.org_unit, '')), lower($purpose)))
        """,
        {"org": org_part.strip(), "purpose": purpose_part.strip()},
    ).df()
    rules = _store_rules(con)
    groups: dict[tuple, list] = {}
    for r in rows.itertuples(index=False):
        values = tuple(None if pd.isna(v) else v for v in (r.org_unit, r.purpose, r.payee))
        rule = next((x for x in rules if x.matches(*values)), None)
        key = (values[0], values[1], rule.rule_no if rule else None)
        entry = groups.setdefault(key, [values, rule, 0])
        entry[2] += int(r.pence)
    out = [_explanation(values, rule, pence) for values, rule, pence in groups.values()]
    return sorted(out, key=lambda e: -e.gross_pence)[:limit]


def _explanation(values: tuple, rule: catalogue_mod.Rule | None, pence: int) -> Explanation:
    matched: list[tuple[str, str, str]] = []
    if rule is not None:
        for name, pattern, value in zip(catalogue_mod.MATCH_FIELDS, rule.patterns(), values,
                                        strict=True):
            if pattern is not None:
                hit = re.search(pattern, str(value), re.IGNORECASE)
                matched.append((name, pattern, hit.group(0) if hit else ""))
    return Explanation(values[0], values[1], values[2], pence,
                       rule.rule_no if rule else None, rule.service if rule else None,
                       tuple(matched))


# ---- writing a confirmed choice ---------------------------------------------------------------


def exact_pattern(text: str) -> str:
    """An RE2 pattern matching exactly ``text`` (case-insensitively, as all rules do)."""
    return "^" + _RE2_SPECIAL.sub(r"\\\1", text.strip()) + "$"


def _yaml_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def add_rule(path: Path, service_id: str, org_unit: str | None, purpose: str | None,
             why: str) -> Path:
    """Write a rule giving ``service_id`` to exactly this org unit × purpose into ``path``.

    ``path`` is the user's own catalogue; if it does not exist it starts as a copy of the
    shipped one. The rule goes at the end of the rules section (the label was unclassified,
    so no earlier rule matched it), with ``why`` as its comment. The file is checked after
    writing and restored if the catalogue no longer loads.

    Raises
    ------
    PlacespendError
        ``path`` is the shipped catalogue, or the service is not in the catalogue.
    CatalogueError
        The catalogue does not load with the new rule (it is left as it was).
    """
    path = Path(path).expanduser().resolve()
    if path == paths.CATALOGUE_PATH.resolve():
        msg = (f"{path} is the shipped catalogue, which placespend never edits; pass your own "
               "file with --catalogue (it starts as a copy of the shipped one).")
        raise PlacespendError(msg)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths.CATALOGUE_PATH, path)
    cat = catalogue_mod.load_catalogue(path)
    if service_id not in {s.id for s in cat.services}:
        msg = (f"service {quoted(service_id)} is not in {path}; choose one of "
               f"{', '.join(s.id for s in cat.services)}.")
        raise PlacespendError(msg)
    if not (org_unit or purpose):
        raise PlacespendError("a rule needs an org unit or a purpose to match; both are blank.")
    before = path.read_text(encoding="utf-8")
    lines = [f"  # {_one_line(why)}", f"  - service: {service_id}"]
    if org_unit:
        lines.append(f"    org_unit: {_yaml_quoted(exact_pattern(org_unit))}")
    if purpose:
        lines.append(f"    purpose: {_yaml_quoted(exact_pattern(purpose))}")
    path.write_text(_insert_rule(before, "\n".join(lines) + "\n"), encoding="utf-8")
    try:
        catalogue_mod.load_catalogue(path)
    except CatalogueError:
        path.write_text(before, encoding="utf-8")
        raise
    return path


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def _insert_rule(text: str, rule: str) -> str:
    """``text`` with ``rule`` added as the last entry of the top-level ``rules:`` list."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, s in enumerate(lines) if s.rstrip() == "rules:"), None)
    if start is None:
        return text.rstrip("\n") + "\n\nrules:\n" + rule
    end = next((i for i in range(start + 1, len(lines))
                if lines[i][:1] not in ("", " ", "\n", "#", "\t") and lines[i].strip()),
               len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # keep the blank line before the next section
    head = "".join(lines[:end])
    if not head.endswith("\n"):
        head += "\n"
    return head + rule + "".join(lines[end:])


# ---- rebuilding with the user's catalogue -----------------------------------------------------


def rebuild_inputs(con: duckdb.DuckDBPyConnection, catalogue: Path):
    """The inputs the store was built from, with ``catalogue`` in place of its catalogue.

    The demo's spend is generated again (from the same seed), so it is left out; a user's
    spend files must still be where they were.
    """
    from placespend.build import BuildInputs, read_build_info

    info = read_build_info(con)
    given = info.get("inputs") or {}
    spend = () if info.get("is_demo") else tuple(Path(p) for p in info.get("spend_files", []))
    missing = [str(p) for p in spend if not p.exists()]
    if missing:
        msg = (f"cannot rebuild: the spend files this store was built from are gone "
               f"({', '.join(missing)}); build again with --spend and --catalogue {catalogue}.")
        raise PlacespendError(msg)
    names = ("contracts", "contracts_mapping", "boundaries", "estates", "wards", "small_areas",
             "mapping")
    optional: dict[str, Any] = {k: Path(given[k]) for k in names if k in given}
    return BuildInputs(spend=spend, catalogue=Path(catalogue), **optional)


def rebuild(db_path: Path, catalogue: Path, home: Path | None = None) -> Coverage:
    """Rebuild the store at ``db_path`` with the user's ``catalogue``; its new coverage."""
    from placespend import build, store

    with store.connect(db_path) as con:
        inputs = rebuild_inputs(con, catalogue)
    build.build(home or db_path.parent, inputs, db_path=db_path)
    with store.connect(db_path) as con:
        return coverage(con)
