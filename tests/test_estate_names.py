"""The estate-name resolver: aliases, case, punctuation, abbreviations, "did you mean"."""

from __future__ import annotations

import pandas as pd
import pytest

from placespend import estate_names
from placespend.errors import PlacespendError

ESTATES = pd.DataFrame({
    "estate_id": ["osm-way-1", "db-way-2", "db-way-3"],
    "name": ["Chalcots Estate", "Dorman Way (derived)", "Kiln Place (derived)"],
    "source": ["osm", "derived_from_blocks", "derived_from_blocks"],
    "aliases": ["Chalcots Estate; Chalcots; Adelaide Road; Hilgrove Road",
                "Dorman Way; Dorman; Hilgrove Road; Hilgrove; Hilgrove Estate",
                "Kiln Place; Kiln; Kiln Estate; Lamble Street"],
})


@pytest.fixture
def index():
    return estate_names.EstateIndex.from_frame(ESTATES)


@pytest.mark.parametrize(("text", "expected"), [
    ("HILGROVE RD.", "hilgrove road"), ("Regent's  Park", "regents park"),
    ("Alexandra & Ainsworth", "alexandra and ainsworth"), ("Kiln Pl (derived)", "kiln place"),
])
def test_normalise_ignores_case_punctuation_and_abbreviations(text, expected):
    assert estate_names.normalise(text) == expected


def test_name_aliases_add_and_drop_estate_and_the_street_word():
    assert estate_names.name_aliases("Hilgrove Road (derived)") == [
        "Hilgrove Road", "Hilgrove Road Estate", "Hilgrove", "Hilgrove Estate"]
    assert estate_names.name_aliases("Chalcots Estate") == ["Chalcots Estate", "Chalcots"]


@pytest.mark.parametrize("text", ["Hilgrove", "hilgrove estate", "HILGROVE RD", "db-way-2",
                                  "Dorman Way (derived)", "dorman"])
def test_any_alias_finds_the_estate(index, text):
    assert index.resolve(text) == "db-way-2"


def test_a_street_finds_the_estate_named_after_it_before_an_osm_estate_beside_it(index):
    # both sit on Hilgrove Road; the OSM estate has a name of its own
    assert index.search("Hilgrove Road") == ["db-way-2"]


def test_a_part_of_a_name_still_works(index):
    assert index.resolve("chalc") == "osm-way-1"


def test_several_matches_are_all_named():
    both = ESTATES.assign(aliases=ESTATES["aliases"] + "; Lamble Street")
    index = estate_names.EstateIndex.from_frame(both)
    with pytest.raises(PlacespendError, match="matches 2 estates") as info:
        index.resolve("lamble st")
    assert "db-way-2" in str(info.value) and "db-way-3" in str(info.value)


def test_no_match_suggests_the_nearest_names(index):
    with pytest.raises(PlacespendError, match="Did you mean: Chalcots Estate"):
        index.resolve("Chalcotts Estat")


def test_aliases_round_trip_through_the_column():
    joined = estate_names.join(["A Road", "a road", "", "B Street"])
    assert joined == "A Road; B Street"
    assert estate_names.split(joined) == ["A Road", "B Street"]
    assert estate_names.split(None) == []
