"""Fuzzing the allocation where ``tests/test_conservation_props.py`` does not reach: extreme
magnitudes and the order rows arrive in.

* Amounts up to the largest a payment may be (15 whole digits of pounds, 10^17 pence) and key
  values from a billionth to 10^10 (a large county's area in m²): every penny still lands
  exactly once under every key, with no integer overflow.
* The same inputs written in another row order give the same allocation, penny for penny:
  largest-remainder ties are broken by target, never by arrival.
"""

from __future__ import annotations

import duckdb
import pandas as pd
from conftest import BOROUGH, catalogue_frames, contract_rows, payment_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placespend.apportion import apportion
from placespend.store import write_table

WARDS = ["W1", "W2"]
ESTATES = [None, "E1", "E2"]
PURPOSES = ["Caretaking", "Tree works", "Levies Paid", "Unknown thing"]
WEIGHT = st.sampled_from([0.0, 1e-12, 1e-9, 3e-9, 0.5, 1.0, 7.0, 1e6, 123456.789, 1e9, 1e10])
ATOM = st.tuples(st.sampled_from(WARDS), st.sampled_from(ESTATES), WEIGHT, WEIGHT, WEIGHT)
BIG = 10**17  # the largest payment in pence (999,999,999,999,999.99 pounds)
PAYMENT = st.tuples(
    st.sampled_from(["Acme", "Ward Lot Ltd", "Estate Co"]),
    st.sampled_from(PURPOSES),
    st.one_of(st.integers(-BIG, BIG), st.integers(-3, 3), st.sampled_from([BIG - 1, 1 - BIG])),
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tables(atom_list, payments, contracts) -> dict[str, pd.DataFrame]:
    atoms = pd.DataFrame({
        "atom_id": range(1, len(atom_list) + 1),
        "area_code": "OA",
        "ward_code": [a[0] for a in atom_list],
        "estate_id": [a[1] for a in atom_list],
    })
    wide = pd.DataFrame({
        "atom_id": atoms["atom_id"],
        "households": [a[2] for a in atom_list],
        "area": [a[3] + 1.0 for a in atom_list],  # the fallback key: every atom has some
        "trees": [a[4] for a in atom_list],
    })
    keys = wide.melt(id_vars="atom_id", var_name="key", value_name="weight")
    return {"atoms": atoms, "atom_keys": keys, "payments": payment_rows(payments),
            "contracts": contract_rows(contracts), **catalogue_frames()}


def _allocate(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, int, int, int]:
    con = duckdb.connect()
    try:
        for name, frame in tables.items():
            write_table(con, name, frame)
        apportion(con, borough_code=BOROUGH)
        allocation = con.execute(
            "select group_id, key, target_type, target_id, amount_pence from allocation "
            "order by all").df()
        diffs = con.execute(
            "select coalesce(sum(abs(difference_pence)), 0) from reconciliation").fetchone()[0]
        placed = con.execute("select coalesce(sum(amount_pence), 0) from place_spend").fetchone()
        excluded = con.execute(
            "select coalesce(sum(amount_pence), 0) from excluded_spend").fetchone()
    finally:
        con.close()
    return allocation, int(diffs), int(placed[0]), int(excluded[0])


def _contracts(atom_list, ward):
    contracts = [("Estate Co", "caretaking", "estate", "E1")]
    if ward in {a[0] for a in atom_list}:
        contracts.append(("Ward Lot Ltd", "caretaking", "ward", ward))
    return contracts


@FUZZ
@given(atom_list=st.lists(ATOM, min_size=1, max_size=10),
       payments=st.lists(PAYMENT, min_size=1, max_size=20),
       ward=st.sampled_from(WARDS))
def test_every_penny_lands_once_at_extreme_magnitudes(atom_list, payments, ward):
    _, diffs, placed, excluded = _allocate(
        _tables(atom_list, payments, _contracts(atom_list, ward)))
    assert diffs == 0
    assert placed + excluded == sum(p[2] for p in payments)


@FUZZ
@given(atom_list=st.lists(ATOM, min_size=2, max_size=8),
       payments=st.lists(PAYMENT, min_size=1, max_size=10),
       ward=st.sampled_from(WARDS),
       seed=st.integers(0, 2**32 - 1))
def test_the_allocation_does_not_depend_on_row_order(atom_list, payments, ward, seed):
    tables = _tables(atom_list, payments, _contracts(atom_list, ward))
    shuffled = {name: frame.sample(frac=1.0, random_state=seed) for name, frame in tables.items()}
    first, *_ = _allocate(tables)
    again, *_ = _allocate(shuffled)
    pd.testing.assert_frame_equal(first, again)
