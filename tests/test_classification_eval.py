"""The default rules measured on real councils' files against hand labels
(placespend._evaluate, tests/data/real/labels.csv, docs/CLASSIFICATION.md)."""

from __future__ import annotations

import pytest

from placespend import _evaluate, catalogue


@pytest.fixture(scope="module")
def labels():
    return _evaluate.read_labels()


@pytest.fixture(scope="module")
def figures(labels):
    return _evaluate.evaluate(catalogue.load_catalogue(), labels)


def test_every_label_is_a_place_based_service_excluded_or_unknown(labels):
    cat = catalogue.load_catalogue()
    allowed = {s.id for s in cat.services if s.place_based} | {"excluded", "unknown"}
    assert set(labels["label"]) <= allowed
    assert set(labels["file"]) == set(_evaluate.FILES)
    known = labels[labels["label"] != "unknown"]
    assert set(known["confidence"]) <= set(_evaluate.CONFIDENCES)
    assert not labels.duplicated(["file", "org_unit", "purpose"]).any()


def test_the_labels_cover_almost_all_of_each_files_money(figures):
    for f in figures:
        assert f.labelled_pence / f.total_pence > 0.95, f.name


def test_the_classification_page_is_current(figures):
    text = _evaluate.REPORT_PATH.read_text(encoding="utf-8")
    assert text == _evaluate.report(), "run: python -m placespend._evaluate"


def test_the_default_rules_meet_the_targets_on_the_labelled_files(figures):
    pooled = figures[-1]
    assert pooled.right >= _evaluate.TARGET_RIGHT
    assert pooled.precision >= _evaluate.TARGET_PRECISION
    for f in figures[:-1]:  # and no single council carries the others
        assert f.right >= 0.8, f.name
        assert f.precision >= _evaluate.TARGET_PRECISION, f.name
