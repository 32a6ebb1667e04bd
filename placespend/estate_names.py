"""Estate names people use: aliases and the one resolver behind every estate search.

An estate has a display ``name`` and ``aliases`` (``;``-joined: its OSM name, the name with and
without "Estate", the streets it sits on). :func:`resolve` finds an estate from any of them,
ignoring case, punctuation and common abbreviations ("Rd", "St", "Gdns", "&"), and suggests the
nearest names when nothing matches. The CLI's ``--estate`` and the app's estate search both
call it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from placespend.errors import PlacespendError

ALIAS_SEPARATOR = "; "
DERIVED_SUFFIX = " (derived)"
ABBREVIATIONS = {
    "rd": "road", "st": "street", "ave": "avenue", "av": "avenue", "gdns": "gardens",
    "gdn": "garden", "sq": "square", "cres": "crescent", "pl": "place", "ln": "lane",
    "cl": "close", "ter": "terrace", "terr": "terrace", "est": "estate", "gr": "grove",
    "mt": "mount", "ct": "court", "hse": "house",
}
STREET_WORDS = (
    "road", "street", "avenue", "lane", "grove", "place", "close", "gardens", "square",
    "crescent", "terrace", "way", "walk", "row", "hill", "mews", "court", "circus", "green",
    "park", "rise", "vale", "yard", "passage",
)
SUGGESTIONS = 3
SUGGEST_CUTOFF = 0.6


def normalise(text: str) -> str:
    """Lower case, ``&`` as "and", apostrophes dropped, other punctuation as spaces,
    abbreviations spelt out, a trailing "(derived)" removed: ``"HILGROVE RD."`` ->
    ``"hilgrove road"``."""
    text = str(text).lower().replace("&", " and ")
    text = re.sub(r"\(derived\)", " ", text)
    text = re.sub(r"['’`]", "", text)
    words = re.sub(r"[^0-9a-z]+", " ", text).split()
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def name_aliases(name: str) -> list[str]:
    """Aliases a name implies: without "(derived)", with and without "Estate", and for a
    street name its first words ("Hilgrove Road" -> "Hilgrove", "Hilgrove Estate")."""
    base = str(name).removesuffix(DERIVED_SUFFIX).strip()
    base = base.split(", by ")[0].strip()
    out = [base]
    stem = re.sub(r"\s+Estate$", "", base, flags=re.IGNORECASE).strip()
    out += [stem, f"{stem} Estate"]
    words = stem.split()
    if len(words) > 1 and words[-1].lower() in STREET_WORDS:
        short = " ".join(words[:-1])
        out += [short, f"{short} Estate"]
    return unique(out)


def unique(items: Iterable[str]) -> list[str]:
    """Items in order, empty ones and repeats (after :func:`normalise`) dropped."""
    seen, out = set(), []
    for item in items:
        key = normalise(item)
        if key and key not in seen:
            seen.add(key)
            out.append(str(item).strip())
    return out


def join(aliases: Iterable[str]) -> str:
    """Aliases as the shipped ``aliases`` column holds them."""
    return ALIAS_SEPARATOR.join(unique(aliases))


def split(aliases: object) -> list[str]:
    """The ``aliases`` column back as a list (empty for a missing value)."""
    if aliases is None or (isinstance(aliases, float) and pd.isna(aliases)):
        return []
    return [a.strip() for a in str(aliases).split(";") if a.strip()]


@dataclass(frozen=True)
class EstateIndex:
    """A search index over estates: one row per (estate, normalised alias, tier).

    Tier 0 is the id, 1 the display name, 2 aliases the name implies, 3 streets and other
    aliases, 4 the streets of an estate with a name of its own (OSM): a search for a street
    finds first the estate named after it; a lower tier wins when several estates match.
    """

    names: dict[str, str]  # estate_id -> display name
    table: pd.DataFrame  # estate_id, alias, key, tier

    @classmethod
    def from_frame(cls, estates: pd.DataFrame) -> EstateIndex:
        """Build from a frame with ``estate_id``, ``name`` and optional ``aliases``."""
        rows = []
        for r in estates.itertuples():
            eid, name = str(r.estate_id), str(r.name)
            own = name_aliases(name)
            stored = split(getattr(r, "aliases", None))
            rows.append((eid, eid, eid.lower(), 0))
            rows.append((eid, name, normalise(name), 1))
            rows += [(eid, a, normalise(a), 2) for a in own]
            # an estate with its own name (OSM) is found by it first; its streets come last
            street_tier = 4 if getattr(r, "source", None) == "osm" else 3
            rows += [(eid, a, normalise(a), street_tier) for a in stored if a not in own]
        table = pd.DataFrame(rows, columns=["estate_id", "alias", "key", "tier"])
        table = table.sort_values(["tier", "estate_id"]).drop_duplicates(["estate_id", "key"])
        names = dict(zip(estates["estate_id"].astype(str), estates["name"].astype(str),
                         strict=True))
        return cls(names=names, table=table.reset_index(drop=True))

    def aliases(self, estate_id: str) -> list[str]:
        """An estate's aliases (not its id or display name), best first."""
        t = self.table[(self.table["estate_id"] == estate_id) & (self.table["tier"] >= 2)]
        return [a for a in t["alias"] if normalise(a) != normalise(self.names[estate_id])]

    def exact(self, text: str) -> list[str]:
        """Estate ids ``text`` names exactly: an id, or the estates with a name or alias equal
        to it (after :func:`normalise`) in the lowest tier that has one (empty when none)."""
        text = str(text).strip()
        if text in self.names:
            return [text]
        key = normalise(text)
        exact = self.table[self.table["key"] == key] if key else self.table.iloc[:0]
        best = exact[exact["tier"] == exact["tier"].min()]
        return sorted(set(best["estate_id"]))

    def search(self, text: str) -> list[str]:
        """Estate ids matching ``text`` best: an exact alias in the lowest tier, else the
        estates whose display name or an alias contains it (empty when none)."""
        found = self.exact(text)
        key = normalise(text)
        if found or not key:
            return found
        part = self.table[self.table["key"].str.contains(key, regex=False)
                          & (self.table["tier"] > 0)]
        for tier in sorted(set(part["tier"])):
            hits = sorted(set(part.loc[part["tier"] == tier, "estate_id"]))
            if hits:
                return hits
        return []

    def suggest(self, text: str, n: int = SUGGESTIONS) -> list[str]:
        """Display names of the estates nearest to ``text`` ("did you mean")."""
        keys = self.table[self.table["tier"] > 0]
        close = difflib.get_close_matches(normalise(text), keys["key"].unique().tolist(),
                                          n=n * 3, cutoff=SUGGEST_CUTOFF)
        out: list[str] = []
        for k in close:
            for eid in keys.loc[keys["key"] == k, "estate_id"]:
                if self.names[eid] not in out:
                    out.append(self.names[eid])
        return out[:n]

    def resolve(self, text: str) -> str:
        """The one estate id ``text`` names.

        Raises
        ------
        PlacespendError
            When several estates match (listing them) or none does (with the nearest names).
        """
        hits = self.search(text)
        if len(hits) == 1:
            return hits[0]
        if hits:
            listed = "; ".join(f"{e} ({self.names[e]})" for e in hits[:10])
            msg = f"'{text}' matches {len(hits)} estates: {listed}. Give one estate id or name."
            raise PlacespendError(msg)
        close = self.suggest(text)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        msg = f"No estate matches '{text}'.{hint} Run `placespend estates` to list them."
        raise PlacespendError(msg)
