"""Whose geography a store was built on: the borough's code and name, where each layer came
from, and the words that follow from it (licence lines, key fall-backs, accuracy caveats).

A build records a :class:`Geography` in ``build_info``; the exports read it back with
:func:`read`, so a council's own wards are never labelled with Camden's code, OpenStreetMap
licence or Camden's measured errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from placespend import _texts
from placespend.errors import BoundaryError
from placespend.keys import FALLBACK_KEY, KEYS
from placespend.layers import LAYERS
from placespend.store import read_build_info

if TYPE_CHECKING:
    from placespend.boundaries import Boundaries

DERIVED_CODE = "BOROUGH"
CAMDEN_CODE, CAMDEN_NAME = "E09000007", "Camden"
ONS_LAYERS = ("wards", "wards_display", "small_areas")
OSM_LAYERS = ("borough", "estates", "green_spaces", "trees", "roads", "waste_points",
              "buildings", "nonresidential_land")
LAYER_WORDS = {"borough": "borough outline", "wards_display": "display wards",
               "small_areas": "small areas and census counts", "green_spaces": "green space",
               "waste_points": "waste points", "nonresidential_land": "non-residential land",
               "estates": "estate outlines"}
NOT_MEASURED = (
    "The key errors and low-high ranges were measured on 2011 Census truth for the shipped "
    "boundaries only (docs/ACCURACY.md); they were not measured on this geography (your own "
    "wards or small areas), so no error figure is quoted for it and each range borrows the "
    "shipped spread of errors as a rough guide."
)


@dataclass(frozen=True)
class Geography:
    """The borough a store describes and the origin of each boundary layer.

    ``layers`` maps each layer that was read to ``"shipped"`` or the name of the user's file;
    ``borough_source`` says where the code and name came from.
    """

    borough_code: str = CAMDEN_CODE
    borough_name: str = CAMDEN_NAME
    borough_source: str = "shipped borough layer"
    user_geography: bool = False
    layers: dict[str, str] = field(default_factory=lambda: dict.fromkeys(LAYERS, "shipped"))

    @property
    def borough_label(self) -> str:
        """E.g. ``'Camden (E09000007)'``."""
        return f"{self.borough_name} ({self.borough_code})"


def from_boundaries(b: Boundaries, code: str | None = None, name: str | None = None
                    ) -> Geography:
    """The geography of ``b``; code and name from the options, else the borough layer, else a
    single ``borough_code`` / ``borough_name`` of the wards file, else derived (code
    ``BOROUGH``, name from the wards file's name).

    Raises
    ------
    BoundaryError
        When an option is blank or the wards file holds several borough codes or names.
    """
    layers = {n: "shipped" if n in b.shipped_layers else Path(p).name
              for n, p in b.sources.items()}
    found = [("--borough-code/--borough-name", {"borough_code": code, "borough_name": name})]
    for layer in ("borough", "wards"):
        frame = getattr(b, layer)
        found.append((f"{layer} layer ({layers.get(layer, 'none')})",
                      {c: _single(frame, c, b.sources.get(layer, layer))
                       for c in ("borough_code", "borough_name")}))
    chosen, origin = {}, []
    for where, values in found:
        for col, value in values.items():
            if col not in chosen and value is not None:
                if not str(value).strip():
                    msg = f"{where}: {col} is blank; give the borough's {col.split('_')[1]}"
                    raise BoundaryError(msg)
                chosen[col] = str(value).strip()
                if where not in origin:
                    origin.append(where)
    wards_file = layers.get("wards", "wards")
    return Geography(
        borough_code=chosen.get("borough_code", DERIVED_CODE),
        borough_name=chosen.get("borough_name", f"Wards in {wards_file}"),
        borough_source=", ".join(origin) or "derived: no borough code or name was given (use "
        "--borough-code and --borough-name, or borough_code and borough_name in the wards file)",
        user_geography=b.user_geography,
        layers=layers,
    )


def _single(frame, column: str, source: str) -> str | None:
    if column not in frame.columns or not len(frame):
        return None
    values = frame[column].dropna().astype(str).str.strip().unique()
    if len(values) > 1:
        msg = (f"{source}: column {column} holds {len(values)} values "
               f"({', '.join(sorted(values)[:3])}, …); one build is one borough: give "
               "--borough-code and --borough-name, or drop the column")
        raise BoundaryError(msg)
    return str(values[0]) if len(values) else None


def licence_lines(geo: Geography) -> tuple[str, ...]:
    """One line per licence the layers carry: the ONS and OpenStreetMap lines only for layers
    that came from the shipped folder, and one line per user file naming its layers."""
    if all(v == "shipped" for v in geo.layers.values()) and set(geo.layers) >= set(LAYERS):
        return _texts.LICENCES
    shipped = [n for n, v in geo.layers.items() if v == "shipped"]
    lines = []
    ons = [n for n in shipped if n in ONS_LAYERS]
    if ons:
        lines.append(f"{_words(ons)} (shipped): Open Government Licence v3.0. Contains "
                     "National Statistics data © Crown copyright and database right 2011. "
                     "Contains OS data © Crown copyright and database right 2022.")
    osm = [n for n in shipped if n in OSM_LAYERS]
    if osm:
        lines.append(f"{_words(osm)} (shipped): © OpenStreetMap contributors, Open Database "
                     "Licence (ODbL) 1.0.")
    by_file: dict[str, list[str]] = {}
    for name, origin in geo.layers.items():
        if origin != "shipped":
            by_file.setdefault(origin, []).append(name)
    for file, names in by_file.items():
        lines.append(f"{_words(names)}: from the user's file {file}; attribution and licence "
                     "as its supplier gives them.")
    return tuple(lines)


def _words(layers) -> str:
    words = [LAYER_WORDS.get(n, n.replace("_", " ")) for n in layers]
    text = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
    return text[:1].upper() + text[1:]


def fallback_notes(services, count_fallbacks: Mapping[str, str],
                   layer_fallbacks: Mapping[str, str]) -> list[str]:
    """One note per key that falls back to area, naming why and the services it affects.

    ``count_fallbacks``: census keys the small areas lack; ``layer_fallbacks``: key -> the
    context layer not given.
    """
    notes = []
    for key in KEYS:
        if key in layer_fallbacks:
            layer = layer_fallbacks[key]
            why = (f"no {layer} layer was given (--{layer.replace('_', '-')}, or "
                   f"{layer}.parquet in --boundaries)")
            how = f"spend keyed on {key} is shared by {FALLBACK_KEY} instead"
        elif key in count_fallbacks:
            why = f"the small areas file has no '{key}' counts"
            how = f"key {key} carries {FALLBACK_KEY} instead"
        else:
            continue
        main = [f"{s.id} ({s.name})" for s in services if s.place_based and s.key == key]
        alt = [s.id for s in services if s.place_based and key in s.alt_keys]
        parts = ([f"main key of {', '.join(main)}"] if main else []) + (
            [f"alternative key of {', '.join(alt)}"] if alt else [])
        affects = "; ".join(parts) or "no service in the catalogue uses it"
        notes.append(f"Key {key} falls back to {FALLBACK_KEY}: {why}, so {how} ({affects}).")
    return notes


def to_info(geo: Geography) -> dict:
    """The geography as ``build_info`` keeps it."""
    return asdict(geo)


def read(con: duckdb.DuckDBPyConnection) -> Geography:
    """The geography a store was built on (a store built before it was recorded: the shipped
    Camden geography, which was then the only one with a borough code)."""
    info = read_build_info(con).get("geography")
    return Geography(**info) if isinstance(info, dict) else Geography()


def measured_here(geo: Geography) -> bool:
    """Whether the shipped key errors were measured on this geography."""
    return not geo.user_geography
