"""Property: whatever the atoms, weights and spend, every penny arrives exactly once."""

from __future__ import annotations

import duckdb
import pandas as pd
from conftest import BOROUGH, catalogue_frames, contract_rows, payment_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placespend.apportion import apportion
from placespend.store import write_table

WARDS = ["W1", "W2", "W3"]
ESTATES = [None, "E1", "E2", "E3"]
PURPOSES = ["Caretaking", "Tree works", "Levies Paid", "Unknown thing"]

weights = st.one_of(st.just(0.0), st.floats(min_value=0.001, max_value=1e7))
atom = st.tuples(st.sampled_from(WARDS), st.sampled_from(ESTATES), weights, weights, weights)
payment = st.tuples(
    st.sampled_from(["Acme", "Ward Lot Ltd", "Estate Co"]),
    st.sampled_from(PURPOSES),
    st.integers(min_value=-(10**11), max_value=10**11),
)


def _load(con, atom_list):
    atoms = pd.DataFrame(
        {
            "atom_id": range(1, len(atom_list) + 1),
            "area_code": "OA",
            "ward_code": [a[0] for a in atom_list],
            "estate_id": [a[1] for a in atom_list],
        }
    )
    wide = pd.DataFrame(
        {
            "atom_id": atoms["atom_id"],
            "households": [a[2] for a in atom_list],
            # area is the fallback key: every atom has some
            "area": [a[3] + 1.0 for a in atom_list],
            "trees": [a[4] for a in atom_list],
        }
    )
    write_table(con, "atoms", atoms)
    write_table(con, "atom_keys", wide.melt(id_vars="atom_id", var_name="key", value_name="weight"))
    for name, frame in catalogue_frames().items():
        write_table(con, name, frame)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    atom_list=st.lists(atom, min_size=1, max_size=12),
    payments=st.lists(payment, min_size=1, max_size=25),
    ward=st.sampled_from(WARDS),
    estate=st.sampled_from(["E1", "E2", "E3"]),
)
def test_every_penny_lands_once_for_every_key(atom_list, payments, ward, estate):
    present_wards = {a[0] for a in atom_list}
    contracts = [("Estate Co", "caretaking", "estate", estate)]
    if ward in present_wards:
        contracts.append(("Ward Lot Ltd", "caretaking", "ward", ward))
    con = duckdb.connect()
    try:
        _load(con, atom_list)
        write_table(con, "payments", payment_rows(payments))
        write_table(con, "contracts", contract_rows(contracts))
        apportion(con, borough_code=BOROUGH)
        diffs = con.execute(
            "select count(*), coalesce(sum(abs(difference_pence)), 0) from reconciliation"
        ).fetchone()
        total = "select coalesce(sum(amount_pence), 0) from "
        placed = con.execute(total + "place_spend").fetchone()
        excluded = con.execute(total + "excluded_spend").fetchone()
    finally:
        con.close()
    assert diffs[1] == 0
    assert placed[0] + excluded[0] == sum(p[2] for p in payments)


@settings(max_examples=40, deadline=None)
@given(
    atom_list=st.lists(atom, min_size=1, max_size=8),
    amount=st.integers(min_value=-(10**11), max_value=10**11),
)
def test_low_never_exceeds_amount_and_high_never_falls_below(atom_list, amount):
    con = duckdb.connect()
    try:
        _load(con, atom_list)
        write_table(con, "payments", payment_rows([("Acme", "Caretaking", amount)]))
        write_table(con, "contracts", contract_rows([]))
        apportion(con, borough_code=BOROUGH)
        bad = con.execute(
            "select count(*) from place_spend"
            " where low_pence > amount_pence or high_pence < amount_pence"
        ).fetchone()
    finally:
        con.close()
    assert bad == (0,)
