"""The service catalogue: the shipped file, its validation, and rules run the way SQL runs them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placespend import paths
from placespend.catalogue import classify_frame, load_catalogue, re2_problem
from placespend.errors import CatalogueError
from placespend.keys import KEYS

# Labels as they appear in Camden's own spend export (shared/data/README.md).
REAL_CAMDEN_LINES = [
    # org_unit, purpose, payee, expected service
    ("Homes and Communities HRA", "Responsive Repairs Costs", None, "repairs_essential"),
    ("Finance", "Levies Paid", "Greater London Authority", "gla_levies"),
    (
        "Treasury",
        "Interest Payable on Long Term Borrowing",
        "London Borough of Camden",
        "interest_borrowing",
    ),
    ("Finance", "Other Debtor Entities and Individuals", "REDACTED", "debtor_entities"),
    ("Finance", "Other Debtor Entities and Individuals", None, "debtor_entities"),
    ("Payroll", "PAYE and National Insurance", "HMRC Central Payroll", "payroll_remittances"),
]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def classify_in_duckdb(catalogue, lines: pd.DataFrame) -> pd.Series:
    """Classify like the production SQL: regexp_matches over distinct labels, lowest rule_no."""
    con = duckdb.connect()
    con.register("rules", catalogue.to_frames()["rules"])
    con.register("lines", lines)
    out = con.execute(
        """
        with labels as (select distinct org_unit, purpose, payee from lines),
        hits as (
            select l.org_unit, l.purpose, l.payee, min(r.rule_no) as rule_no
            from labels l join rules r
              on (r.org_unit_pattern is null or regexp_matches(l.org_unit, r.org_unit_pattern))
             and (r.purpose_pattern is null or regexp_matches(l.purpose, r.purpose_pattern))
             and (r.payee_pattern is null or regexp_matches(l.payee, r.payee_pattern))
            group by all
        )
        select x.idx, r.service_id
        from lines x
        left join hits h on h.org_unit is not distinct from x.org_unit
            and h.purpose is not distinct from x.purpose and h.payee is not distinct from x.payee
        left join rules r using (rule_no)
        order by x.idx
        """
    ).df()
    return out["service_id"].where(out["service_id"].notna(), None)


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def shipped_data() -> dict:
    return yaml.safe_load(paths.CATALOGUE_PATH.read_text(encoding="utf-8"))


def test_shipped_catalogue_loads_with_the_three_mission_outcomes(catalogue):
    assert [o.id for o in catalogue.outcomes] == ["net_zero", "healthy_lives", "empowered"]
    assert 25 <= len(catalogue.services) <= 45
    assert all(s.key in KEYS and set(s.alt_keys) <= set(KEYS) for s in catalogue.services)


def test_every_service_is_reachable_by_a_rule(catalogue):
    assert {s.id for s in catalogue.services} == {r.service for r in catalogue.rules}


def test_hilgrove_pilot_lines_are_the_delegable_ones(catalogue):
    delegable = {s.id for s in catalogue.services if s.delegable}
    assert delegable == {"caretaking", "repairs_non_essential", "green_space"}


def test_levies_interest_payroll_debtors_and_overheads_are_not_place_based(catalogue):
    excluded = {s.id for s in catalogue.services if not s.place_based}
    assert excluded == {
        "gla_levies",
        "interest_borrowing",
        "payroll_remittances",
        "debtor_entities",
        "corporate_it",
        "precepts_public_bodies",
        "business_rates_government",
        "treasury_transfers",
        "benefits_transfers",
    }


def test_frames_match_the_architecture_tables(catalogue):
    frames = catalogue.to_frames()
    assert list(frames["services"].columns) == [
        "service_id",
        "name",
        "directorate",
        "outcomes",
        "default_scope",
        "key",
        "delegable",
        "place_based",
        "estate_service",
        "unit",
        "unit_cost_pence",
        "capital",
        "primary_outcome",
    ]
    assert list(frames["capital_rules"].columns) == [
        "rule_no",
        "org_unit_pattern",
        "purpose_pattern",
        "capital_or_revenue",
    ]
    assert list(frames["rules"].columns) == [
        "rule_no",
        "service_id",
        "org_unit_pattern",
        "purpose_pattern",
        "payee_pattern",
    ]
    assert list(frames["links"].columns) == [
        "from_service",
        "to_service",
        "relation",
        "outcome",
        "rationale",
    ]
    keys = frames["service_keys"]
    assert (keys.groupby("service_id")["is_main"].sum() == 1).all()
    assert frames["rules"]["rule_no"].is_unique


def test_links_join_green_space_to_children_and_capital_to_repairs(catalogue):
    pairs = {(k.from_service, k.to_service, k.relation) for k in catalogue.links}
    assert ("green_space", "early_years", "reinforces") in pairs
    assert ("green_space", "youth_services", "reinforces") in pairs
    assert ("planned_capital_works", "repairs_essential", "reinforces") in pairs
    assert ("repairs_essential", "planned_capital_works", "depends_on") in pairs


@pytest.mark.parametrize(("org_unit", "purpose", "payee", "expected"), REAL_CAMDEN_LINES)
def test_rules_classify_real_camden_labels_in_re2(catalogue, org_unit, purpose, payee, expected):
    lines = pd.DataFrame(
        {"idx": [0], "org_unit": [org_unit], "purpose": [purpose], "payee": [payee]}
    )
    assert classify_in_duckdb(catalogue, lines).tolist() == [expected]
    assert classify_frame(catalogue, lines).tolist() == [expected]


def test_python_and_duckdb_classification_agree_on_case_and_missing_payees(catalogue):
    lines = pd.DataFrame(
        {
            "idx": range(5),
            "org_unit": ["HOMES AND COMMUNITIES HRA", "Waste", "x", "Parks and Open Spaces", "x"],
            "purpose": ["cleaning", "Levies Paid", "Street Tree Works", "Agency Staff", "Misc"],
            "payee": [None, "North London Waste Authority", None, "A", "HMRC CENTRAL PAYROLL"],
        }
    )
    expected = [
        "caretaking",
        "waste_collection",
        "tree_maintenance",
        "green_space",
        "payroll_remittances",
    ]
    assert classify_in_duckdb(catalogue, lines).tolist() == expected
    assert classify_frame(catalogue, lines).tolist() == expected


def test_every_shipped_pattern_compiles_in_duckdb(catalogue):
    rules = catalogue.to_frames()["rules"]
    con = duckdb.connect()
    for col in ("org_unit_pattern", "purpose_pattern", "payee_pattern"):
        for pattern in rules[col].dropna():
            con.execute("select regexp_matches('x', $p)", {"p": pattern}).fetchall()


def _break(data: dict, section: str, index: int, **changes) -> dict:
    entry = data[section][index]
    for k, v in changes.items():
        if v is None:
            entry.pop(k)
        else:
            entry[k] = v
    return data


def _error(path: Path) -> str:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    return str(info.value)


def test_unknown_key_names_file_entry_and_suggests(tmp_path):
    data = shipped_data()
    sid = data["services"][3]["id"]
    msg = _error(write(tmp_path, _break(data, "services", 3, key="househlds")))
    assert "catalogue.yaml" in msg
    assert f"services[3] (id '{sid}')" in msg
    assert "unknown key 'househlds'" in msg and "did you mean 'households'" in msg


def test_missing_field_is_named(tmp_path):
    msg = _error(write(tmp_path, _break(shipped_data(), "services", 0, description=None)))
    assert "services[0] (id 'caretaking')" in msg and "missing field 'description'" in msg


def test_link_to_missing_service_is_named(tmp_path):
    msg = _error(write(tmp_path, _break(shipped_data(), "links", 2, to="playgrounds")))
    assert "catalogue.yaml" in msg and "links[2]" in msg and "'playgrounds'" in msg


def test_rule_naming_missing_service_is_named(tmp_path):
    msg = _error(write(tmp_path, _break(shipped_data(), "rules", 0, service="payroll")))
    assert "rules[0]" in msg and "'payroll', which is not in services" in msg


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("repairs(?!essential)", "negative lookahead"),
        ("(?<=estate )cleaning", "lookbehind"),
        (r"(ab)\1", "backreference"),
        ("repairs[", "invalid regular expression"),
        (r"waste\Z", r"\Z"),
        ("a++", "possessive"),
        ("(?x) a b", "inline flags"),
    ],
)
def test_patterns_re2_lacks_are_refused(tmp_path, pattern, why):
    msg = _error(write(tmp_path, _break(shipped_data(), "rules", 4, purpose=pattern)))
    assert "rules[4]" in msg and why in msg


@pytest.mark.parametrize(
    "pattern", [r"\bparks?\b", "(?i)x", "(?P<n>a)b", "a{2}?", "[(?=]", r"\(\?="]
)
def test_re2_safe_patterns_pass(pattern):
    assert re2_problem(pattern) is None
    duckdb.connect().execute("select regexp_matches('x', $p)", {"p": pattern}).fetchall()


def test_duplicate_service_id_is_named(tmp_path):
    data = shipped_data()
    msg = _error(write(tmp_path, _break(data, "services", 5, id=data["services"][1]["id"])))
    assert "services[5]" in msg and "duplicate service id 'repairs_non_essential'" in msg


def test_delegable_service_must_be_place_based(tmp_path):
    msg = _error(write(tmp_path, _break(shipped_data(), "services", 0, place_based=False)))
    assert "services[0] (id 'caretaking')" in msg and "must be place_based" in msg


def test_yaml_syntax_error_gives_the_line(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text("outcomes:\n  - id: net_zero\n    label: [unclosed\nservices: []\n")
    msg = _error(path)
    assert "catalogue.yaml, line 4" in msg and "not valid YAML" in msg


def test_entry_errors_give_the_line(tmp_path):
    text = paths.CATALOGUE_PATH.read_text(encoding="utf-8").replace(
        "key: children_0_4\n", "key: children_under_5\n", 1
    )
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "id: early_years" in t)
    assert f"catalogue.yaml, line {line}, services[" in _error(path)


def test_every_problem_is_reported_at_once(tmp_path):
    data = shipped_data()
    _break(data, "services", 0, key="nope")
    _break(data, "links", 0, relation="helps")
    _break(data, "rules", 1, payee="(?=x)")
    msg = _error(write(tmp_path, data))
    assert "(3 problems)" in msg


def test_a_broken_service_does_not_cascade_into_its_rules_and_links(tmp_path):
    msg = _error(write(tmp_path, _break(shipped_data(), "services", 0, description=None)))
    assert "(1 problem)" in msg


# -- wrong types anywhere, patterns only RE2 refuses ----------------------------------------------


@pytest.mark.parametrize(
    ("section", "index", "field", "value", "expect"),
    [
        ("services", 0, "name", ["Caretaking", "Cleaning"],
         "field 'name' must be non-empty text, not ['Caretaking', 'Cleaning']"),
        ("services", 0, "delegable", "yes", "field 'delegable' must be true or false, not 'yes'"),
        ("services", 0, "place_based", 1, "field 'place_based' must be true or false, not 1"),
        ("services", 0, "outcomes", {"empowered": True},
         "field 'outcomes' must be a list, not {'empowered': True}"),
        ("services", 0, "outcomes", [["empowered"]],
         "field 'outcomes' must be a list of names (non-empty text), but item 1 is ['empowered']"),
        ("services", 0, "alt_keys", [{"a": 1}], "but item 1 is {'a': 1}"),
        ("services", 0, "key", ["households"], "field 'key' must be non-empty text"),
        ("services", 0, "id", True, "field 'id' must be non-empty text, not True"),
        ("rules", 0, "purpose", 42, "field 'purpose' must be non-empty text, not 42"),
        ("rules", 0, "service", {"id": "x"}, "field 'service' must be non-empty text"),
        ("links", 0, "relation", ["reinforces"], "field 'relation' must be non-empty text"),
        ("outcomes", 0, "label", 3.5, "field 'label' must be non-empty text, not 3.5"),
    ],
)
def test_a_wrong_type_anywhere_is_named_with_its_line(tmp_path, section, index, field, value,
                                                       expect):
    data = shipped_data()
    data[section][index][field] = value
    msg = _error(write(tmp_path, data))
    assert f", {section}[{index}]" in msg and expect in msg
    assert "catalogue.yaml, line " in msg


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda d: d.update(services={"caretaking": {}}), "services: must be a list of entries"),
        (lambda d: d.update(rules="everything"), "rules: must be a list of entries, not "
                                                  "'everything'"),
        (lambda d: d["rules"].insert(0, ["service", "x"]),
         "rules[0]: must be a mapping of field: value, not ['service', 'x']"),
        (lambda d: d["services"][0].update({7: "x"}), "unknown field 7"),
        (lambda d: d.update({None: 1}), "None: unknown section"),
        (lambda d: d["links"][0].update(rationale=None), "missing field 'rationale'"),
    ],
)
def test_a_wrong_shape_anywhere_is_a_catalogue_error(tmp_path, change, expect):
    data = shipped_data()
    change(data)
    assert expect in _error(write(tmp_path, data))


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("x{1001}", "DuckDB's RE2 engine cannot compile 'x{1001}' (invalid repetition size"),
        ("(ab{1000}){2}", "invalid repetition size: {2}"),
        ("a{1000}{1000}", "multiple repeat"),  # Python's re finds this one first
        (".{1000}" * 100, "(pattern too large - compile failed)"),
        ("(" * 51 + "x" + ")" * 51, "groups nested more than 50 deep"),
        ("(" * 600 + "x" + ")" * 600, "is longer than 1,000 characters"),
        ("x" * 1001, "'… (1,001 characters) is longer than 1,000 characters"),
    ],
)
def test_patterns_only_re2_refuses_are_found_at_load_time(tmp_path, pattern, why):
    msg = _error(write(tmp_path, _break(shipped_data(), "rules", 4, purpose=pattern)))
    assert "rules[4]" in msg and why in msg and "(1 problem)" in msg
    assert len(msg) < 1000, "the pattern is quoted capped"


def test_nesting_within_the_limit_is_accepted_by_python_and_duckdb():
    pattern = "(" * 50 + "x" + ")" * 50
    assert re2_problem(pattern) is None
    from placespend.catalogue import duckdb_problems

    assert duckdb_problems([pattern, "caretak|cleaning"]) == {}


def test_the_shipped_catalogue_with_its_duckdb_check_loads():
    # (how fast is the benchmark suite's business, not a timed test's)
    cat = load_catalogue()
    assert len(cat.rules) > 50 and len(cat.services) > 30


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8,
)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.tuples(st.sampled_from(["outcomes", "services", "rules", "links"]),
                       st.integers(0, 3), st.sampled_from(
                           ["id", "name", "outcomes", "key", "alt_keys", "delegable", "service",
                            "purpose", "payee", "from", "relation", "label", "extra"])),
       value=VALUES)
def test_any_value_anywhere_is_a_catalogue_or_one_catalogue_error(tmp_path, place, value):
    section, index, field = place
    data = shipped_data()
    data[section][index % len(data[section])][field] = value
    try:
        catalogue = load_catalogue(write(tmp_path, data))
    except CatalogueError as exc:
        assert "catalogue.yaml" in str(exc) and len(str(exc)) < 10_000
    else:
        assert catalogue.services


def test_estate_services_are_housing_landlord_services_and_unit_costs_are_paired(catalogue):
    marked = {s.id for s in catalogue.services if s.estate_service}
    assert {"caretaking", "repairs_non_essential", "estate_management"} <= marked
    assert all(s.directorate == "Housing" for s in catalogue.services if s.estate_service)
    caretaking = next(s for s in catalogue.services if s.id == "caretaking")
    assert (caretaking.unit, caretaking.unit_cost_pence) == ("caretaker hour", 3000)
    assert all((s.unit is None) == (s.unit_cost_pence is None) for s in catalogue.services)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit_cost_pence": 0}, "above 0"),
        ({"unit_cost_pence": True}, "above 0"),
        ({"unit": None}, "give both or neither"),
        ({"unit_cost_pence": "30"}, "must be a whole number"),
    ],
)
def test_bad_unit_costs_are_named(tmp_path, change, message):
    msg = _error(write(tmp_path, _break(shipped_data(), "services", 0, **change)))
    assert "services[0] (id 'caretaking')" in msg and message in msg


# ---- mission outcomes: one primary each, with reasons -----------------------------------------

MISSION_OUTCOMES = {  # the Estates Mission's outcomes as the report words them
    "net_zero": "Estates play an active role in reaching net zero",
    "healthy_lives": "Residents live happy and healthy lives",
    "empowered": "Residents are empowered and feel ownership of where they live",
}


def test_outcomes_are_the_reports_wording(catalogue):
    assert {o.id: o.label for o in catalogue.outcomes} == MISSION_OUTCOMES


def test_every_outcome_a_service_serves_has_a_reason(catalogue):
    for s in catalogue.services:
        assert [o for o, _ in s.outcome_reasons] == list(s.outcomes), s.id
        assert all(len(why) > 20 for _, why in s.outcome_reasons), s.id


def test_no_primary_outcome_covers_nearly_every_place_based_service(catalogue):
    placed = [s for s in catalogue.services if s.place_based]
    counts = {o: sum(s.primary_outcome == o for s in placed) for o in MISSION_OUTCOMES}
    assert all(n >= 4 for n in counts.values()), counts
    assert max(counts.values()) <= 0.6 * len(placed), counts


def test_an_outcome_reason_for_an_outcome_not_served_is_named(tmp_path):
    text = (paths.CATALOGUE_PATH.read_text(encoding="utf-8")
            .replace("    outcomes: [healthy_lives]\n    outcome_reasons:\n",
                     "    outcomes: [healthy_lives]\n    outcome_reasons:\n"
                     "      net_zero: \"Not listed among its outcomes.\"\n", 1))
    path = tmp_path / "cat.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match="outcome_reasons names 'net_zero', which is not"):
        load_catalogue(path)
