"""The whole view in the address bar: the choices a shared link carries beyond the sidebar.

The sidebar's widgets (page, estate, year, services, outcome, data set) are drawn on every
page and bound to the URL by Streamlit. The choices made on one page (the map's palette,
basemap and measure, the estate page's tab, Sankey toggle and payment-line drill-down, the PB
pot's services, the estates compared) are drawn only there, and Streamlit drops a widget's
URL parameter, and its value, while the widget is not drawn. So the app keeps them here for
the session, restores them when their page is drawn again, and writes them all to the URL on
every run: a link copied on any page reopens every choice.

This module holds the settings and their URL encoding; ``app.py`` applies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from placespend.estate_names import EstateIndex

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class Setting:
    """A view choice kept in the URL under ``key`` (also the widget's session-state key)."""

    key: str
    # "one" (text), "many" (the parameter repeated), "flag" (true/false) or "estates" (estate
    # ids, written in the URL by the names the estate picker shows, the parameter repeated)
    kind: str = "one"
    help: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("metric", help="Map: colour estates by total £ or £ per household"),
    Setting("palette", help="Map: colour palette"),
    Setting("basemap", "flag", help="Map: the web basemap is on"),
    Setting("tab", help="Estate: the open tab"),
    Setting("sankey_elsewhere", "flag", help="Estate: the Sankey shows spend landing elsewhere"),
    Setting("drill", help="Estate: the service whose payment lines are listed"),
    Setting("pot", "many", help="PB pot: the services in the pot, when not the delegable ones"),
    Setting("estates", "estates", help="Compare: the estates side by side (by name)"),
    Setting("compare_by", help="Compare: the by-service chart's measure"),
)
KEYS: tuple[str, ...] = tuple(s.key for s in SETTINGS)
_BY_KEY = {s.key: s for s in SETTINGS}
# Where from_query puts the estate names a link holds that name no one estate (never a URL
# parameter): (the name as written, why), for the page to say.
UNMATCHED = "estates_unmatched"


@dataclass(frozen=True)
class Unmatched:
    """An estate name in a link that names no one estate: ``matches`` (display names) when it
    names several, else ``suggestions`` (the nearest names, may be empty)."""

    text: str
    matches: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()

    def message(self) -> str:
        """In plain words, the name quoted as written."""
        if self.matches:
            return (f"“{self.text}” names {len(self.matches)} estates "
                    f"({', '.join(self.matches[:5])}): pick the one you meant.")
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"No estate is called “{self.text}”.{hint}"


def from_query(params: Mapping[str, Sequence[str]],
               estate_labels: Mapping[str, str] | None = None,
               estate_index: EstateIndex | None = None) -> dict[str, object]:
    """The settings a URL's query parameters hold (each parameter's values, as
    ``st.query_params.get_all`` gives them); anything unreadable is left out. Estates are read
    by the names in ``estate_labels`` (id -> name; an id works too) or, with ``estate_index``,
    by any name or alias it knows exactly; a name that matches no one estate is listed under
    :data:`UNMATCHED` as an :class:`Unmatched`, never dropped silently.

    >>> from_query({"palette": ["viridis"], "basemap": ["true"], "estates": ["Oak", "E9"]},
    ...            {"E1": "Oak", "E9": "Elm"})
    {'palette': 'viridis', 'basemap': True, 'estates': ['E1', 'E9']}
    """
    out: dict[str, object] = {}
    for setting in SETTINGS:
        values = [str(v) for v in params.get(setting.key, ()) if str(v).strip()]
        if not values:
            continue
        if setting.kind == "estates":
            ids, unmatched = _estate_ids(values, estate_labels or {}, estate_index)
            if ids:
                out[setting.key] = ids
            if unmatched:
                out[UNMATCHED] = unmatched
        elif setting.kind == "many":
            out[setting.key] = list(dict.fromkeys(values))
        elif setting.kind == "flag":
            word = values[-1].strip().lower()
            if word in _TRUE or word in _FALSE:
                out[setting.key] = word in _TRUE
        else:
            out[setting.key] = values[-1]
    return out


def _estate_ids(texts: Sequence[str], labels: Mapping[str, str], index: EstateIndex | None
                ) -> tuple[list[str], list[Unmatched]]:
    by_label = {label: eid for eid, label in labels.items()}
    found: list[str] = []
    unmatched: list[Unmatched] = []
    for text in texts:
        eid = by_label.get(text, text if text in labels else None)
        hits = [eid] if eid is not None else (index.exact(text) if index else [])
        hits = [h for h in hits if not labels or h in labels]
        if len(hits) == 1:
            found.append(hits[0])
        elif hits:
            unmatched.append(Unmatched(text, tuple(labels.get(h, h) for h in hits)))
        else:
            near = tuple(index.suggest(text)) if index else ()
            unmatched.append(Unmatched(text, suggestions=near))
    return list(dict.fromkeys(found)), unmatched


def to_query(values: Mapping[str, Any],
             estate_labels: Mapping[str, str] | None = None) -> dict[str, str | list[str]]:
    """The query parameters for the settings in ``values``; a setting at its default (None,
    False, an empty list) is left out, so a plain view keeps a short URL. Estates are written
    by their names in ``estate_labels``.

    >>> to_query({"palette": "viridis", "basemap": False, "estates": ["E1", "E9"]},
    ...          {"E1": "Oak", "E9": "Elm"})
    {'palette': 'viridis', 'estates': ['Oak', 'Elm']}
    """
    labels = estate_labels or {}
    out: dict[str, str | list[str]] = {}
    for key, value in values.items():
        setting = _BY_KEY.get(key)
        if setting is None or value is None or value is False:
            continue
        if setting.kind in ("many", "estates"):
            listed = [str(labels.get(v, v)) if setting.kind == "estates" else str(v)
                      for v in value]
            if listed:
                out[key] = listed
        elif setting.kind == "flag":
            out[key] = "true"
        else:
            out[key] = str(value)
    return out


def valid(key: str, value: object, options: Iterable[object] | None) -> object:
    """``value`` kept for ``key`` if the widget can show it: one of ``options`` (a list keeps
    the ones that are), a flag as a bool; else None (the widget's own default then applies)."""
    setting = _BY_KEY[key]
    if setting.kind == "flag":
        return value if isinstance(value, bool) else None
    if options is None:
        return value
    allowed = list(options)
    if setting.kind in ("many", "estates"):
        kept = [v for v in value if v in allowed] if isinstance(value, list) else []
        return kept or None
    return value if value in allowed else None
