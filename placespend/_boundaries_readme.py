"""The provenance README written next to the shipped boundary layers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from placespend._build_boundaries import BuildSummary

OGL_ONS = ("Source: Office for National Statistics licensed under the Open Government Licence "
           "v3.0. Contains OS data © Crown copyright and database right 2022.")
OGL_CENSUS = ("Contains National Statistics data © Crown copyright and database right 2011. "
              "Contains Ordnance Survey data © Crown copyright and database right 2011.")
ODBL = "© OpenStreetMap contributors"

OSM_SOURCE = ("OpenStreetMap extract of Camden, about mid-2021 (`camden.osm.pbf` from "
              "`diagonalworks/diagonal-b6`, commit 3eab6823), via the project's derived layers")

LAYERS: dict[str, tuple[str, str, str, str]] = {
    # name: (source, vintage, processing, licence)
    "borough": (OSM_SOURCE + ": relation 51827", "OSM, about mid-2021",
                "reprojected WGS84 → EPSG:27700; code E09000007", "ODbL 1.0, " + ODBL),
    "wards_display": ("ONS Wards (December 2022) Boundaries UK BSC, via R package "
                      "`jimgar/wardboundaries` (commit 97e081e4), Camden rows",
                      "wards in force since May 2022; published 2022-11-25",
                      "reprojected to EPSG:27700. Super-generalised (200 m): for maps only",
                      "OGL v3. " + OGL_ONS),
    "wards": ("Derived from `small_areas` and `wards_display`", "2022 wards on 2011 OAs",
              "each 2011 output area assigned to the BSC 2022 ward it overlaps most (nearest ward "
              "for OAs overlapping none), then dissolved: 20 OA-aligned analysis wards",
              "OGL v3. " + OGL_ONS + " " + OGL_CENSUS),
    "small_areas": ("CDRC 2011 Census Geodata pack – Camden (output areas and KS tables), as "
                    "redistributed in `namkyodai/2022-UrbanComputation-SUTD` (commit 1fd528eb)",
                    "2011 Census",
                    "749 OAs; households KS105EW0001, council_households KS402EW0005, residents "
                    "KS101EW0001, children_0_4 KS102EW0002, residents_65_plus KS102EW0014..0017 "
                    "summed, dwellings KS401EW0001; ward_code as in `wards`",
                    "OGL v3. " + OGL_CENSUS),
    "estates": ("OSM residential landuse named '… Estate' (source `osm`) and placespend census "
                "clusters (source `census_cluster`), see below", "OSM mid-2021; 2011 Census",
                "see 'How estates are built'", "ODbL 1.0, " + ODBL + " (the layer mixes OSM "
                "polygons with census-derived ones, so the whole layer is under ODbL); census "
                "parts also OGL v3: " + OGL_CENSUS),
    "green_spaces": (OSM_SOURCE + ": parks, gardens, playgrounds, pitches, grass, …",
                     "OSM, about mid-2021",
                     "clipped to the borough, simplified 0.5 m; `kind` = leisure tag, else landuse",
                     "ODbL 1.0, " + ODBL),
    "trees": (OSM_SOURCE + ": natural=tree points", "OSM, about mid-2021",
              "points inside the borough", "ODbL 1.0, " + ODBL),
    "roads": (OSM_SOURCE + ": highway ways, every class", "OSM, about mid-2021",
              "clipped to the borough, simplified 0.5 m; `length_m` measured in EPSG:27700 "
              "(the road_length key keeps vehicular classes only)", "ODbL 1.0, " + ODBL),
    "waste_points": (OSM_SOURCE + ": street furniture", "OSM, about mid-2021",
                     "amenity waste_basket, recycling or waste_disposal, inside the borough",
                     "ODbL 1.0, " + ODBL),
    "buildings": (OSM_SOURCE + ": building footprints", "OSM, about mid-2021",
                  "residential footprints only: building=residential, apartments, house, "
                  "terrace, detached, semidetached_house, flats, dormitory or bungalow, plus "
                  "building=yes whose representative point lies in an OSM landuse=residential "
                  "polygon; clipped to the borough", "ODbL 1.0, " + ODBL),
}

ESTATES_TEXT = """\
## How estates are built
1. **OSM estates** (`source = osm`, `estate_id = osm-<type>-<id>`, `osm_ref = <type>/<id>`):
   OpenStreetMap `landuse=residential` polygons whose name ends in "Estate" and whose
   representative point is in Camden, clipped to the borough. Where two overlap, the smaller
   keeps the overlap. OSM's "Estate" names include a few historic or private estates
   (e.g. Holly Lodge, Campden, Kilburn Vale Private Estate); they are kept as mapped.
2. **Census clusters** (`source = census_cluster`, `estate_id = cc-<lowest OA code>`): 2011
   output areas where `council_households / households >= 0.5`, merged where they share an
   edge, minus every OSM estate, dropping parts under 1,500 m² or narrower than 8 m, and
   dropping clusters left with fewer than 10 estimated council households. Each is named after
   its main street (longest named street inside, major through roads last; the next street, or
   one within 30 m, when another cluster has the name), plus ", by <OSM estate>" when it held
   exactly one OSM estate or shares at least 40% of its edge with one. **These are not official
   estate boundaries**: an OA is a census unit, so a cluster can include private homes and
   miss council blocks in mixed OAs; `boundary_note` says so for each.
3. `ward_codes`: the analysis wards holding at least 5% or 1,000 m² of the estate.
   `households_est` and `council_households_est` are the 2011 counts split by residential
   footprint with the engine's own atoms code (`placespend.atoms`).

No two estates overlap (checked by `placespend.boundaries.load_boundaries`).
"""


def write_readme(path: Path, summary: BuildSummary) -> None:
    """Write ``boundaries/README.md``: each layer's source, vintage, processing, licence."""
    lines = [
        "# Shipped boundaries (London Borough of Camden)",
        "",
        "Built by `scripts/build_boundaries.py` from the project's shared source data; do not "
        "edit by hand. GeoParquet, EPSG:27700 (British National Grid), coordinates rounded to "
        "0.1 m. Columns are listed in `docs/ARCHITECTURE.md`.",
        "",
        "## Attribution",
        f"- {OGL_ONS}",
        f"- {OGL_CENSUS}",
        f"- OpenStreetMap-derived layers: {ODBL}. Data available under the Open Database "
        "Licence (ODbL 1.0); these derived layers stay under ODbL.",
        "",
        "## Layers",
    ]
    for name, (source, vintage, processing, licence) in LAYERS.items():
        lines += [
            f"### `{name}.parquet` ({summary.counts.get(name, 0):,} features, "
            f"{summary.sizes_kb.get(name, 0):,.0f} KB)",
            f"- Source: {source}",
            f"- Vintage: {vintage}",
            f"- Processing: {processing}",
            f"- Licence: {licence}",
            "",
        ]
    lines += [ESTATES_TEXT, _estate_counts(summary)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _estate_counts(summary: BuildSummary) -> str:
    est = summary.estates
    if est is None:
        return ""
    by = est["source"].value_counts().to_dict()
    totals = ", ".join(f"{k} {v:,.0f}" for k, v in summary.totals.items())
    return (f"This build: {len(est)} estates ({by.get('osm', 0)} OSM, "
            f"{by.get('census_cluster', 0)} census clusters). Census totals: {totals}.\n")
