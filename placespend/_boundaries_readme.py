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
    "estates": ("OSM residential landuse named '… Estate' (source `osm`) and estates derived "
                "by placespend from OSM building footprints and 2011 Census tenure (source "
                "`derived_from_blocks`), see below", "OSM mid-2021; 2011 Census",
                "see 'How estates are built'", "ODbL 1.0, " + ODBL + " (OSM polygons and "
                "outlines derived from OSM footprints and land use); census parts also OGL v3: "
                + OGL_CENSUS),
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
    "nonresidential_land": (OSM_SOURCE + " (raw `camden.osm.pbf`, multipolygons): land an "
                            "estate must not take", "OSM, about mid-2021",
                            "`kind`: water (natural=water, water=*, waterway=*), park "
                            "(leisure=park), campus (amenity=university or college), railway, "
                            "commercial, retail (landuse); simplified 0.5 m, dissolved per kind, "
                            "clipped to the borough", "ODbL 1.0, " + ODBL),
}

ESTATES_TEXT = """\
## How estates are built
Rebuild with `make boundaries` (or `python scripts/build_boundaries.py --source ../shared/data`);
two builds from the same source write identical files.

1. **OSM estates** (`source = osm`, `estate_id = osm-<type>-<id>`, `osm_ref = <type>/<id>`):
   OpenStreetMap `landuse=residential` polygons whose name ends in "Estate" and whose
   representative point is in Camden, clipped to the borough, kept as mapped. Where two overlap,
   the smaller keeps the overlap; one holding more than 10% of railway, commercial, retail,
   campus, park or water land loses that land (its note says so). OSM's "Estate" names include
   a few historic or private estates (e.g. Holly Lodge, Campden, Kilburn Vale Private Estate).
2. **Estates derived from homes** (`source = derived_from_blocks`, `estate_id = db-<first
   block's OSM id>`): residential building footprints outside OSM estates and outside railway,
   campus, park and water land (homes over shops count), in 2011 output areas where at least
   8% of households rent from the council. Blocks within 30 m of each other, or within 60 m on
   the same addressed street, are grouped, never across a main road (secondary or above). A
   group is kept when one of its blocks lies in an output area where at least 25% rent from
   the council (the borough: 23%), or its footprint-weighted share is at least 15%. Its outline
   is the land within 10 m of its blocks plus the residential land use closing gaps of up to
   50 m between them, minus railway, commercial, retail, campus, park and water land (but for
   its own footprints), OSM estates, main-road carriageways (6 m either side) and every home
   outside the group; **never the output area's edge**. An estate that would still hold more
   than 10% of such land gives it all up; parts under 200 m² or narrower than 4 m are dropped,
   and so are estates with fewer than 10 estimated council households. Each is named after its
   main street, plus ", by <OSM estate>" when it shares at least 40% of its edge with one.
   **These are not official estate boundaries**: council renting is known per output area
   (about 125 households), so a derived estate also takes in the private homes among its
   blocks; `boundary_note` says how each was made.
3. `aliases`: the names people search for (`; `-joined): the name with and without "Estate"
   and its street's first words ("Hilgrove Road" -> "Hilgrove", "Hilgrove Estate"), then the
   streets the estate sits on. `placespend export --estate` and the app's search accept any of
   them, ignoring case and punctuation (`placespend.estate_names`).
4. `ward_codes`: the analysis wards holding at least 5% or 1,000 m² of the estate.
   `households_est` and `council_households_est` are the 2011 counts split by residential
   footprint with the engine's own atoms code (`placespend.atoms`). `nonresidential_share`: the
   share of the estate's area in `nonresidential_land`.

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
            f"{by.get('derived_from_blocks', 0)} derived from blocks). Census totals: "
            f"{totals}.\n\n" + coverage_text(est, summary.totals.get("council_households", 0)))


def coverage_text(est, council_total: float) -> str:
    """The coverage section: overall figures, then one row per estate."""
    covered = est["council_households_est"].sum()
    share = est["nonresidential_share"].astype(float)
    area = est["area_m2"].astype(float)
    lines = [
        "## Coverage",
        f"- Council-renting households (2011, split inside each output area by residential "
        f"footprint) inside an estate: **{covered:,.0f} of {council_total:,.0f} "
        f"({covered / council_total:.1%})** (target: at least 85%).",
        f"- Households of every tenure inside an estate: {est['households_est'].sum():,.0f}.",
        f"- Area in railway, commercial, retail, campus, park or water land: "
        f"**{(share * area).sum() / area.sum():.2%} overall; at most {share.max():.1%} in any "
        f"estate**; {int((share > 0.10).sum())} estates over 10% (target: none).",
        "",
        "| Estate | Source | Council households (est.) | Households (est.) | Area (m²) | "
        "Non-residential land |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in est.sort_values(["council_households_est", "estate_id"],
                             ascending=[False, True]).itertuples():
        lines.append(f"| {r.name} | {r.source} | {r.council_households_est:,.0f} | "
                     f"{r.households_est:,.0f} | {r.area_m2:,.0f} | "
                     f"{r.nonresidential_share:.1%} |")
    return "\n".join(lines) + "\n"
