"""The boundary layers a geography is made of, and the one CRS they are kept in.

Plain data, so that code reading a built store (which records each layer's origin) needs
neither geopandas nor the boundary loader.
"""

from __future__ import annotations

from dataclasses import dataclass

#: British National Grid: every layer, atom and area is kept and measured in it.
CRS = "EPSG:27700"


@dataclass(frozen=True)
class LayerSpec:
    """What a boundary layer must hold."""

    name: str
    kind: str  # "polygon", "line" or "point"
    columns: tuple[str, ...] = ()  # required
    id_column: str | None = None
    required: bool = False


LAYERS: dict[str, LayerSpec] = {
    s.name: s
    for s in (
        LayerSpec("borough", "polygon"),
        LayerSpec("wards_display", "polygon"),
        LayerSpec("wards", "polygon", ("ward_code", "ward_name"), "ward_code", True),
        LayerSpec("small_areas", "polygon", ("area_code",), "area_code", True),
        LayerSpec("estates", "polygon", ("estate_id", "name"), "estate_id", True),
        LayerSpec("green_spaces", "polygon"),
        LayerSpec("trees", "point"),
        LayerSpec("roads", "line", ("highway",)),
        LayerSpec("waste_points", "point"),
        LayerSpec("buildings", "polygon"),
        LayerSpec("nonresidential_land", "polygon"),
    )
}
