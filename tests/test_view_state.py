"""The view choices a shared link carries beyond the sidebar, read back as written."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from placespend import estate_names, view_state

LABELS = {"E1": "Oak Court", "E2": "Elm Estate [E2]", "E3": "Ash & Birch"}


def test_each_kind_of_setting_reads_back_as_written():
    values = {"palette": "viridis", "basemap": True, "tab": "Payment lines",
              "pot": ["caretaking", "green_space"], "estates": ["E3", "E1"]}
    query = view_state.to_query(values, LABELS)
    assert query["estates"] == ["Ash & Birch", "Oak Court"]  # names, as the picker shows them
    assert query["basemap"] == "true"
    assert view_state.from_query({k: v if isinstance(v, list) else [v]
                                  for k, v in query.items()}, LABELS) == values


def test_defaults_are_left_out_of_the_url():
    assert view_state.to_query({"basemap": False, "drill": None, "pot": [], "other": "x"}) == {}


def test_unreadable_values_are_dropped_and_an_unknown_estate_is_reported():
    read = view_state.from_query({"basemap": ["maybe"], "estates": ["Nowhere", "E2"],
                                  "drill": [""], "unrelated": ["1"]}, LABELS)
    assert read == {"estates": ["E2"],  # an id works as well as a name
                    view_state.UNMATCHED: [view_state.Unmatched("Nowhere")]}


INDEX = estate_names.EstateIndex.from_frame(pd.DataFrame({
    "estate_id": ["E1", "E2", "E3", "E4"],
    "name": ["Oak Court", "Elm Estate", "Ash & Birch", "Hilgrove Road (derived)"],
    "aliases": ["Oak; Acorn Street", "Elm; Acorn Street", None, "Dorman Way"],
}))
NAMES = {"E1": "Oak Court", "E2": "Elm Estate", "E3": "Ash & Birch",
         "E4": "Hilgrove Road (derived)"}


def test_a_link_may_name_estates_by_any_alias_in_any_case():
    read = view_state.from_query(
        {"estates": ["hilgrove", "ASH AND BIRCH", "Dorman Way", "elm", "Oak Court"]},
        NAMES, INDEX)
    assert read == {"estates": ["E4", "E3", "E2", "E1"]}  # one estate named twice, kept once


def test_a_name_no_estate_has_is_reported_with_the_nearest_names_never_dropped():
    read = view_state.from_query({"estates": ["Elm", "Oak Courtt", "Zzyzx"]}, NAMES, INDEX)
    assert read["estates"] == ["E2"]
    typo, nothing = read[view_state.UNMATCHED]
    assert typo.text == "Oak Courtt" and "Oak Court" in typo.suggestions
    assert "Oak Court" in typo.message() and "“Oak Courtt”" in typo.message()
    assert nothing == view_state.Unmatched("Zzyzx")
    assert nothing.message() == "No estate is called “Zzyzx”."


def test_a_name_two_estates_share_is_reported_with_both_not_guessed():
    read = view_state.from_query({"estates": ["Acorn Street"]}, NAMES, INDEX)
    assert "estates" not in read
    (both,) = read[view_state.UNMATCHED]
    assert set(both.matches) == {"Elm Estate", "Oak Court"}
    assert "names 2 estates" in both.message()


def test_the_unmatched_names_are_never_written_to_the_url():
    read = view_state.from_query({"estates": ["Zzyzx", "Elm"]}, NAMES, INDEX)
    assert view_state.to_query(read, NAMES) == {"estates": ["Elm Estate"]}


def test_a_kept_value_the_widget_cannot_show_is_not_restored():
    assert view_state.valid("palette", "rainbow", ["cividis", "viridis"]) is None
    assert view_state.valid("pot", ["caretaking", "gone"], ["caretaking"]) == ["caretaking"]
    assert view_state.valid("pot", ["gone"], ["caretaking"]) is None
    assert view_state.valid("basemap", "true", None) is None  # a flag must be a bool


@given(st.lists(st.sampled_from(sorted(LABELS)), unique=True, min_size=1),
       st.text(min_size=1).filter(lambda t: t.strip()))
def test_estates_and_text_survive_the_round_trip(ids, text):
    query = view_state.to_query({"estates": ids, "drill": text}, LABELS)
    params = {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    assert view_state.from_query(params, LABELS) == {"estates": ids, "drill": text}
