"""Write ``placespend/data/census_zones.csv``: each 2011 output area's LSOA and MSOA, and each
LSOA's mid-2020 population estimate (maintainers only; the output is committed).

Sources (see ../shared/data/README.md beside the repository): the CDRC 2011 Census
Geodata pack for Camden
(``Camden_{oa11,lsoa11,msoa11}.shp``, OGL v3) and ONS small-area population estimates for
mid-2020 by LSOA (``london-mid2020-pop.csv`` from ``jamesdamillington/london-data``, OGL v3;
they overstate Camden's total, so placespend uses them as relative weights only). An OA is put
in the LSOA and MSOA holding its representative point.

Run: ``python scripts/build_census_zones.py [SHARED_DATA_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from placespend import paths, settings

OUT = paths.PACKAGE_DATA_DIR / "census_zones.csv"


def main(data: Path) -> Path:
    shp = data / "camden_census2011_cdrc" / "shapefiles"
    oa = gpd.read_file(shp / "Camden_oa11.shp").to_crs(27700)
    points = oa.set_geometry(oa.representative_point())
    for level, code in (("lsoa", "LSOA11CD"), ("msoa", "MSOA11CD")):
        zones = gpd.read_file(shp / f"Camden_{level}11.shp").to_crs(27700)
        points = gpd.sjoin(points, zones[[code, "geometry"]], predicate="within").drop(
            columns="index_right")
    pop = pd.read_csv(data / "london_census_geographies_2021" / "london-mid2020-pop.csv")
    pop = pop.set_index("LSOA11CD")["Persons_All-Ages"]
    out = pd.DataFrame({"area_code": points["OA11CD"], "lsoa_code": points["LSOA11CD"],
                        "msoa_code": points["MSOA11CD"]})
    out["lsoa_population_mid2020"] = out["lsoa_code"].map(pop).astype("Int64")
    out = out.sort_values("area_code", ignore_index=True)
    OUT.write_text(out.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return OUT


if __name__ == "__main__":
    # the source folder: the first argument, else $PLACESPEND_SOURCE_DATA, else ../shared/data
    default = settings.SOURCE_DATA.value() or paths.REPO_DIR.parent / "shared" / "data"
    print(main(Path(sys.argv[1] if len(sys.argv) > 1 else default)))
