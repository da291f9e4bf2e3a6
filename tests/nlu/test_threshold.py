"""Choosing the out-of-scope threshold from held-out confidences."""

from __future__ import annotations

import numpy as np

from nlu.classifier import build_pipeline
from nlu.threshold import FALLBACK_THRESHOLD, THRESHOLD_BOUNDS, best_threshold, choose_threshold


def arrays(rows: list[tuple[float, str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    confidence, predicted, truth = zip(*rows, strict=True)
    return np.array(confidence), np.array(predicted), np.array(truth)


def test_separable_confidences_give_a_threshold_between_them() -> None:
    rows = [(0.9, "greet", "greet")] * 20 + [(0.2, "greet", "out_of_scope")] * 20
    choice = best_threshold(*arrays(rows))
    assert 0.2 < choice.threshold <= 0.9
    assert choice.in_scope_accuracy == 1.0
    assert choice.out_of_scope_recall == 1.0


def test_predicted_out_of_scope_counts_as_caught_at_any_threshold() -> None:
    rows = [(0.9, "greet", "greet")] * 10 + [(0.95, "out_of_scope", "out_of_scope")] * 10
    choice = best_threshold(*arrays(rows))
    assert choice.out_of_scope_recall == 1.0
    assert choice.threshold < 0.9


def test_without_out_of_scope_data_mistakes_stand_in_for_it() -> None:
    rows = [(0.8, "a", "a")] * 30 + [(0.3, "b", "a")] * 10
    choice = best_threshold(*arrays(rows))
    assert 0.3 < choice.threshold <= 0.8
    assert choice.out_of_scope_recall is None
    assert choice.in_scope_accuracy == 0.75


def test_threshold_stays_within_bounds() -> None:
    rows = [(0.99, "a", "a")] * 10 + [(0.98, "a", "out_of_scope")] * 10
    low, high = THRESHOLD_BOUNDS
    assert low <= best_threshold(*arrays(rows)).threshold <= high


def test_too_little_data_falls_back_to_the_default() -> None:
    choice = choose_threshold(["hi", "bye"], ["greet", "goodbye"], build_pipeline)
    assert choice.threshold == FALLBACK_THRESHOLD
    assert choice.folds == 0


def test_cross_validation_is_deterministic() -> None:
    texts = [f"hello number {i}" for i in range(6)] + [f"bye now {i}" for i in range(6)]
    labels = ["greet"] * 6 + ["goodbye"] * 6
    first = choose_threshold(texts, labels, build_pipeline)
    assert first == choose_threshold(texts, labels, build_pipeline)
    assert first.folds == 5


def test_with_out_of_scope_data_accuracy_decides_and_ties_refuse_more() -> None:
    # Refusing the one out-of-scope message costs nothing up to 0.8: take the highest.
    rows = [(0.9, "a", "a")] * 50 + [(0.5, "a", "out_of_scope")]
    assert best_threshold(*arrays(rows)).threshold == THRESHOLD_BOUNDS[1]


def test_in_scope_answers_are_not_traded_for_fewer_out_of_scope_catches() -> None:
    rows = [(0.9, "a", "a")] * 90 + [(0.3, "b", "b")] * 10 + [(0.35, "a", "out_of_scope")] * 2
    choice = best_threshold(*arrays(rows))
    assert choice.threshold == 0.3
    assert choice.in_scope_accuracy == 1.0
    assert choice.out_of_scope_recall == 0.0
