"""Another council's geography: a small council near Manchester with its own wards, small
areas and estates and no context layers (buildings, green space, trees, roads, bins).

::

    y0+400 +----------+----+------------+      origin (x0, y0) = (383000, 398000), EPSG:27700
           |  S1      |    :  S2   M2   |      wards   M1 = x0..x0+600, M2 = x0+600..x0+1000
           |   +----+ |    :            |      small   S1 = x0..x0+500 (80 households),
           |   |ME1 | |    :            |      areas   S2 = x0+500..x0+1000 (20 households)
           |   +----+ | M1 :            |      estate  ME1 = box(x0+100, y0+100, x0+300, y0+300)
    y0     +----------+----+------------+

No buildings, so S1's households split by area: ME1 holds 40,000 of S1's 200,000 m², 16 of the
borough's 100 households. Every other key has no layer and falls back to area: ME1 is 40,000
of 400,000 m², a tenth.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from _geo_fixtures import gdf
from openpyxl import load_workbook
from pypdf import PdfReader
from shapely import Point, box
from typer.testing import CliRunner

from placespend import _validate, geography, paths, store
from placespend import reads as store_reads
from placespend.boundaries import load_boundaries
from placespend.cli import app
from placespend.errors import BoundaryError
from placespend.paths import db_path

runner = CliRunner()
X0, Y0 = 383_000, 398_000
CODE, NAME = "E08000003", "Manchester"
CAMDEN_WORDS = ("Camden", "E09000007", "OpenStreetMap", "ODbL")
CAMDEN_HEADER = (
    "Organisation Label,Organisation URI,Payment Date,Payment Month,Payment Year,"
    "Financial Year,Beneficiary Name,Purpose,Organisational Unit,Amount GBP,"
    "Irrecoverable VAT Amount GBP,Latest Financial Year,Latest Year,Latest Month,"
    "Unique Identifier"
)
SPEND = [  # purpose, pounds: all borough-wide (no contracts)
    ("Estate caretaking", "500.00"),
    ("Grounds maintenance", "600.00"),
    ("Tree works", "250.00"),
    ("Street cleansing", "300.00"),
    ("Levies Paid", "1,000.00"),
]
CATALOGUE = """
outcomes:
  - {id: empowered, label: Residents are empowered}
services:
  - {id: caretaking, name: Caretaking, directorate: Housing, outcomes: [empowered],
     default_scope: estate, key: households, alt_keys: [dwellings], delegable: true,
     place_based: true, description: Follows homes.}
  - {id: grounds, name: Grounds maintenance, directorate: Environment, outcomes: [empowered],
     default_scope: borough, key: green_space, alt_keys: [area], delegable: true,
     place_based: true, description: Follows green space.}
  - {id: street_trees, name: Street trees, directorate: Environment, outcomes: [empowered],
     default_scope: borough, key: trees, alt_keys: [area], delegable: false,
     place_based: true, description: Follows trees.}
  - {id: street_cleaning, name: Street cleaning, directorate: Environment,
     outcomes: [empowered], default_scope: borough, key: road_length, alt_keys: [waste_points],
     delegable: false, place_based: true, description: Follows roads.}
  - {id: levies, name: Levies, directorate: Finance, outcomes: [empowered],
     default_scope: borough, key: area, alt_keys: [], delegable: false, place_based: false,
     description: Felt in no place.}
rules:
  - {service: caretaking, purpose: caretak}
  - {service: grounds, purpose: grounds}
  - {service: street_trees, purpose: ^tree works$}
  - {service: street_cleaning, purpose: cleans}
  - {service: levies, purpose: ^levies paid$}
links: []
"""


def _box(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _wards(**extra) -> gpd.GeoDataFrame:
    return gdf([{"ward_code": "M1", "ward_name": "Ancoats", **extra,
                 "geometry": _box(0, 0, 600, 400)},
                {"ward_code": "M2", "ward_name": "Deansgate", **extra,
                 "geometry": _box(600, 0, 1000, 400)}])


def _small_areas() -> gpd.GeoDataFrame:
    return gdf([{"area_code": "S1", "households": 80, "dwellings": 90,
                 "geometry": _box(0, 0, 500, 400)},
                {"area_code": "S2", "households": 20, "dwellings": 30,
                 "geometry": _box(500, 0, 1000, 400)}])


def _estates() -> gpd.GeoDataFrame:
    return gdf([{"estate_id": "ME1", "name": "Mill Estate", "geometry": _box(100, 100, 300, 300)}])


def _spend(path: Path) -> Path:
    rows = [f"Small Council,http://example.org,1/6/2024,6,2024,2024/25,Supplier {i},{purpose},"
            f"Services,\"{amount}\",0,No,No,No,m-{i}" for i, (purpose, amount) in enumerate(SPEND)]
    path.write_text("\n".join([CAMDEN_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def council(tmp_path):
    """The council's files: wards, small areas and estates as GeoPackage, spend, catalogue."""
    files = {"wards": tmp_path / "wards.gpkg", "small_areas": tmp_path / "oas.gpkg",
             "estates": tmp_path / "estates.gpkg"}
    _wards().to_file(files["wards"], driver="GPKG")
    _small_areas().to_file(files["small_areas"], driver="GPKG")
    _estates().to_file(files["estates"], driver="GPKG")
    files["spend"] = _spend(tmp_path / "spend.csv")
    files["catalogue"] = tmp_path / "catalogue.yaml"
    files["catalogue"].write_text(CATALOGUE, encoding="utf-8")
    return files


