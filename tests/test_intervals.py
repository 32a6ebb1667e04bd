"""Calibrated intervals (placespend.intervals): calibration on held-out census truth, the
interval around every figure, the estate's combination of its lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placespend import accuracy, intervals, store
from placespend._sql import query
from placespend.paths import db_path


@pytest.fixture(scope="module")
def shipped():
    return accuracy.run_accuracy()


@pytest.fixture(scope="module")
def con(demo_home):
    c = store.connect(db_path(demo_home))
    yield c
    c.close()


def test_nominal_80_percent_interval_holds_the_truth_70_to_90_percent_on_held_out_zones(
        shipped):
    c = shipped.calibration
    zones = c[c["held_out"] == "zones"]
    overall = zones["n_covered"].sum() / zones["n"].sum()
    assert 0.70 <= overall <= 0.90
    for r in c.itertuples():
        assert 0.70 <= r.covered <= 0.90, (r.component, r.held_out, r.covered)
        assert r.n_covered + r.n_below + r.n_above == r.n


def test_shipped_distributions_are_current(shipped):
    table = intervals.load_distributions()
    fresh = shipped.distributions
    assert len(table) == len(fresh)
    np.testing.assert_allclose(table[intervals.PCT_COLUMNS].to_numpy(dtype=float),
                               fresh[intervals.PCT_COLUMNS].to_numpy(dtype=float), atol=1e-5)


def test_split_ratio_by_hand():
    # cut share s = 0.5, split ratios all 0.5 or 2 (half each), no drift row: R = 0.5 + 0.5 rho
    pcts = np.where(intervals.PERCENTILES <= 0.5, 0.5, 2.0)
    d = pd.DataFrame([{"component": "split", "key": "households", "quantity": "households",
                       "scope": "", "size": "", "n": 2,
                       **dict(zip(intervals.PCT_COLUMNS, pcts, strict=True))}])
    iv = intervals.ratio_interval("split", "households", "households", "ward", "oa", 0.5, d)
    assert (iv.low_ratio, iv.high_ratio) == pytest.approx((0.75, 1.5))
    whole = intervals.ratio_interval("split", "households", "households", "ward", "oa", 0.0, d)
    assert (whole.low_ratio, whole.high_ratio) == (1.0, 1.0)


def test_combine_adds_within_a_group_and_in_quadrature_between():
    lines = pd.DataFrame({"amount_pence": [100, 100, 100], "low_pence": [70, 70, 60],
                          "high_pence": [130, 130, 140], "error_group": ["a", "a", "b"]})
    # group a: 60 up, 60 down; group b: 40 up, 40 down -> sqrt(3600 + 1600) = 72.1
    assert intervals.combine(lines) == (300 - 72, 300 + 72)


def test_central_figure_strictly_inside_its_interval_for_95_percent_of_lines(con):
    lines = con.execute("select amount_pence, low_pence, high_pence from place_spend "
                        "where target_type = 'estate' and amount_pence <> 0").df()
    inside = (lines["low_pence"] < lines["amount_pence"]) & (
        lines["amount_pence"] < lines["high_pence"])
    assert inside.mean() >= 0.95
    assert (lines["low_pence"] <= lines["amount_pence"]).all()
    assert (lines["amount_pence"] <= lines["high_pence"]).all()


def test_central_figures_still_conserve_every_group_to_the_penny(con):
    bad = con.execute("""
        select g.group_id from spend_groups as g
        left join (select group_id, sum(amount_pence) as placed from place_spend
                   group by group_id) as p using (group_id)
        where g.basis <> 'excluded' and coalesce(p.placed, 0) <> g.total_pence
    """).fetchall()
    assert bad == []


def test_estate_total_interval_equals_combining_its_lines(con):
    totals = query(con, "estate_totals", financial_year=None).set_index("estate_id")
    lines = con.execute("select target_id, amount_pence, low_pence, high_pence, error_group "
                        "from place_spend where target_type = 'estate'").df()
    for estate_id, g in list(lines.groupby("target_id"))[:10]:
        assert intervals.combine(g) == (int(totals.loc[estate_id, "low_pence"]),
                                        int(totals.loc[estate_id, "high_pence"]))


def test_another_key_is_kept_apart_from_the_interval(con):
    row = con.execute("select count(*) filter (where alt_low_pence <> low_pence), count(*) "
                      "from place_spend where basis = 'apportioned'").fetchone()
    assert row[0] > 0.5 * row[1]
