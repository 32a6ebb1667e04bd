"""The synthetic demo: Camden's format, determinism, and the quirks the pipeline must meet."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from placespend.catalogue import load_catalogue
from placespend.demo import CONTRACT_COLUMNS, SPEND_COLUMNS, ensure_demo, write_demo
from placespend.errors import PlacespendError

WARDS = [f"E0501{n}" for n in range(3652, 3672)]
ESTATES = [f"estate-{c}" for c in "abcdefghij"]
REDACTIONS = {"xxxxREDACTEDxxxx", "REDACTED", "Redacted"}
CAMDEN_HEADER = (
    "Organisation Label,Organisation URI,Payment Date,Payment Month,Payment Year,"
    "Financial Year,Beneficiary Name,Purpose,Organisational Unit,Amount GBP,"
    "Irrecoverable VAT Amount GBP,Latest Financial Year,Latest Year,Latest Month,"
    "Unique Identifier"
)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, catalogue):
    return write_demo(tmp_path_factory.mktemp("demo"), catalogue, WARDS, ESTATES)


@pytest.fixture(scope="module")
def spend(demo):
    df = pd.read_csv(demo.spend, dtype=str, keep_default_na=False)
    df["date"] = pd.to_datetime(df["Payment Date"], format="%d/%m/%Y")
    df["pence"] = (df["Amount GBP"].astype(float) * 100).round().astype("int64")
    return df


@pytest.fixture(scope="module")
def contracts(demo):
    return pd.read_csv(demo.contracts, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def classified(spend, catalogue):
    """Service per row, classified in DuckDB with regexp_matches as the pipeline does."""
    lines = pd.DataFrame(
        {
            "org_unit": spend["Organisational Unit"],
            "purpose": spend["Purpose"],
            "payee": spend["Beneficiary Name"].where(
                ~spend["Beneficiary Name"].isin(REDACTIONS | {""}), None
            ),
        }
    )
    con = duckdb.connect()
    con.register("rules", catalogue.to_frames()["rules"])
    con.register("lines", lines.drop_duplicates())
    hits = con.execute(
        """
        select l.org_unit, l.purpose, l.payee, arg_min(r.service_id, r.rule_no) as service_id
        from lines l join rules r
          on (r.org_unit_pattern is null or regexp_matches(l.org_unit, r.org_unit_pattern))
         and (r.purpose_pattern is null or regexp_matches(l.purpose, r.purpose_pattern))
         and (r.payee_pattern is null or regexp_matches(l.payee, r.payee_pattern))
        group by all
        """
    ).df()
    keyed = lines.fillna({"payee": "\0"}).merge(
        hits.fillna({"payee": "\0"}), how="left", on=["org_unit", "purpose", "payee"]
    )
    return pd.Series(keyed["service_id"].to_numpy(), index=spend.index)


def _financial_year(d: pd.Timestamp) -> str:
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path, catalogue, demo):
    again = write_demo(tmp_path / "again", catalogue, WARDS, ESTATES)
    assert again.spend.read_bytes() == demo.spend.read_bytes()
    assert again.contracts.read_bytes() == demo.contracts.read_bytes()
    other = write_demo(tmp_path / "other", catalogue, WARDS, ESTATES, seed=7)
    assert other.spend.read_bytes() != demo.spend.read_bytes()


def test_spend_has_camdens_exact_15_column_header(demo):
    header = demo.spend.read_text(encoding="utf-8").splitlines()[0]
    assert header == CAMDEN_HEADER
    assert len(SPEND_COLUMNS) == 15


def test_contracts_register_has_its_columns(demo):
    header = demo.contracts.read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(CONTRACT_COLUMNS)


def test_every_catalogue_service_has_spend(catalogue, classified):
    assert {s.id for s in catalogue.services} <= set(classified.dropna())


def test_some_spend_matches_no_rule_but_only_a_few_percent(spend, classified):
    share = spend["pence"][classified.isna()].sum() / spend["pence"].sum()
    assert 0.01 < share < 0.06


def test_two_financial_years_april_to_march_and_columns_agree(spend, demo):
    fys = spend["date"].map(_financial_year)
    assert set(fys) == {"2023-24", "2024-25"}
    assert spend["date"].min() >= pd.Timestamp("2023-04-01")
    assert spend["date"].max() <= pd.Timestamp("2025-03-31")
    assert (spend["Financial Year"] == fys.str.replace("-", "/")).all()
    assert (spend["Payment Month"].astype(int) == spend["date"].dt.month).all()
    assert (spend["Payment Year"].astype(int) == spend["date"].dt.year).all()
    assert [y for y, _, _ in demo.years] == ["2023-24", "2024-25"]
    assert demo.rows == len(spend) and demo.total_pence == spend["pence"].sum()


def test_some_dates_have_no_leading_zeros_and_all_are_weekdays(spend):
    text = spend["Payment Date"]
    assert text.str.match(r"^\d/").any() and text.str.match(r"^\d\d/\d\d/").any()
    assert (spend["date"].dt.day_of_week < 5).all()


def test_unique_identifier_is_unique_and_carries_the_payment_month(spend):
    ids = spend["Unique Identifier"]
    assert ids.is_unique
    prefix = spend["date"].dt.strftime("%b-%y").str.lower()
    assert (ids.str.rsplit("-", n=1).str[0] == prefix).all()
    assert ids.str.match(r"^[a-z]{3}-\d\d-\d+$").all()


def test_redacted_starred_and_empty_payees_are_present(spend):
    payee = spend["Beneficiary Name"]
    redacted = payee.isin(REDACTIONS)
    assert set(payee[redacted]) == REDACTIONS
    assert 0.14 < redacted.mean() < 0.18
    starred = payee[payee.str.endswith("*")].str.rstrip("*")
    assert 30 <= starred.nunique() <= 45
    assert (payee == "").sum() == 1
    assert set(starred) & set(payee)  # some names appear both with and without stars


def test_amounts_are_500_or_more_never_negative_and_vat_is_zero(spend):
    assert (spend["pence"] >= 500_00).all()
    assert (spend["Irrecoverable VAT Amount GBP"] == "0").all()
    assert spend["Amount GBP"].str.match(r"^\d+\.\d\d$").all()


def test_annual_totals_are_near_camdens_published_scale(demo):
    for _, rows, pence in demo.years:
        assert 15_000 <= rows <= 25_000
        assert 700e6 <= pence / 100 <= 950e6


def test_non_place_based_lines_are_present(spend, classified):
    services = set(classified.dropna())
    assert {
        "gla_levies",
        "interest_borrowing",
        "payroll_remittances",
        "debtor_entities",
    } <= services
    assert (spend["Beneficiary Name"] == "Greater London Authority").any()
    assert (spend["Beneficiary Name"] == "HMRC Central Payroll").any()


def test_contracts_name_only_given_wards_and_estates(contracts):
    kinds = contracts.groupby("scope_type")["scope_code"].apply(set)
    assert set(kinds.index) == {"borough", "ward", "estate"}
    assert kinds["ward"] <= set(WARDS)
    assert kinds["estate"] <= set(ESTATES)
    assert kinds["borough"] == {"E09000007"}


def test_ward_lots_each_have_their_own_supplier(contracts):
    lots = contracts[contracts["scope_type"] == "ward"]
    assert 3 <= len(lots) <= 8
    assert not (
        contracts[["supplier", "service"]].duplicated(keep=False)
        & contracts["scope_type"].ne("borough")
    ).any()
    assert lots["supplier"].is_unique


def test_payments_to_contracted_suppliers_carry_the_contract_labels(spend, contracts):
    payee = spend["Beneficiary Name"].str.rstrip("*")
    for c in contracts.itertuples():
        mine = spend[payee == c.supplier]
        assert len(mine) > 0, c.contract_id
        assert (mine["Purpose"] == c.purpose).all(), c.contract_id
        within = mine["date"].between(pd.Timestamp(c.start_date), pd.Timestamp(c.end_date))
        assert within.all(), c.contract_id


def test_supplier_names_are_fictional_apart_from_public_bodies(spend):
    public = {
        "Greater London Authority",
        "HMRC Central Payroll",
        "Environment Agency",
        "Lee Valley Regional Park Authority",
        "London Pensions Fund Authority",
        "North London Waste Authority",
        "Public Works Loan Board",
        "London Borough of Camden",
        "London Borough of Camden Pension Fund",
    }
    names = set(spend["Beneficiary Name"].str.rstrip("*")) - REDACTIONS - {""} - public
    assert all(re.search(r"(Ltd|Limited|LLP|CIC)$", n, re.IGNORECASE) for n in names)


def test_no_estates_means_no_estate_contracts(tmp_path, catalogue):
    files = write_demo(tmp_path, catalogue, WARDS[:2], [], years=("2024-25",))
    contracts = pd.read_csv(files.contracts, dtype=str)
    assert "estate" not in set(contracts["scope_type"])
    assert set(contracts.loc[contracts["scope_type"] == "ward", "scope_code"]) <= set(WARDS[:2])


@pytest.mark.parametrize("bad", ["2024/25", "2024-26", "24-25", "April 2024"])
def test_a_financial_year_not_like_2024_25_is_refused(tmp_path, catalogue, bad):
    with pytest.raises(PlacespendError, match="2024-25"):
        write_demo(tmp_path, catalogue, WARDS, ESTATES, years=(bad,))


def test_three_years_including_a_leap_year_are_written(tmp_path, catalogue):
    files = write_demo(tmp_path, catalogue, WARDS, ESTATES, years=("2022-23", "2023-24", "2024-25"))
    assert [y for y, _, _ in files.years] == ["2022-23", "2023-24", "2024-25"]
    dates = pd.to_datetime(pd.read_csv(files.spend, dtype=str)["Payment Date"], format="%d/%m/%Y")
    assert dates.min() >= pd.Timestamp("2022-04-01")
    assert dates.max() <= pd.Timestamp("2025-03-31")


@pytest.mark.parametrize("years", [(), ("2024-25", "2023-24"), ("2023-24", "2023-24")])
def test_years_must_be_given_in_order_without_repeats(tmp_path, catalogue, years):
    with pytest.raises(PlacespendError, match="in order"):
        write_demo(tmp_path, catalogue, WARDS, ESTATES, years=years)


def test_ensure_demo_keeps_files_made_from_the_same_inputs_and_rewrites_changed_ones(
        tmp_path, catalogue, demo):
    first, kept = ensure_demo(tmp_path, catalogue, WARDS, ESTATES)
    assert not kept
    assert first.spend.read_bytes() == demo.spend.read_bytes()  # what write_demo writes
    again, kept = ensure_demo(tmp_path, catalogue, WARDS, ESTATES)
    assert kept and again == first

    first.spend.write_text("edited by hand\n", encoding="utf-8")
    rewritten, kept = ensure_demo(tmp_path, catalogue, WARDS, ESTATES)
    assert not kept
    assert rewritten.spend.read_bytes() == demo.spend.read_bytes()

    fewer, kept = ensure_demo(tmp_path, catalogue, WARDS, ESTATES[:-1])  # other inputs
    assert not kept
    assert ESTATES[-1] in demo.contracts.read_text(encoding="utf-8")
    assert ESTATES[-1] not in fewer.contracts.read_text(encoding="utf-8")
