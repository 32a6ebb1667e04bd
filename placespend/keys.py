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
        Key("residential_footprint", "m²", "Residential building footprint (OSM)", False),
        Key("green_space", "m²", "Green space area (OSM)", False),
        Key("trees", "trees", "Street and park trees (OSM)", False),
        Key("road_length", "m", "Road length, vehicular classes (OSM)", False),
        Key("waste_points", "points", "Litter bins and recycling points (OSM)", False),
    )
}

CENSUS_KEYS: tuple[str, ...] = tuple(k for k, v in KEYS.items() if v.census)
FALLBACK_KEY = "area"
