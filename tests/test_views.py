"""The data behind each app view, on the default build: it must equal what the CLI, the exports
and the store say."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pandas as pd
import pytest
from typer.testing import CliRunner

from placespend import money, paths, reads, store, uploads, views
from placespend.cli import app as cli_app
from placespend.errors import InputFileError, PlacespendError, UnknownLayoutError

YEAR = "2024-25"


@pytest.fixture(scope="module")
def home(demo_home_copy):
    return demo_home_copy("views_home")  # uploads go into it


@pytest.fixture(scope="module")
def con(home):
    with store.connect(paths.db_path(home)) as connection:
        yield connection


@pytest.fixture(scope="module")
def estate_id(con):
    return reads.resolve_estate(con, "Hilgrove")


def test_map_table_totals_equal_the_estates_command(con):
    table = views.map_table(con, YEAR).set_index("estate_id")
    totals = reads.estate_totals(con, YEAR).set_index("estate_id")
    assert len(table) == len(totals) == con.execute("select count(*) from estates").fetchone()[0]
    pd.testing.assert_series_equal(
        table["total_pence"].sort_index(), totals["total_pence"].sort_index(),
        check_dtype=False,
    )
    assert (table["all_services_pence"] == table["total_pence"]).all()
    assert table.loc[totals.index[0], "per_household_pence"] == pytest.approx(
        totals["per_household_pence"].iloc[0]
    )


def test_map_table_for_some_services_sums_only_those(con, estate_id):
    chosen = ["caretaking", "green_space"]
    table = views.map_table(con, YEAR, chosen).set_index("estate_id")
    rows = reads.estate_rows(con, estate_id, YEAR)
    expected = rows.loc[rows["service_id"].isin(chosen), "amount_pence"].sum()
    assert table.loc[estate_id, "total_pence"] == expected
    assert table.loc[estate_id, "all_services_pence"] == rows["amount_pence"].sum()


def test_outcome_filter_keeps_services_serving_it(con):
    catalogue = views.services(con)
    net_zero = views.filtered_services(catalogue, (), "net_zero", include_secondary=True)
    assert "green_space" in net_zero and "caretaking" not in net_zero
    assert views.filtered_services(catalogue, ["caretaking", "green_space"], "net_zero",
                                   include_secondary=True) == ["green_space"]
    assert len(views.filtered_services(catalogue)) == len(catalogue)


def test_primary_outcome_filters_split_the_services(con):
    catalogue = views.services(con)
    parts = [views.filtered_services(catalogue, (), o) for o in views.outcomes(con)["outcome_id"]]
    assert sorted(s for part in parts for s in part) == sorted(catalogue["service_id"])
    primary = views.filtered_services(catalogue, (), "net_zero")
    assert "retrofit_energy" in primary and "green_space" not in primary
    assert set(primary) < set(views.filtered_services(catalogue, (), "net_zero",
                                                      include_secondary=True))


def test_estate_options_are_unique_names(con):
    options = views.estate_options(con)
    n = con.execute("select count(*) from estates").fetchone()[0]
    assert len(options) == n >= 60
    assert len(set(options.values())) == n
    assert options[reads.resolve_estate(con, "Hilgrove")] == "Dorman Way (derived)"


@pytest.mark.parametrize("text", ["Hilgrove", "hilgrove estate", "HILGROVE RD"])
def test_estate_search_finds_hilgrove_by_any_name_people_use(con, text):
    index = views.estate_search(con)
    found, message = views.find_estate(index, text)
    assert message == ""
    assert "Hilgrove Road" in index.aliases(found)
    labels = views.estate_search_labels(index, views.estate_options(con))
    assert "Hilgrove" in labels[found]


def test_estate_search_suggests_near_names_when_nothing_matches(con):
    found, message = views.find_estate(views.estate_search(con), "hilgrov")
    assert found == reads.resolve_estate(con, "Hilgrove") and message == ""  # part of an alias
    found, message = views.find_estate(views.estate_search(con), "Chalcotts")
    assert found is None and "Did you mean" in message and "Chalcots Estate" in message


def test_estate_coverage_meets_the_targets_on_the_shipped_estates(con):
    table, overall = views.estate_coverage(con)
    assert overall["council_households_covered"] >= 0.85
    assert overall["estates_over_limit"] == 0
    assert overall["max_nonresidential_share"] <= 0.10
    total = con.execute("select sum(weight) from atom_keys where key = 'council_households'"
                        ).fetchone()[0]
    assert table["council_households"].sum() / total == pytest.approx(
        overall["council_households_covered"])
    shown = views.estate_coverage_display(table)
    assert len(shown) == len(table) and shown["Non-residential land (% of area)"].max() <= 10


def test_overview_provenance_and_services_agree_to_the_penny(con, estate_id):
    ov = views.estate_overview(con, estate_id, YEAR)
    rows = views.provenance(con, estate_id, YEAR)
    assert rows["amount_pence"].sum() == ov.total_pence
    # the estate's interval combines its lines without making every error go the same way:
    # narrower than the lines' lows and highs added up, around the same central figure
    assert rows["low_pence"].sum() < ov.low_pence < ov.total_pence
    assert ov.total_pence < ov.high_pence < rows["high_pence"].sum()
    assert views.by_service(rows)["amount_pence"].sum() == ov.total_pence
    assert ov.wards == "South Hampstead"
    assert "not an official" in ov.boundary
    assert all(h.startswith(("by ", "the estate's own contract")) for h in rows["how"])
    shown = views.provenance_display(rows, ov.total_pence)
    assert shown["Share of estate"].sum() == pytest.approx(100, abs=0.5)


def test_unknown_estate_is_a_user_error(con):
    with pytest.raises(PlacespendError, match="No estate with id"):
        views.estate_overview(con, "nope", YEAR)


def test_direct_contracts_show_as_direct(con):
    totals = reads.estate_totals(con, YEAR)
    direct = totals[totals["direct_pence"] > 0].iloc[0]
    rows = views.provenance(con, direct["estate_id"], YEAR)
    assert rows.loc[rows["basis"] == "direct", "amount_pence"].sum() == direct["direct_pence"]
    assert (rows.loc[rows["basis"] == "direct", "how"] == "the estate's own contract").all()


def test_comparison_sets_the_estate_beside_its_ward_and_the_borough(con, estate_id):
    comp = views.comparison(con, estate_id, YEAR).set_index("level")
    ov = views.estate_overview(con, estate_id, YEAR)
    assert comp.loc["estate", "total_pence"] == ov.total_pence
    assert comp.loc["estate", "per_household_pence"] == pytest.approx(ov.per_household_pence)
    assert comp.loc["ward", "place"] == "South Hampstead"
    assert comp.loc["ward", "total_pence"] >= ov.total_pence  # the estate lies in this ward
    placed = views.service_reach(con, YEAR)["placed_pence"].sum()
    assert comp.loc["borough", "total_pence"] == placed
    assert comp.loc["borough", "households"] == pytest.approx(97_534)
    estates = reads.estate_totals(con, YEAR)["total_pence"].sum()
    assert comp.loc["all estates", "total_pence"] == estates


def test_every_ward_figure_adds_up_to_the_borough(con):
    totals = reads.estate_totals(con, YEAR)
    seen: dict[str, float] = {}
    for eid in totals["estate_id"]:
        comp = views.comparison(con, eid, YEAR)
        for r in comp[comp["level"] == "ward"].itertuples():
            seen[r.code] = r.total_pence
    # wards without estates hold only their residual; add those from the store
    residual = con.execute(
        "select target_id, sum(amount_pence) from place_spend where target_type = 'residual' "
        "and financial_year = ? group by 1", [YEAR]
    ).fetchall()
    for code, pence in residual:
        seen.setdefault(code, float(pence))
    placed = views.service_reach(con, YEAR)["placed_pence"].sum()
    assert sum(seen.values()) == pytest.approx(placed, abs=1)


def test_source_lines_shares_add_up_to_the_figure(con, estate_id):
    lines = views.source_lines(con, estate_id, "caretaking", YEAR, limit=10)
    rows = views.provenance(con, estate_id, YEAR)
    figure = rows.loc[rows["service_id"] == "caretaking", "amount_pence"].sum()
    assert len(lines.table) == min(10, lines.count)
    assert lines.share_pence == figure  # whole-pence shares: the figure, exactly
    assert set(lines.table["Service"]) == {"Caretaking and estate cleaning"}


def test_excluded_spend_is_reported_per_service(con):
    ex = views.excluded(con, YEAR)
    assert "not place-based" in set(ex["exclusion_reason"])
    assert ex["amount_pence"].sum() == views.excluded(con, YEAR)["amount_pence"].sum() > 0


def _cli_export(home, tmp_path, *args):
    result = CliRunner().invoke(cli_app, ["export", "--home", str(home), "--out", str(tmp_path),
                                          *args])
    assert result.exit_code == 0, result.output
    return result


def test_csv_download_equals_the_cli_export(con, home, estate_id, tmp_path):
    _cli_export(home, tmp_path, "--estate", estate_id, "--year", YEAR, "--format", "csv")
    stem = views.export_stem(con, estate_id, YEAR)
    assert stem.startswith("SYNTHETIC_DEMO_")
    assert (tmp_path / f"{stem}.csv").read_bytes() == views.export_csv(con, estate_id, YEAR)


def test_geojson_download_equals_the_cli_export(con, home, tmp_path):
    _cli_export(home, tmp_path, "--year", YEAR, "--format", "geojson")
    stem = views.export_stem(con, None, YEAR)
    ours = json.loads(views.export_geojson(con, YEAR))
    theirs = json.loads((tmp_path / f"{stem}.geojson").read_text())
    assert ours == theirs
    assert len(ours["features"]) == con.execute("select count(*) from estates").fetchone()[0]


def test_map_geometry_is_in_wgs84_over_camden(con):
    context, estates = views.map_geometry(con)
    minx, miny, maxx, maxy = context.bounds
    assert -0.3 < minx < maxx < 0.0 and 51.4 < miny < maxy < 51.7
    assert set(estates["estate_id"]) == set(views.estate_options(con))
    assert len(context.wards) >= 20 and len(context.roads) > 1000


def test_the_map_sent_to_the_browser_is_bounded_by_the_estates_outlines(con):
    """What the Map page sends on each change of colours or filters: the estate layer at
    display resolution, the context layers by URL only. The bound comes from the shipped
    estates: each vertex of their outlines simplified to ESTATE_TOLERANCE_M is at most
    20 characters ("[-0.12345,51.12345],"), each polygon part carries at most 400 of fields."""
    from shapely import get_num_coordinates

    from placespend import maps

    context, shapes = views.map_geometry(con)
    table = views.map_table(con, YEAR)
    column = views.metric_column(views.METRICS[0])
    scale = maps.quantile_scale(table[column], 5, "cividis", money.compact)
    data = maps.estate_layer_data(shapes, table, scale, column, money.compact)
    urls = {layer: f"app/static/map/{layer}.json" for layer in maps.CONTEXT_LAYERS}
    payload = maps.deck(data, context, table["estate_id"].iloc[0], layer_urls=urls).to_json()

    outlines = maps.frame_from_wkb(views.query(con, "estate_shapes")).geometry
    vertices = int(get_num_coordinates(
        outlines.simplify(maps.ESTATE_TOLERANCE_M, preserve_topology=True).to_numpy()).sum())
    # the outlines a click picks on, simplified further (maps.HIT_TOLERANCE_M)
    hit_vertices = sum(len(ring) for rings in shapes["hit_polygon"] for ring in rings)
    assert hit_vertices < vertices / 2
    labels = json.dumps(context.ward_labels.to_dict(orient="records"))
    bound = 20 * (vertices + hit_vertices) + 400 * len(shapes) + len(labels) + 8_000
    assert len(payload) <= bound, (len(payload), bound)
    # and the context layers' coordinates are not in it: only their URLs
    inline = json.dumps(maps.deck(data, context).to_json())
    assert len(inline) > len(payload) + len(json.dumps(context.roads["path"].tolist()))


def test_method_docs_split_around_images():
    accuracy = views.doc("ACCURACY.md")
    if accuracy is not None:
        kinds = [k for k, _ in accuracy.parts]
        assert "image" in kinds
    boundaries = views.doc("boundaries")
    assert boundaries is not None and "Licence" in boundaries.parts[0][1]
    assert views.doc("NO_SUCH.md") is None
    assert set(views.keys_table()["key"]) >= {"households", "green_space"}


def test_reconciliation_table_reads_in_pounds(con):
    from placespend.reconcile import reconcile

    rec = reconcile(con)
    table = views.reconciliation_table(rec).set_index("Figure")["Value"]
    assert table["Difference (must be £0.00)"] == "£0.00"
    assert table["Accepted spend"] == money.exact(rec.input_pence)
    assert table["Spend rows read"] == f"{rec.rows_read:,}"


def test_upload_names_are_safe():
    assert uploads.upload_name("My Camden 2024!") == "my-camden-2024"
    assert uploads.upload_name("../../etc") == "etc"
    assert uploads.upload_name("") and "/" not in uploads.upload_name(None)


def test_bad_upload_gives_row_level_errors_and_leaves_nothing(home, tmp_path):
    default = paths.db_path(home)
    before = default.stat().st_mtime
    bad = (
        b"contract_id,title,supplier,service,purpose,scope_type,scope_code,annual_value_gbp,"
        b"start_date,end_date\n"
        b"C1,t,S,caretaking,,planet,X,abc,2023-04-01,2027-03-31\n"
    )
    pattern = r"(?s)contracts/register\.csv.*row 2: scope_type"
    with pytest.raises(InputFileError, match=pattern) as info:
        uploads.build_upload("bad", [uploads.UploadedFile("contracts", "register.csv", bad)],
                           home=home)
    assert str(paths.uploads_dir(home)) not in str(info.value)
    assert not (paths.uploads_dir(home) / "bad").exists()
    assert default.stat().st_mtime == before
    with pytest.raises(PlacespendError, match="Unknown upload kind"):
        uploads.build_upload("x", [uploads.UploadedFile("wards", "w.geojson", b"")], home=home)
    with pytest.raises(PlacespendError, match="at least one file"):
        uploads.build_upload("x", [], home=home)


def test_good_upload_builds_a_separate_store(home):
    default = paths.db_path(home)
    before = default.stat().st_mtime
    spend = (paths.demo_dir(home) / "SYNTHETIC_DEMO_camden_spend.csv").read_bytes()
    steps: list[str] = []
    dataset = uploads.build_upload(
        "Council upload", [uploads.UploadedFile("spend", "spend.csv", spend)], home=home,
        on_step=steps.append,
    )
    assert dataset.key == "council-upload"
    assert dataset.db_path == paths.uploads_dir(home) / "council-upload" / paths.DB_FILENAME
    assert steps == list(uploads.BUILD_STEPS)
    assert default.stat().st_mtime == before
    assert [d.key for d in views.datasets(home)] == ["default", "council-upload"]
    with views.open_store(dataset.db_path) as up:
        assert not views.is_demo(up)
        assert views.data_label(up) == "user-supplied spend"


def _upload_files(home) -> list[str]:
    folder = paths.uploads_dir(home)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_a_failed_upload_leaves_no_folder_whatever_the_error(home, monkeypatch):
    before = _upload_files(home)

    def crash(*args, **kwargs):
        raise RuntimeError("a bug, not the user's mistake")

    monkeypatch.setattr(uploads.build_mod, "build", crash)
    with pytest.raises(RuntimeError):
        uploads.build_upload("crash", [uploads.UploadedFile("spend", "s.csv", b"x")], home=home)
    assert _upload_files(home) == before


def test_a_failed_rebuild_keeps_the_earlier_upload_of_that_name(home):
    spend = (paths.demo_dir(home) / "SYNTHETIC_DEMO_camden_spend.csv").read_bytes()
    first = uploads.build_upload("keep-me", [uploads.UploadedFile("spend", "spend.csv", spend)],
                               home=home)
    kept = {p: p.read_bytes() for p in first.db_path.parent.rglob("*") if p.is_file()}
    with pytest.raises(PlacespendError):
        uploads.build_upload("keep-me", [uploads.UploadedFile("spend", "spend.csv", b"a,b\n1,2\n")],
                           home=home)
    assert {p: p.read_bytes() for p in first.db_path.parent.rglob("*") if p.is_file()} == kept
    assert not [p for p in paths.uploads_dir(home).iterdir() if p.name.startswith(".")]
    assert "keep-me" in [d.key for d in views.datasets(home)]
    with views.open_store(first.db_path) as up:
        recorded = str(views.build_info(up)["inputs"])
    assert ".incoming" not in recorded and "keep-me" in recorded


def test_two_uploads_of_one_name_are_both_kept_not_overwritten(home):
    spend = (paths.demo_dir(home) / "SYNTHETIC_DEMO_camden_spend.csv").read_bytes()
    with pytest.raises(PlacespendError, match=r"same contents|given twice"):
        uploads.build_upload("twice", [uploads.UploadedFile("spend", "export.csv", spend),
                                     uploads.UploadedFile("spend", "export.csv", spend)],
                           home=home)
    assert not (paths.uploads_dir(home) / "twice").exists()
    lines = spend.splitlines(keepends=True)
    half = len(lines) // 2
    parts = [b"".join(lines[:half]), b"".join(lines[:1] + lines[half:])]
    dataset = uploads.build_upload("halves", [uploads.UploadedFile("spend", "export.csv", p)
                                            for p in parts], home=home)
    inputs = sorted(p.name for p in (dataset.db_path.parent / "inputs" / "spend").iterdir())
    assert inputs == ["export (2).csv", "export.csv"]
    with views.open_store(dataset.db_path) as up:
        read = up.execute("select sum(rows_read) from ingest_summary").fetchone()[0]
    assert read == len(lines) - 1


def test_an_upload_mostly_quarantined_is_reported_file_by_file(home):
    lines = (paths.demo_dir(home) / "SYNTHETIC_DEMO_camden_spend.csv").read_text(
        encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:7]
    amount = header.split(",").index("Amount GBP")
    broken = []
    for i, row in enumerate(rows):
        fields = next(csv.reader([row]))
        if i:  # keep the first row, break the amount of the other five
            fields[amount] = "=1+1" if i == 1 else "twelve pounds"
        broken.append(fields)
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows(broken)
    data = f"{header}\n{body.getvalue()}".encode()
    dataset = uploads.build_upload("mostly-bad", [uploads.UploadedFile("spend", "bad.csv", data)],
                                 home=home)
    with views.open_store(dataset.db_path) as up:
        report = views.ingest_report(up)
        refused = list(csv.DictReader(io.StringIO(views.quarantine_csv(up).decode("utf-8"))))
    assert (report.rows_read, report.rows_quarantined) == (6, 5)
    assert report.needs_attention and "5 of 6 spend rows (83.3%)" in report.summary()
    assert report.files["File"].tolist() == ["bad.csv"]
    assert report.reasons["Rows"].sum() == 5
    assert [int(r["line"]) for r in refused] == [3, 4, 5, 6, 7]
    assert all(not r["amount_as_published"].startswith("=") for r in refused)
    assert {r["file"] for r in refused} == {"bad.csv"}


def test_a_clean_build_needs_no_attention(con):
    report = views.ingest_report(con)
    assert report.rows_read > 0 and not report.needs_attention
    assert report.rows_read == con.execute("select count(*) from payments").fetchone()[0] + (
        report.rows_quarantined)


def test_the_payment_lines_download_holds_every_line_and_sums_to_the_figure(con, estate_id):
    lines = views.source_lines(con, estate_id, None, YEAR, limit=10)
    assert lines.count > 10 and len(lines.table) == 10
    rows = list(csv.DictReader(io.StringIO(lines.download.decode("utf-8"))))
    assert len(rows) == lines.count
    total = sum(Decimal(r["Reaching this estate (£)"]) for r in rows)
    figure = views.estate_overview(con, estate_id, YEAR).total_pence
    assert total * 100 == lines.share_pence == figure  # to the penny
    assert {r["data"] for r in rows} == {views.data_label(con)}


def test_every_line_is_within_a_penny_of_its_exact_share(con, estate_id):
    lines = reads.source_lines(con, estate_id, None, YEAR)
    off = (lines["estate_pence"] - lines["estate_share_pence"].fillna(0)).abs()
    assert off.max() <= 1
    by_group = lines.groupby("group_id").agg(shared=("estate_pence", "sum"),
                                             figure=("group_estate_pence", "first"))
    assert (by_group["shared"] == by_group["figure"]).all()


def test_geojson_amounts_are_numbers_equal_to_the_exact_pounds(con):
    features = json.loads(views.export_geojson(con, YEAR))["features"]
    totals = reads.estate_totals(con, YEAR).set_index("estate_id")
    for f in features:
        props = f["properties"]
        assert isinstance(props["total_gbp"], float)
        pence = int(totals.loc[props["estate_id"], "total_pence"])
        assert f"{props['total_gbp']:.2f}" == money.gbp(pence)
        assert repr(props["total_gbp"]) == repr(pence / 100)


def test_geojson_of_one_estate_holds_that_estate_alone(con, estate_id):
    collection = json.loads(views.export_geojson(con, YEAR, estate_id))
    (feature,) = collection["features"]
    assert feature["properties"]["estate_id"] == estate_id
    assert collection["name"] == views.export_stem(con, estate_id, YEAR)


def test_geojson_money_and_counts_are_numbers_and_wards_are_named(con):
    features = json.loads(views.export_geojson(con, YEAR))["features"]
    names = reads.ward_names(con)
    for f in features:
        props = f["properties"]
        amounts = {k: v for k, v in props.items() if k.endswith("_gbp")}
        assert {"total_gbp", "another_key_low_gbp", "per_household_gbp"} <= set(amounts)
        assert all(v is None or isinstance(v, int | float) for v in amounts.values()), amounts
        assert not any(k.endswith("_pence") for k in props)
        assert isinstance(props["households_est"], int | float)
        codes = [c for c in props["ward_codes"].split(";") if c]
        assert props["ward_names"].split(";") == [names[c] for c in codes]


def test_one_file_over_the_limit_makes_the_upload_a_warning_naming_how_many(home):
    """2% of one file refused is a warning even when, over both files, it is under 1%."""
    lines = (paths.demo_dir(home) / "SYNTHETIC_DEMO_camden_spend.csv").read_text(
        encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    amount = header.split(",").index("Amount GBP")
    small = [next(csv.reader([r])) for r in rows[:50]]
    small[10][amount] = "twelve pounds"
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows(small)
    files = [uploads.UploadedFile("spend", "big.csv", "\n".join([header, *rows[50:250]]).encode()),
             uploads.UploadedFile("spend", "small.csv", f"{header}\n{body.getvalue()}".encode())]
    dataset = uploads.build_upload("one-over", files, home=home)
    with views.open_store(dataset.db_path) as up:
        report = views.ingest_report(up)
    assert (report.rows_read, report.rows_quarantined) == (250, 1)
    assert report.row_share < views.QUARANTINE_WARNING_SHARE
    assert report.needs_attention and report.over_limit == ("small.csv",)
    shares = dict(zip(report.files["File"], report.files["Share not accepted"], strict=True))
    assert shares == {"big.csv": 0.0, "small.csv": pytest.approx(1 / 50)}
    assert "In 1 of the 2 files more than 1%" in report.summary()


def test_an_upload_of_no_known_layout_is_offered_its_suggestion_with_the_names_uploaded(home):
    from _spend_fixtures import COUNCIL_COLUMNS, council_text

    files = [uploads.UploadedFile("spend", "riverside.csv", council_text().encode())]
    with pytest.raises(UnknownLayoutError) as caught:
        uploads.build_upload("riverside-lib", files, home=home)
    assert str(paths.uploads_dir(home)) not in str(caught.value)
    assert caught.value.headline.startswith("spend/riverside.csv: no header row")
    review = uploads.mapping_review("riverside-lib", files, caught.value)
    assert review is not None and review.yaml == caught.value.suggestion.yaml()
    found = review.fields[review.fields["Column"] != "(none found)"]
    assert dict(zip(found["Field"], found["Column"], strict=True)) == COUNCIL_COLUMNS
    assert set(review.fields["Needed"][review.fields["Column"] == "(none found)"]) <= {
        "optional"}
    assert [f.kind for f in review.files_with(review.yaml)] == ["spend", "mapping"]
    assert uploads.mapping_review("x", files, PlacespendError("another problem")) is None
