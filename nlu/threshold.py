"""Choosing the out-of-scope confidence threshold from the training data itself.

Held-out folds (stratified k-fold) give honest confidences; what the threshold then
optimises depends on what the data can tell:

- **With `out_of_scope` examples**, the model has learnt what out of scope looks like
  and the data shows how much of it to expect. The threshold maximises held-out
  accuracy over all examples as they are mixed in the data (an out-of-scope message
  is right when refused; an in-scope one when accepted with the right intent). The
  curve is flat near its top, and among thresholds that score within
  `ACCURACY_TOLERANCE` of the best the highest is taken: the out-of-scope examples
  are a small sample of everything users will type that the bot does not cover, so
  when refusing more costs nothing measurable, refuse more. (A balanced objective,
  in-scope accuracy + out-of-scope recall, was measured and rejected here: on
  CLINC150 it traded 6 points of in-scope accuracy for 20 of recall.)
- **Without them**, misclassified held-out messages stand in for out-of-scope ones,
  and nothing says how much out-of-scope traffic to expect, while live bots see a lot
  of it (40-70 % of HINT3's real traffic). The threshold balances the two ways of
  failing: accepted correct predictions against refused wrong ones. That objective is
  flat over a wide range (on small data anything from 0.3 to 0.55 scores within a
  point), so the curve is smoothed over neighbouring thresholds, every threshold
  within `BALANCED_TOLERANCE` of the best counts as equally good, and the middle one
  is taken.

Either way the result is clamped to `THRESHOLD_BOUNDS`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from joblib import parallel_backend
from sklearn.base import ClassifierMixin
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from nlu.types import OUT_OF_SCOPE

THRESHOLD_BOUNDS = (0.05, 0.8)
FALLBACK_THRESHOLD = 0.3  # when there is too little data to cross-validate
MAX_FOLDS = 5
SMALL_DATA = 3000  # examples; below this, cross-validation is cheap and noisy
SMALL_DATA_REPEATS = 3
LARGE_DATA = 5000  # examples; from here 3 folds estimate the threshold as well as 5
LARGE_DATA_FOLDS = 3
CV_JOBS = min(4, os.cpu_count() or 1)
GRID_STEP = 0.01
SMOOTHING = 5  # grid steps either side
BALANCED_TOLERANCE = 0.01  # mean of two rates; scores this close to the best tie
ACCURACY_TOLERANCE = 0.001  # one held-out message in a thousand


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen threshold and what it scored on held-out folds (None: not measured)."""

    threshold: float
    in_scope_accuracy: float | None = None
    out_of_scope_recall: float | None = None
    folds: int = 0


def choose_threshold(
    texts: Sequence[str],
    labels: Sequence[str],
    make_classifier: Callable[[], ClassifierMixin],
    *,
    max_folds: int = MAX_FOLDS,
    seed: int = 0,
    repeats: int | None = None,
) -> ThresholdChoice:
    """Cross-validate `make_classifier()` on the data and pick the threshold.

    Small data sets are cross-validated `SMALL_DATA_REPEATS` times with different
    shuffles and the held-out predictions pooled: with a few dozen out-of-scope
    examples, one split alone moves the lexical model's best threshold by 0.2 or more.
    `repeats` overrides that count.
    """
    counts = Counter(labels)
    if len(texts) >= LARGE_DATA:
        max_folds = min(max_folds, LARGE_DATA_FOLDS)
    folds = min(max_folds, min(counts.values(), default=0))
    if len(counts) < 2 or folds < 2:
        return ThresholdChoice(FALLBACK_THRESHOLD)
    if repeats is None:
        repeats = SMALL_DATA_REPEATS if len(texts) < SMALL_DATA else 1
    classes = np.array(sorted(counts))
    pooled: list[tuple[np.ndarray, np.ndarray]] = []
    for repeat in range(repeats):
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        # Folds run in threads: the solvers spend their time in NumPy and Cython
        # without the GIL, and threads share the cached sentence embeddings that
        # worker processes would each have to be sent.
        with parallel_backend("threading", n_jobs=CV_JOBS):
            probabilities = cross_val_predict(
                make_classifier(),
                list(texts),
                list(labels),
                cv=splitter,
                method="predict_proba",
                n_jobs=CV_JOBS,
            )
        pooled.append((probabilities.max(axis=1), classes[probabilities.argmax(axis=1)]))
    confidence = np.concatenate([conf for conf, _ in pooled])
    predicted = np.concatenate([pred for _, pred in pooled])
    truth = np.tile(np.array(labels), repeats)
    choice = best_threshold(confidence, predicted, truth)
    return ThresholdChoice(
        choice.threshold, choice.in_scope_accuracy, choice.out_of_scope_recall, folds
    )


def best_threshold(
    confidence: np.ndarray,
    predicted: np.ndarray,
    truth: np.ndarray,
    bounds: tuple[float, float] = THRESHOLD_BOUNDS,
) -> ThresholdChoice:
    """The threshold within `bounds` that best serves the objective described above."""
    low, high = bounds
    grid = np.round(np.arange(low, high + GRID_STEP / 2, GRID_STEP), 4)
    in_scope = truth != OUT_OF_SCOPE
    correct = (predicted == truth) & in_scope
    has_oos = bool((~in_scope).any())
    # What should be refused: real out-of-scope messages, or else the model's mistakes.
    refuse = ~in_scope if has_oos else ~correct
    scores, accuracies, recalls = [], [], []
    for threshold in grid:
        accepted = (confidence >= threshold) & (predicted != OUT_OF_SCOPE)
        accuracy = _mean((correct & accepted)[in_scope])
        recall = _mean(~accepted[refuse])
        if has_oos:
            scores.append(_mean(np.where(in_scope, correct & accepted, ~accepted)))
        else:
            scores.append((_mean(accepted[correct]) + recall) / 2 if refuse.any() else accuracy)
        accuracies.append(accuracy)
        recalls.append(recall)
    if has_oos:
        curve = np.array(scores)
        index = int(np.flatnonzero(curve >= curve.max() - ACCURACY_TOLERANCE)[-1])
    else:
        smoothed = _smooth(np.array(scores))
        best = np.flatnonzero(smoothed >= smoothed.max() - BALANCED_TOLERANCE)
        index = int(best[len(best) // 2])
    return ThresholdChoice(
        threshold=float(grid[index]),
        in_scope_accuracy=accuracies[index],
        out_of_scope_recall=recalls[index] if has_oos else None,
    )


def _smooth(scores: np.ndarray) -> np.ndarray:
    """A moving average over ±`SMOOTHING` grid steps: the raw objective is jagged (a few
    held-out messages flip at each step), and its single best step is mostly noise."""
    window = np.ones(2 * SMOOTHING + 1)
    padded = np.pad(scores, SMOOTHING, mode="edge")
    return np.convolve(padded, window / window.size, mode="valid")


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0
