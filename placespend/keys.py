"""The apportionment keys: what a pound can be shared out in proportion to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """An apportionment key: a quantity measured on every atom."""

    name: str
    unit: str
    label: str
    census: bool  # a census count split inside an output area, rather than measured geometry
    layer: str | None = None  # the boundary layer a measured key is read from


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("area", "m²", "Land area", False),
        Key("households", "households", "Households (2011 Census)", True),
        Key("council_households", "households", "Households renting from the council", True),
        Key("residents", "people", "Usual residents", True),
        Key("children_0_4", "people", "Children aged 0–4", True),
        Key("residents_65_plus", "people", "Residents aged 65+", True),
        Key("dwellings", "dwellings", "Dwellings", True),
        Key("residential_footprint", "m²", "Residential building footprint (OSM)", False,
            "buildings"),
        Key("green_space", "m²", "Green space area (OSM)", False, "green_spaces"),
        Key("trees", "trees", "Street and park trees (OSM)", False, "trees"),
        Key("road_length", "m", "Road length, vehicular classes (OSM)", False, "roads"),
        Key("waste_points", "points", "Litter bins and recycling points (OSM)", False,
            "waste_points"),
    )
}

CENSUS_KEYS: tuple[str, ...] = tuple(k for k, v in KEYS.items() if v.census)
FALLBACK_KEY = "area"
LAYER_KEYS: dict[str, str] = {k.layer: k.name for k in KEYS.values() if k.layer}
"""Context layer -> the key measured on it (a missing layer makes its key fall back to area)."""
