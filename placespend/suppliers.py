"""Supplier names: the same company however a payments file and a register write it.

A payments file says ``ACME BUILDERS LTD`` where the contracts register says ``Acme Builders
Limited``; ``Smith & Jones`` where it says ``Smith and Jones LLP``; ``Mears`` where it says
``John Mears t/a Mears``. :func:`name_forms` reduces a name to the forms it may be matched by,
and :func:`match_suppliers` writes the ``supplier_matches`` table that ``04_int_spend_lines`` joins
payments to contracts through.

Notes
-----
A name's forms: the name (and each name either side of ``t/a``, ``trading as``) in upper case,
without a leading ``The``, with ``&`` read as ``AND``, without a parenthesised company or
charity number, without punctuation, and without its legal form (``Ltd``, ``Limited``, ``PLC``,
``LLP``, ``Co``, ``Limited Liability Partnership``, … from cleanco's list of legal forms of
many countries, stripped from the end as often as they repeat, never leaving a name empty).

A payee matches a contract's supplier, in order of preference:

1. ``exact``: the payment's ``payee_key`` equals the contract's ``supplier_key`` (score 100);
2. ``normalised``: a form of the payee equals a form of the supplier (score 100);
3. ``near``: neither, but the best :func:`rapidfuzz.fuzz.ratio` between their forms is at
   least the threshold (default :data:`NEAR_MATCH_THRESHOLD`, out of 100) and they hold the
   same numbers (``Lot 1`` never nearly matches ``Lot 2``); only payees with no exact or
   normalised match to any supplier are tried, and only the best-scoring suppliers are kept.
   The score is in the table and in the build's notes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

import duckdb
import pandas as pd
from cleanco.clean import prepare_default_terms
from rapidfuzz import fuzz, process

log = logging.getLogger(__name__)

NEAR_MATCH_THRESHOLD = 90.0
"""The least :func:`rapidfuzz.fuzz.ratio` (0-100) of two normalised names for a near match:
about one wrong letter in ten (one in a name of 10 letters, two in 20; a swapped pair counts
as two), so ``MEARS`` and ``MAERS`` (80) do not match."""

MATCH_KINDS = ("exact", "normalised", "near")

# UK forms cleanco's list lacks (whole words, upper case)
_UK_FORMS = ("LIMITED LIABILITY PARTNERSHIP", "PUBLIC LIMITED COMPANY", "COMMUNITY INTEREST "
             "COMPANY", "CIC", "CIO", "LTD LIABILITY PARTNERSHIP")

_TRADING_AS = re.compile(r"\s(?:t\s*/\s*a|t\.\s*a\.|trading\s+as|trades\s+as)\s", re.IGNORECASE)
_NUMBER_NOTE = re.compile(
    r"[(\[][^()\[\]]*(?:\d{5,}|company|charity|reg(?:istered|istration)?\b|no\b|number)"
    r"[^()\[\]]*[)\]]", re.IGNORECASE)
_AMPERSAND = re.compile(r"\s*(?:&|\+)\s*")
_NOT_WORD = re.compile(r"[^\w]+")
_APOSTROPHE = re.compile(r"[.'’`]")


def name_forms(name: str | None) -> tuple[str, ...]:
    """The normalised forms a supplier name is matched by (empty for a blank name).

    >>> name_forms("The Acme Builders Limited")
    ('ACME BUILDERS',)
    >>> name_forms("J Smith t/a Smith & Sons (Company No. 01234567)")
    ('J SMITH', 'SMITH AND SONS')
    """
    if name is None:
        return ()
    text = unicodedata.normalize("NFKC", str(name))
    forms: list[str] = []
    for part in _TRADING_AS.split(f" {text} "):
        form = _one_form(part)
        if form and form not in forms:
            forms.append(form)
    return tuple(forms)


def _one_form(part: str) -> str:
    text = _NUMBER_NOTE.sub(" ", part)
    text = _AMPERSAND.sub(" and ", text)
    text = _APOSTROPHE.sub("", text)
    words = _NOT_WORD.sub(" ", text).replace("_", " ").upper().split()
    if words[:1] == ["THE"] and len(words) > 1:
        words = words[1:]
    return " ".join(_without_legal_form(words))


def _legal_forms() -> tuple[frozenset[tuple[str, ...]], int]:
    """cleanco's legal-form terms (``ltd``, ``limited``, ``plc``, ``llp``, ``gmbh``, …) in
    upper case, as word tuples; and the most words one has."""
    terms = {tuple(w.upper() for w in words) for _, words in prepare_default_terms()}
    terms |= {tuple(t.split()) for t in _UK_FORMS}
    return frozenset(terms), max(len(t) for t in terms)


_LEGAL_FORMS, _LONGEST_FORM = _legal_forms()


def _without_legal_form(words: list[str]) -> list[str]:
    """``words`` without the legal forms (and a dangling ``AND`` of ``& Co``) at their end."""
    cut = True
    while cut and len(words) > 1:
        cut = False
        if words[-1] == "AND":
            words, cut = words[:-1], True
            continue
        for n in range(min(_LONGEST_FORM, len(words) - 1), 0, -1):
            if tuple(words[-n:]) in _LEGAL_FORMS:
                words, cut = words[:-n], True
                break
    return words


@dataclass(frozen=True)
class MatchSummary:
    """What :func:`match_suppliers` found, for the build's notes."""

    normalised: tuple[tuple[str, str], ...]  # (payee, supplier) pairs matched after normalising
    near: tuple[tuple[str, str, float], ...]  # (payee, supplier, score)


