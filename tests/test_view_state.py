"""The view choices a shared link carries beyond the sidebar, read back as written."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from placespend import view_state

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


def test_unreadable_or_unknown_values_are_dropped():
    read = view_state.from_query({"basemap": ["maybe"], "estates": ["Nowhere", "E2"],
                                  "drill": [""], "unrelated": ["1"]}, LABELS)
    assert read == {"estates": ["E2"]}  # an id works as well as a name


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