@pytest.fixture
def reads(monkeypatch):
    """Every boundary file read during the test (the readers are wrapped, not replaced)."""
    seen: list[Path] = []
    real_layer, real_parquet, real_file = (_validate.read_layer, gpd.read_parquet,
                                           gpd.read_file)

    def layer(path, *args, **kwargs):
        seen.append(Path(path).resolve())
        return real_layer(path, *args, **kwargs)

    def parquet(path, *args, **kwargs):
        seen.append(Path(path).resolve())
        return real_parquet(path, *args, **kwargs)

    def any_file(path, *args, **kwargs):
        seen.append(Path(path).resolve())
        return real_file(path, *args, **kwargs)

    monkeypatch.setattr(_validate, "read_layer", layer)
    monkeypatch.setattr(gpd, "read_parquet", parquet)
    monkeypatch.setattr(gpd, "read_file", any_file)
    return seen


def _shipped(seen: list[Path]) -> list[Path]:
    shipped = paths.BOUNDARIES_DIR.resolve()
    return [p for p in seen if p.is_relative_to(shipped)]


def _cli(*args: str, home: Path):
    return runner.invoke(app, [*args, "--home", str(home)], catch_exceptions=False)


def _rows(home: Path) -> dict[str, int]:
    with store.connect(db_path(home)) as con:
        rows = store_reads.estate_rows(con, "ME1")
    return rows.groupby("service_id")["amount_pence"].sum().to_dict()


def _notes(home: Path) -> list[str]:
    with store.connect(db_path(home)) as con:
        from placespend.build import read_build_info

        return read_build_info(con)["notes"]


def test_a_council_with_no_context_layers_builds_and_falls_back_by_area(council, reads,
                                                                         tmp_path):
    home = tmp_path / "home"
    result = _cli("build", "--wards", str(council["wards"]), "--small-areas",
                  str(council["small_areas"]), "--estates", str(council["estates"]),
                  "--spend", str(council["spend"]), "--catalogue", str(council["catalogue"]),
                  "--borough-code", CODE, "--borough-name", NAME, home=home)
    assert result.exit_code == 0, result.output
    assert _shipped(reads) == []  # no Camden layer was opened at all
    assert {council[k].resolve() for k in ("wards", "small_areas", "estates")} <= set(reads)
    # households split by area (no buildings): 16 of 100; every other key by area: a tenth
    assert _rows(home) == {"caretaking": 8_000, "grounds": 6_000, "street_trees": 2_500,
                           "street_cleaning": 3_000}
    recon = json.loads(_cli("reconcile", "--json", home=home).stdout)
    assert recon["ok"] is True
    assert recon["input_gbp"] == 2_650.0 and recon["excluded_gbp"] == 1_000.0
    assert recon["estates_gbp"] + recon["residual_gbp"] == 1_650.0
    notes = _notes(home)
    expected = {"green_space": "grounds (Grounds maintenance)",
                "trees": "street_trees (Street trees)",
                "road_length": "street_cleaning (Street cleaning)",
                "waste_points": "alternative key of street_cleaning",
                "residential_footprint": "no service in the catalogue uses it"}
    for key, services in expected.items():
        (note,) = [n for n in notes if n.startswith(f"Key {key} falls back to area")]
        assert services in note
    assert not [n for n in notes if "cannot be placed" in n]
    assert any("not measured on this geography" in n for n in notes)
    assert not [n for n in notes if "missed" in n]  # no Camden error quoted


def test_exports_carry_the_councils_borough_and_no_camden_or_osm_lines(council, tmp_path):
    home, out = tmp_path / "home", tmp_path / "out"
    assert _cli("build", "--wards", str(council["wards"]), "--small-areas",
                str(council["small_areas"]), "--estates", str(council["estates"]),
                "--spend", str(council["spend"]), "--catalogue", str(council["catalogue"]),
                "--borough-code", CODE, "--borough-name", NAME, home=home).exit_code == 0
    result = _cli("export", "--estate", "ME1", "--format", "all", "--out", str(out), home=home)
    assert result.exit_code == 0, result.output
    (csv,) = out.glob("*.csv")
    table = pd.read_csv(csv, dtype=str)
    assert set(table["borough_code"]) == {CODE} and set(table["borough_name"]) == {NAME}
    (geojson,) = out.glob("*.geojson")
    collection = json.loads(geojson.read_text(encoding="utf-8"))
    assert {f["properties"]["borough_code"] for f in collection["features"]} == {CODE}
    assert any("from the user's file estates.gpkg" in line for line in collection["licences"])
    (xlsx,) = out.glob("*.xlsx")
    book = load_workbook(xlsx, read_only=True)
    cells = " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)
    summary = dict(book["summary"].iter_rows(min_row=2, values_only=True))
    assert summary["borough_code"] == CODE and summary["borough_name"] == NAME
    (pdf,) = out.glob("*.pdf")
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    pdf_text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert f"Borough: {NAME} ({CODE})" in pdf_text
    assert "not measured on this geography" in pdf_text
    assert "not measured on this geography" in cells
    for text in (csv.read_text(encoding="utf-8"), geojson.read_text(encoding="utf-8"), cells,
                 pdf_text):
        assert [w for w in CAMDEN_WORDS if w in text] == []
    assert "from the user's file wards.gpkg" in cells
    from placespend import views

    with store.connect(db_path(home)) as con:
        assert views.accuracy_caveat(con) == geography.NOT_MEASURED  # the estate page says so
    assert geography.measured_here(geography.Geography())  # the shipped geography: measured


