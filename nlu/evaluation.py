"""How well a model does on labelled data: the figures `tier0 nlu test` and
`tier0 nlu cross-validate` print, the per-intent report, and the confused pairs.

The definitions follow the published benchmarks so figures compare directly:
`in_scope_accuracy` and `oos_recall` as CLINC150 reports them (a prediction below the
threshold counts as `out_of_scope`), `mcc` the multi-class Matthews correlation HINT3
reports, computed over every label including `out_of_scope`.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, matthews_corrcoef, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from nlu.classifier import fit_intent_model
from nlu.encoder import SentenceEncoder
from nlu.scorer import IntentModel, clean_text
from nlu.types import OUT_OF_SCOPE

BATCH = 256
CONFUSED_PAIRS = 20


@dataclass(frozen=True)
class Scores:
    n: int
    accuracy: float
    in_scope_accuracy: float | None
    oos_recall: float | None
    oos_precision: float | None
    macro_f1: float
    mcc: float
    threshold: float

    def to_json(self) -> dict[str, float | int | None]:
        return {key: _round(value) for key, value in asdict(self).items()}


def predict(model: IntentModel, texts: Sequence[str]) -> list[str]:
    """The intents `model` gives `texts`, in batches (one call per text would be slow)."""
    predicted: list[str] = []
    for start in range(0, len(texts), BATCH):
        batch = [clean_text(text) for text in texts[start : start + BATCH]]
        probabilities = model.classifier.predict_proba(batch)
        best = probabilities.argmax(axis=1)
        for row, index in enumerate(best):
            confident = probabilities[row, index] >= model.threshold and batch[row]
            predicted.append(str(model.classifier.classes_[index]) if confident else OUT_OF_SCOPE)
    return predicted


def score(truth: Sequence[str], predicted: Sequence[str], threshold: float) -> Scores:
    truth_array, predicted_array = np.array(truth), np.array(predicted)
    in_scope = truth_array != OUT_OF_SCOPE
    said_oos = predicted_array == OUT_OF_SCOPE
    correct = truth_array == predicted_array
    return Scores(
        n=len(truth),
        accuracy=float(correct.mean()) if len(truth) else 0.0,
        in_scope_accuracy=float(correct[in_scope].mean()) if in_scope.any() else None,
        oos_recall=float(said_oos[~in_scope].mean()) if (~in_scope).any() else None,
        oos_precision=float((~in_scope)[said_oos].mean()) if said_oos.any() else None,
        macro_f1=float(f1_score(truth, predicted, average="macro", zero_division=0)),
        mcc=float(matthews_corrcoef(truth, predicted)) if len(set(truth)) > 1 else 0.0,
        threshold=threshold,
    )


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int,
    threshold: float | None = None,
    encoder: SentenceEncoder | None = None,
) -> tuple[Scores, list[str]]:
    """Train on k-1 folds (choosing the threshold inside them), predict the held-out one.

    Returns the pooled scores and every example's held-out prediction. The reported
    threshold is the mean of the folds' thresholds.
    """
    if not 2 <= folds <= len(texts):
        raise ValueError(f"cannot make {folds} folds of {len(texts)} examples: need 2 or more")
    if folds > min(Counter(labels).values()):
        # Intents with fewer examples than folds are missing from some training folds;
        # their held-out examples then count as errors, as they would in real use.
        warnings.warn(f"some intents have fewer than {folds} examples", UserWarning, stacklevel=2)
    predicted = [""] * len(texts)
    thresholds = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train_index, test_index in splitter.split(np.zeros(len(labels)), labels):
        model, _ = fit_intent_model(
            [texts[i] for i in train_index], [labels[i] for i in train_index], threshold, encoder
        )
        thresholds.append(model.threshold)
        for index, intent in zip(
            test_index, predict(model, [texts[i] for i in test_index]), strict=True
        ):
            predicted[index] = intent
    return score(labels, predicted, float(np.mean(thresholds))), predicted


def write_report(
    directory: Path,
    texts: Sequence[str],
    truth: Sequence[str],
    predicted: Sequence[str],
    scores: Scores,
) -> list[Path]:
    """Per-intent scores (CSV), the most confused pairs (CSV), the errors (JSON lines),
    the summary (JSON) and a confusion-matrix PNG into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    per_intent = directory / "intents.csv"
    with per_intent.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["intent", "precision", "recall", "f1", "support"])
        for row in sorted(
            zip(labels, precision, recall, f1, support, strict=True), key=lambda r: r[3]
        ):
            writer.writerow([row[0], *(f"{v:.4f}" for v in row[1:4]), int(row[4])])
    pairs = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    confused = directory / "confused_pairs.csv"
    with confused.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["true_intent", "predicted_intent", "count"])
        for (true_intent, predicted_intent), count in pairs.most_common(CONFUSED_PAIRS):
            writer.writerow([true_intent, predicted_intent, count])
    errors = directory / "errors.jsonl"
    with errors.open("w", encoding="utf-8") as handle:
        for text, t, p in zip(texts, truth, predicted, strict=True):
            if t != p:
                handle.write(json.dumps({"text": text, "intent": t, "predicted": p}) + "\n")
    summary = directory / "scores.json"
    summary.write_text(json.dumps(scores.to_json(), indent=2) + "\n", encoding="utf-8")
    matrix = directory / "confusion_matrix.png"
    write_confusion_png(matrix, labels, truth, predicted)
    return [summary, per_intent, confused, errors, matrix]


def write_confusion_png(
    path: Path, labels: Sequence[str], truth: Sequence[str], predicted: Sequence[str]
) -> None:
    """A confusion-matrix heat map, rows true intents, columns predictions, both in
    `labels` order (as in intents.csv's sorted label list), row-normalised; darker is
    more. Written with the standard library's zlib, so reports need no plotting library."""
    from nlu.png import write_heatmap

    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)))
    for t, p in zip(truth, predicted, strict=True):
        counts[index[t], index[p]] += 1
    totals = counts.sum(axis=1, keepdims=True)
    write_heatmap(path, np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0))


def _round(value: float | int | None) -> float | int | None:
    return round(value, 4) if isinstance(value, float) else value
