"""Allocation on the hand-checkable two-ward borough (see conftest.py for the numbers)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import BOROUGH, contract_rows, payment_rows

from placespend.apportion import apportion
from placespend.store import write_table


def _run(con, payments, contracts=None):
    write_table(con, "payments", payments)
    write_table(con, "contracts", contracts if contracts is not None else contract_rows([]))
    apportion(con, borough_code=BOROUGH)


def _place(con, service_id, scope_type=None, *, alt=False):
    lo, hi = ("alt_low_pence", "alt_high_pence") if alt else ("low_pence", "high_pence")
    sql = f"""
        select target_id, sum(amount_pence), sum({lo}), sum({hi})
        from place_spend where service_id = ? and (? is null or scope_type = ?)
        group by target_id order by target_id
    """
    rows = con.execute(sql, [service_id, scope_type, scope_type]).fetchall()
    return {t: (a, lo, hi) for t, a, lo, hi in rows}


def test_borough_wide_spend_is_shared_by_households(two_ward_con):
    _run(two_ward_con, payment_rows([("Acme", "Caretaking", 100_000)]))
    got = _place(two_ward_con, "caretaking")
    # households 30 : 10 : 20 : 40 of 100
    amounts = {t: v[0] for t, v in got.items()}
    assert amounts == {"E1": 30_000, "W1": 10_000, "E2": 20_000, "W2": 40_000}


def test_alternative_key_gives_the_figures_with_another_key(two_ward_con):
    _run(two_ward_con, payment_rows([("Acme", "Caretaking", 100_000)]))
    got = _place(two_ward_con, "caretaking", alt=True)
    # by area 100 : 300 : 100 : 100 of 600 -> 16666.67 each for E1, E2, W2 (ties to estates first)
    assert got["E1"] == (30_000, 16_667, 30_000)
    assert got["W1"] == (10_000, 10_000, 50_000)
    assert got["E2"] == (20_000, 16_667, 20_000)
    assert got["W2"] == (40_000, 16_666, 40_000)


def test_interval_is_the_figure_times_its_ratios_and_apart_from_another_key(two_ward_con):
    ratios = pd.DataFrame([(t_type, t, "borough", "households", "households", "split",
                            "households", 0.75, 1.5)
                           for t_type, t in (("estate", "E1"), ("estate", "E2"),
                                             ("residual", "W1"), ("residual", "W2"))],
                          columns=["target_type", "target_id", "scope_type", "key",
                                   "quantity", "kind", "error_group", "low_ratio",
                                   "high_ratio"])
    two_ward_con.execute("drop table if exists target_intervals")
    write_table(two_ward_con, "target_intervals", ratios)
    _run(two_ward_con, payment_rows([("Acme", "Caretaking", 100_000)]))
    got = _place(two_ward_con, "caretaking")
    # households 30 : 10 : 20 : 40 of 100 -> 30,000 etc.; interval x0.75 and x1.5
    assert got["E1"] == (30_000, 22_500, 45_000)
    assert got["W2"] == (40_000, 30_000, 60_000)
    assert _place(two_ward_con, "caretaking", alt=True)["E1"] == (30_000, 16_667, 30_000)


def test_partly_covered_ward_sends_only_covered_share_to_estates(two_ward_con):
    contracts = contract_rows([("Ward Two Care Ltd", "caretaking", "ward", "W2")])
    _run(two_ward_con, payment_rows([("Ward Two Care Ltd", "Caretaking", 33_333)]), contracts)
    got = _place(two_ward_con, "caretaking", "ward")
    # W2 holds 20 households on E2 and 40 off-estate: E2 gets a third, nothing reaches W1/E1
    assert {t: v[0] for t, v in got.items()} == {"E2": 11_111, "W2": 22_222}


def test_largest_remainder_rounding_conserves_every_penny(two_ward_con):
    contracts = contract_rows([("Ward One Care Ltd", "caretaking", "ward", "W1")])
    _run(two_ward_con, payment_rows([("Ward One Care Ltd", "Caretaking", 101)]), contracts)
    got = _place(two_ward_con, "caretaking", "ward")
    # 101 x 30/40 = 75.75 and 101 x 10/40 = 25.25: floors 75 + 25, the spare penny to E1
    assert got["E1"][0] == 76
    assert got["W1"][0] == 25


def test_negative_totals_are_shared_with_the_same_rule(two_ward_con):
    contracts = contract_rows([("Ward One Care Ltd", "caretaking", "ward", "W1")])
    _run(two_ward_con, payment_rows([("Ward One Care Ltd", "Caretaking", -101)]), contracts)
    got = _place(two_ward_con, "caretaking", "ward")
    assert (got["E1"][0], got["W1"][0]) == (-76, -25)


def test_estate_contract_goes_whole_to_its_estate(two_ward_con):
    contracts = contract_rows([("Estate One Care Ltd", "caretaking", "estate", "E1")])
    _run(two_ward_con, payment_rows([("Estate One Care Ltd", "Caretaking", 5_000)]), contracts)
    rows = two_ward_con.execute(
        "select target_id, basis, amount_pence, low_pence, high_pence from place_spend"
    ).fetchall()
    assert rows == [("E1", "direct", 5_000, 5_000, 5_000)]


def test_key_missing_from_scope_falls_back_to_area(two_ward_con):
    contracts = contract_rows([("Ward One Trees Ltd", "trees", "ward", "W1")])
    _run(two_ward_con, payment_rows([("Ward One Trees Ltd", "Tree pruning", 400)]), contracts)
    rows = two_ward_con.execute(
        "select target_id, key, key_fell_back, amount_pence from place_spend order by 1"
    ).fetchall()
    # W1 has no trees: area 100 : 300
    assert rows == [("E1", "area", True, 100), ("W1", "area", True, 300)]


def test_non_place_based_and_unclassified_spend_is_excluded_but_reported(two_ward_con):
    payments = payment_rows(
        [("Greater London Authority", "Levies Paid", 1_000_000), ("Someone", "Sundries", 700)]
    )
    _run(two_ward_con, payments)
    assert two_ward_con.execute("select count(*) from place_spend").fetchone() == (0,)
    excluded = two_ward_con.execute(
        "select service_id, exclusion_reason, amount_pence from excluded_spend order by 1"
    ).fetchall()
    assert excluded == [
        ("levies", "not place-based", 1_000_000),
        ("unclassified", "unclassified: no catalogue rule matches", 700),
    ]


def test_reconciliation_has_no_difference_on_any_group_or_key(two_ward_con):
    contracts = contract_rows([("Ward Two Care Ltd", "caretaking", "ward", "W2")])
    payments = payment_rows(
        [("Acme", "Caretaking", 99_999), ("Ward Two Care Ltd", "Caretaking", 1), ("T", "Tree", 7)]
    )
    _run(two_ward_con, payments, contracts)
    rows = two_ward_con.execute("select key, difference_pence from reconciliation").fetchall()
    assert len(rows) == 6  # (borough + W2 caretaking groups) x 2 keys + the tree group x 2 keys
    assert all(diff == 0 for _, diff in rows)


@pytest.mark.parametrize("supplier", ["", None])
def test_payment_without_a_supplier_never_links_to_a_contract(two_ward_con, supplier):
    contracts = contract_rows([("Ward Two Care Ltd", "caretaking", "ward", "W2")])
    payments = payment_rows([("REDACTED", "Caretaking", 600)])
    payments["payee_key"] = supplier
    payments["payee_redacted"] = True
    _run(two_ward_con, payments, contracts)
    (scope,) = two_ward_con.execute("select distinct scope_type from place_spend").fetchone()
    assert scope == "borough"