def test_one_context_layer_in_a_boundaries_folder_is_used(council, reads, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    _wards(borough_code=CODE, borough_name=NAME).to_parquet(folder / "wards.parquet")
    _small_areas().to_parquet(folder / "small_areas.parquet")
    _estates().to_parquet(folder / "estates.parquet")
    trees = [Point(X0 + 150, Y0 + 150), Point(X0 + 200, Y0 + 200), Point(X0 + 250, Y0 + 250),
             Point(X0 + 800, Y0 + 200)]  # three on the estate, one in M2
    gdf([{"species": None, "geometry": p} for p in trees]).to_parquet(folder / "trees.parquet")
    home = tmp_path / "home"
    result = _cli("build", "--boundaries", str(folder), "--spend", str(council["spend"]),
                  "--catalogue", str(council["catalogue"]), home=home)
    assert result.exit_code == 0, result.output
    assert (folder / "trees.parquet").resolve() in reads
    assert _shipped(reads) == []
    rows = _rows(home)
    assert rows["street_trees"] == 18_750  # £250 x 3 of 4 trees
    assert rows["grounds"] == 6_000  # still by area
    notes = _notes(home)
    assert not [n for n in notes if n.startswith("Key trees falls back")]
    assert [n for n in notes if n.startswith("Key green_space falls back")]
    with store.connect(db_path(home)) as con:
        geo = geography.read(con)
        scopes = con.execute("select distinct scope_code from spend_groups "
                             "where scope_type = 'borough'").fetchall()
    assert (geo.borough_code, geo.borough_name) == (CODE, NAME)  # from the wards file
    assert scopes == [(CODE,)]
    lines = geography.licence_lines(geo)
    assert any(line.startswith("Trees: from the user's file trees.parquet") for line in lines)
    assert not [line for line in lines if "OpenStreetMap" in line]


def test_the_shipped_geography_keeps_camdens_code_and_licences(tmp_path):
    geo = geography.from_boundaries(load_boundaries())
    assert (geo.borough_code, geo.user_geography) == ("E09000007", False)
    assert geography.licence_lines(geo) == geography._texts.LICENCES


def test_a_council_without_a_borough_gets_a_derived_code_named_after_its_wards(council):
    b = load_boundaries(wards=council["wards"], small_areas=council["small_areas"],
                        estates=council["estates"])
    geo = geography.from_boundaries(b)
    assert (geo.borough_code, geo.borough_name) == ("BOROUGH", "Wards in wards.gpkg")
    assert b.user_geography and b.shipped_layers == ()
    assert len(b.trees) == 0 and len(b.buildings) == 0


def test_a_wards_file_naming_two_boroughs_is_refused(tmp_path, council):
    wards = _wards()
    wards["borough_code"] = ["E08000003", "E08000009"]
    path = tmp_path / "two.gpkg"
    wards.to_file(path, driver="GPKG")
    b = load_boundaries(wards=path, small_areas=council["small_areas"],
                        estates=council["estates"])
    with pytest.raises(BoundaryError, match="one build is one borough"):
        geography.from_boundaries(b)


def test_every_layer_has_a_build_option_a_build_input_and_a_readme_row():
    import dataclasses

    import typer

    from placespend.boundaries import LAYERS
    from placespend.build import BuildInputs

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    own_data = readme[readme.index("## Bring your own data"):readme.index("**Another council")]
    build = typer.main.get_command(app).commands["build"]
    options = {o for p in build.params for o in p.opts}
    fields = {f.name for f in dataclasses.fields(BuildInputs)}
    for layer in LAYERS:
        option = "--" + layer.replace("_", "-")
        assert option in options and layer in fields
        assert f"`{option}`" in own_data and f"`{layer}`" in own_data
    for option in ("--boundaries", "--borough-code", "--borough-name"):
        assert option in options and f"`{option}" in own_data
    help_text = runner.invoke(app, ["build", "--help"], terminal_width=200).output
    assert "--green-spaces" in help_text and "never used" in help_text
