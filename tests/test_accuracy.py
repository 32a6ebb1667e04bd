"""Accuracy self-test of the keys against census truth (placespend.accuracy).

The box fixture: one ward W = box(0,0,200,100) holding two output areas, A = box(0,0,100,100)
and B = box(100,0,200,100), of equal area. A has 30 residents and 12 households, B 10 and 4.
Residential buildings: 100 m² in A, 300 m² in B. A census-cluster estate E covers A exactly.

The ward's 40 residents shared back out:
- by area, 20 and 20: errors 10 and 10, TAE 20/40 = 0.5; relative 1/3 and 1, so
  p50 = 2/3 and p90 = 1/3 + 0.9 × 2/3 = 14/15;
- by footprint, 10 and 30: errors 20 and 20, TAE 1.0; relative 2/3 and 2;
- by households (12 : 4 = 30 : 10): exact.
On the estate (A alone) area gives 20 against 30: relative error 1/3.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _geo_fixtures import gdf
from shapely import box

from placespend import _accuracy_report, accuracy, key_errors
from placespend.accuracy import refresh_accuracy, run_accuracy
from placespend.boundaries import Boundaries
from placespend.catalogue import Catalogue, Service
from placespend.errors import BoundaryError, PlacespendError
from placespend.key_errors import (
    MeasuredKeyError,
    key_error,
    key_sentence,
    key_warnings,
    load_key_errors,
    service_quantity,
)
from placespend.keys import CENSUS_KEYS, KEYS

COUNTS = {
    "A": {"residents": 30, "households": 12, "council_households": 9, "children_0_4": 3,
          "residents_65_plus": 6, "dwellings": 12},
    "B": {"residents": 10, "households": 4, "council_households": 1, "children_0_4": 2,
          "residents_65_plus": 1, "dwellings": 5},
}


def box_boundaries() -> Boundaries:
    return Boundaries(
        wards=gdf([{"ward_code": "W", "ward_name": "Ward", "geometry": box(0, 0, 200, 100)}]),
        small_areas=gdf([
            {"area_code": "A", "ward_code": "W", **COUNTS["A"], "geometry": box(0, 0, 100, 100)},
            {"area_code": "B", "ward_code": "W", **COUNTS["B"],
             "geometry": box(100, 0, 200, 100)},
        ]),
        estates=gdf([{"estate_id": "E", "name": "Box Estate", "source": "derived_from_blocks",
                      "geometry": box(0, 0, 100, 100)}]),
        buildings=gdf([{"building": "house", "geometry": box(10, 10, 20, 20)},
                       {"building": "house", "geometry": box(110, 10, 140, 20)}]),
    )


@pytest.fixture(scope="module")
def boxed():
    return run_accuracy(box_boundaries())


@pytest.fixture(scope="module")
def shipped():
    return run_accuracy()


def _oa(result, key, quantity="residents"):
    e = result.oa_errors
    return e[(e["key"] == key) & (e["quantity"] == quantity)].set_index("area_code")


def test_area_key_by_hand(boxed):
    got = _oa(boxed, "area")
    assert got["estimate"].to_dict() == pytest.approx({"A": 20.0, "B": 20.0})
    assert got["rel_error"].to_dict() == pytest.approx({"A": 1 / 3, "B": 1.0})
    f = boxed.figure("area", "residents")
    assert f["total_abs_error_share"] == pytest.approx(0.5)
    assert f["p50"] == pytest.approx(2 / 3)
    assert f["p90"] == pytest.approx(14 / 15)


def test_footprint_key_by_hand(boxed):
    got = _oa(boxed, "residential_footprint")
    assert got["estimate"].to_dict() == pytest.approx({"A": 10.0, "B": 30.0})
    f = boxed.figure("residential_footprint", "residents")
    assert f["total_abs_error_share"] == pytest.approx(1.0)
    assert f["p90"] == pytest.approx(2 / 3 + 0.9 * 4 / 3)


def test_proportional_census_key_is_exact_by_hand(boxed):
    assert boxed.figure("households", "residents")["total_abs_error_share"] == pytest.approx(
        0.0, abs=1e-12)


def test_estate_compared_on_its_whole_output_areas_by_hand(boxed):
    assert boxed.estate_oas.to_dict("records") == [{"estate_id": "E", "area_code": "A"}]
    e = boxed.estate_errors
    row = e[(e["key"] == "area") & (e["quantity"] == "residents")].iloc[0]
    assert (row["truth"], row["estimate"]) == pytest.approx((30.0, 20.0))
    assert row["rel_error"] == pytest.approx(1 / 3)


def test_area_key_matches_tobler_on_box(boxed):
    t = boxed.tobler_estimates
    np.testing.assert_allclose(t["sql"], t["tobler_atoms"], rtol=1e-9)
    np.testing.assert_allclose(t["sql"], t["tobler"], rtol=1e-6)


def test_area_key_matches_tobler_on_shipped_data(shipped):
    t = shipped.tobler_estimates
    assert len(t) == len(shipped.quantities) * shipped.oa_errors["area_code"].nunique()
    # same geometry, float64 overlaps: floating-point agreement
    np.testing.assert_allclose(t["sql"], t["tobler_atoms"], rtol=1e-9)
    # tobler's defaults: float32 overlap table and the atoms' dropped slivers, ~1e-7
    np.testing.assert_allclose(t["sql"], t["tobler"], rtol=1e-5)
    assert (shipped.tobler["max_rel_diff_atoms"] < 1e-9).all()


@pytest.mark.parametrize("key", CENSUS_KEYS)
def test_census_key_on_its_own_count_is_exact(shipped, key):
    for level in ("oa", "estate"):
        f = shipped.figure(key, key, level)
        assert f["total_abs_error_share"] < 1e-9
        assert f["p90"] < 1e-9
    assert _oa(shipped, key, key)["abs_error"].max() < 1e-9 * _oa(shipped, key, key)[
        "truth"].max()


def test_errors_are_non_negative_and_finite(shipped):
    for frame in (shipped.oa_errors, shipped.estate_errors):
        assert np.isfinite(frame["abs_error"]).all() and (frame["abs_error"] >= 0).all()
        rated = frame["rel_error"].dropna()
        assert np.isfinite(rated).all() and (rated >= 0).all()
        assert frame["rel_error"].isna().eq(frame["truth"] == 0).all()
    cols = ["total_abs_error_share", "p50", "p90", "max_rel_error"]
    values = shipped.summary[cols].to_numpy(dtype=float)
    assert np.isfinite(values).all() and (values >= 0).all()
    assert (shipped.summary["total_abs_error_share"] <= 2 + 1e-9).all()  # TAE is at most 200%


def test_every_key_and_count_is_tested_at_both_levels(shipped):
    s = shipped.summary
    assert set(shipped.quantities) == set(CENSUS_KEYS)
    for level in ("oa", "estate"):
        got = s[s["level"] == level]
        assert set(got["key"]) == set(KEYS)
        assert set(got["basis"]) == set(CENSUS_KEYS) | set(accuracy.POOLS)
    assert shipped.oa_errors["area_code"].nunique() == 749


def test_ward_totals_are_conserved_by_every_key(shipped):
    e = shipped.oa_errors
    sums = e.groupby(["quantity", "key"])[["truth", "estimate"]].sum()
    np.testing.assert_allclose(sums["estimate"], sums["truth"], rtol=1e-9)


def test_shipped_key_error_table_is_current(shipped):
    fresh = shipped.key_errors()
    table = key_errors.load_key_errors()
    assert list(table.columns) == list(key_errors.KEY_ERROR_COLUMNS)
    pd.testing.assert_frame_equal(table, fresh, check_dtype=False, atol=1e-4)


def test_key_error_reads_a_row(boxed):
    got = key_error("area", "residents", errors=boxed.key_errors())
    assert isinstance(got, MeasuredKeyError)
    assert got.total_abs_error_share == pytest.approx(0.5)
    assert got.source == accuracy.SOURCE
    assert "up to 93%" in got.sentence()


def test_key_error_defaults_to_population_basis_from_the_shipped_table():
    got = key_error("area")
    assert (got.basis, got.level) == ("population", "oa")
    assert 0 < got.p50 <= got.p90 and math.isfinite(got.p90)


def test_key_error_names_what_exists_when_asked_for_nothing(boxed):
    with pytest.raises(PlacespendError, match="no row for key 'nope'.*Keys: area"):
        key_error("nope", errors=boxed.key_errors())


def _service(sid, key, alt=(), place_based=True):
    return Service(id=sid, name=sid.title(), directorate="D", outcomes=(), default_scope="ward",
                   key=key, alt_keys=tuple(alt), delegable=False, place_based=place_based,
                   description="")


def _catalogue(*services):
    return Catalogue(path=Path("cat.yaml"), outcomes=(), services=services, rules=(), links=())


def test_key_warnings_flag_a_weak_stand_in(boxed):
    cat = _catalogue(
        _service("parks_people", "area", alt=("residents",)),  # area stands in for residents
        _service("bins", "households", alt=("area",)),  # a census key is its own count
        _service("trees", "trees", alt=("area",)),  # follows the asset: not judged
        _service("levies", "area", alt=("residents",), place_based=False),
    )
    errors = boxed.key_errors()
    got = key_warnings(cat, errors)
    assert len(got) == 1
    assert got[0].startswith("parks_people (Parks_People): key area stands in for residents")
    assert "50%" in got[0]
    with_alt = key_warnings(cat, errors, include_alt=True)
    assert any(w.startswith("bins (Bins): alternative key area") for w in with_alt)
    assert not any(w.startswith(("trees", "levies")) for w in with_alt)


def test_key_warnings_take_an_explicit_basis(boxed):
    cat = _catalogue(_service("youth", "residents"))
    assert key_warnings(cat, boxed.key_errors()) == []  # residents stands for residents
    # told the service stands for an age group, residents is judged as a stand-in for one
    got = key_warnings(cat, boxed.key_errors(), stands_for={"youth": "residents_65_plus"})
    weak = boxed.figure("residents", "residents_65_plus")["total_abs_error_share"]
    best = boxed.summary.query("level == 'oa' and basis == 'residents_65_plus' "
                               "and key != 'residents_65_plus'")["total_abs_error_share"].min()
    assert bool(got) == (weak > max(key_errors.WEAK_FLOOR, key_errors.WEAK_RATIO * best))


def test_shipped_catalogue_main_keys_raise_no_warning():
    from placespend.catalogue import load_catalogue

    cat = load_catalogue()
    assert key_warnings(cat) == []
    assert service_quantity(cat.service("caretaking")) == "council_households"
    assert service_quantity(cat.service("tree_maintenance")) is None


def test_small_areas_without_counts_are_refused():
    b = box_boundaries()
    b.small_areas = b.small_areas[["area_code", "ward_code", "geometry"]]
    with pytest.raises(BoundaryError, match="no census counts"):
        run_accuracy(b)


def test_command_writes_report_chart_and_table(tmp_path):
    report = tmp_path / "docs" / "ACCURACY.md"
    table = tmp_path / "key_errors.csv"
    refresh_accuracy(report_path=report, key_errors_path=table, boundaries=box_boundaries(),
                     catalogue=_catalogue(_service("parks_people", "area")))
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# How right is an estate figure?")
    for needed in ("tobler", "Zandbergen", "21.2%", "4.2%", "accuracy.png", "parks_people"):
        assert needed in text
    assert (report.parent / _accuracy_report.CHART_NAME).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    written = pd.read_csv(table)
    assert set(written["key"]) == set(KEYS) and (written["source"] == accuracy.SOURCE).all()


def test_key_sentence_scores_a_key_against_what_it_stands_for():
    errors = load_key_errors()
    own = key_sentence("council_households", "council_households", errors=errors)
    assert "is the count the service stands for" in own and "%" not in own
    stand_in = key_sentence("area", "residents", "oa", errors=errors)
    tae = key_error("area", "residents", "oa", errors=errors).total_abs_error_share
    assert f"{tae:.0%}" in stand_in and "stands in for residents" in stand_in
    assert "cannot test" in key_sentence("trees", None)


def test_one_ward_borough_scope_equals_ward_scope_by_hand(boxed):
    s = boxed.summary.set_index(["level", "basis", "key", "scope_type"])["total_abs_error_share"]
    ward = s.xs("ward", level="scope_type")
    borough = s.xs("borough", level="scope_type")
    pd.testing.assert_series_equal(ward, borough.reindex(ward.index))
    assert boxed.figure("area", "residents", "oa", "borough")["total_abs_error_share"] == \
        pytest.approx(0.5)


def test_borough_scope_conserves_the_borough_total(shipped):
    e = shipped.scoped_errors
    e = e[(e["level"] == "oa") & (e["scope_type"] == "borough")]
    sums = e.groupby(["quantity", "key"])[["truth", "estimate"]].sum()
    np.testing.assert_allclose(sums["estimate"], sums["truth"], rtol=1e-9)
    assert e.groupby(["quantity", "key"]).size().eq(749).all()


def test_borough_scope_misses_more_than_ward_scope(shipped):
    for key, q in (("area", "residents"), ("households", "council_households")):
        assert (shipped.figure(key, q, "oa", "borough")["total_abs_error_share"]
                > shipped.figure(key, q, "oa", "ward")["total_abs_error_share"])


def test_headline_is_weighted_by_the_pounds_each_scope_carries(shipped):
    weights = {"borough": 3, "ward": 1, "estate": 1}
    r = accuracy.AccuracyResult(**{**shipped.__dict__, "scope_pence": weights})
    b = r.figure("area", "residents", "oa", "borough")["total_abs_error_share"]
    w = r.figure("area", "residents", "oa", "ward")["total_abs_error_share"]
    assert r.weighted_share("area", "residents") == pytest.approx((3 * b + w) / 5)
    assert math.isnan(shipped.__class__(**{**shipped.__dict__, "scope_pence": {}})
                      .weighted_share("area", "residents"))