def match_suppliers(
    con: duckdb.DuckDBPyConnection, threshold: float = NEAR_MATCH_THRESHOLD
) -> MatchSummary:
    """Create or replace ``supplier_matches`` from ``payments`` and ``contracts``.

    Columns: ``payee_key``, ``supplier_key``, ``payee`` and ``supplier`` (a name as written),
    ``match`` (``exact``, ``normalised`` or ``near``), ``score`` (0-100; 100 unless near).
    Grain: one row per (payee_key, supplier_key) that match. Redacted and blank payees have no
    ``payee_key`` and never match.

    Parameters
    ----------
    con
        A connection holding ``payments`` and ``contracts``.
    threshold
        The least score of a near match (``100`` or more: no near matches).
    """
    payees = con.execute(
        "select payee_key, min(payee) from payments where payee_key is not null group by 1"
    ).fetchall()
    suppliers = con.execute(
        "select supplier_key, min(supplier) from contracts where supplier_key is not null "
        "group by 1").fetchall()
    rows = _matches(payees, suppliers, threshold)
    frame = pd.DataFrame(rows, columns=["payee_key", "supplier_key", "payee", "supplier",
                                        "match", "score"])
    frame = frame.astype({"payee_key": str, "supplier_key": str, "payee": str,
                          "supplier": str, "match": str, "score": "float64"})
    con.register("_supplier_matches", frame)
    try:
        con.execute("create or replace table supplier_matches as "
                    "select * from _supplier_matches order by supplier_key, payee_key")
    finally:
        con.unregister("_supplier_matches")
    log.info("supplier_matches: %d rows", len(frame))
    return MatchSummary(
        normalised=tuple((r[2], r[3]) for r in rows if r[4] == "normalised"),
        near=tuple((r[2], r[3], r[5]) for r in rows if r[4] == "near"),
    )


def _matches(payees: list[tuple[str, str]], suppliers: list[tuple[str, str]],
             threshold: float) -> list[tuple[str, str, str, str, str, float]]:
    if not suppliers or not payees:
        return []
    by_form: dict[str, list[tuple[str, str]]] = {}
    for key, name in suppliers:
        for form in {*name_forms(name), *name_forms(key)}:
            by_form.setdefault(form, []).append((key, name))
    supplier_keys = {key: name for key, name in suppliers}
    rows: list[tuple[str, str, str, str, str, float]] = []
    unmatched: list[tuple[str, str, tuple[str, ...]]] = []
    for key, payee in payees:
        found = {}
        if key in supplier_keys:
            found[key] = (supplier_keys[key], "exact")
        forms = name_forms(payee) or name_forms(key)
        for form in forms:
            for s_key, s_name in by_form.get(form, ()):
                found.setdefault(s_key, (s_name, "normalised"))
        rows += [(key, s_key, payee, s_name, kind, 100.0)
                 for s_key, (s_name, kind) in found.items()]
        if not found and forms:
            unmatched.append((key, payee, forms))
    if threshold < 100:
        rows += _near(unmatched, by_form, threshold)
    return rows


def _near(unmatched: list[tuple[str, str, tuple[str, ...]]],
          by_form: dict[str, list[tuple[str, str]]],
          threshold: float) -> list[tuple[str, str, str, str, str, float]]:
    """Each payee's best-scoring suppliers at or above ``threshold``, among the names with the
    same numbers (``Lot 1`` is never ``Lot 2``, however alike the rest)."""
    choices: dict[tuple[str, ...], list[str]] = {}
    for form in by_form:
        choices.setdefault(_numbers(form), []).append(form)
    queries: dict[tuple[str, ...], list[tuple[int, str]]] = {}
    for i, (_, _, forms) in enumerate(unmatched):
        for form in forms:
            if _numbers(form) in choices:
                queries.setdefault(_numbers(form), []).append((i, form))
    best: dict[int, dict[str, tuple[str, float]]] = {}
    for numbers, asked_all in queries.items():
        names = choices[numbers]
        for start in range(0, len(asked_all), _CHUNK):  # a few MB of scores at a time
            asked = asked_all[start:start + _CHUNK]
            scores = process.cdist([form for _, form in asked], names, scorer=fuzz.ratio,
                                   score_cutoff=threshold, dtype="float32")
            for q, c in zip(*scores.nonzero(), strict=True):
                score = round(float(scores[q, c]), 1)
                held = best.setdefault(asked[q][0], {})
                for s_key, s_name in by_form[names[c]]:
                    if score > held.get(s_key, ("", -1.0))[1]:
                        held[s_key] = (s_name, score)
    rows = []
    for i, held in sorted(best.items()):
        top = max(score for _, score in held.values())
        key, payee, _ = unmatched[i]
        rows += [(key, s_key, payee, s_name, "near", score)
                 for s_key, (s_name, score) in sorted(held.items()) if score == top]
    return rows


_DIGITS = re.compile(r"\d+")
_CHUNK = 2000


def _numbers(form: str) -> tuple[str, ...]:
    return tuple(_DIGITS.findall(form))
