"""Rasa 3.6 on the same data, for `nlu_bench.py` to print beside our figures.

Rasa is never a dependency of Tier0 (3.6 needs Python < 3.11 and TensorFlow), so it is
run as a separate program: the `rasa` executable of any environment it is installed
in (`nlu_bench.py --rasa PATH`, or a `rasa` on PATH). It gets Rasa's own default NLU
pipeline (`rasa init`'s config, fallback threshold 0.3) and the same files we train
on; its per-message predictions (`--successes` and `--errors`) are scored with the
same `nlu.evaluation.score`, `nlu_fallback` counting as `out_of_scope`.
"""

from __future__ import annotations

import json
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from nlu.evaluation import Scores, score
from nlu.types import OUT_OF_SCOPE

# `rasa init`'s NLU pipeline for Rasa 3.6, unchanged: the baseline is Rasa as shipped.
DEFAULT_CONFIG = """\
recipe: default.v1
language: en
assistant_id: tier0-benchmark
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 100
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies: []
"""
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class RasaRun:
    scores: Scores
    seconds: float
    peak_rss_mb: float


def _run(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(command[:3])} failed: " + " | ".join(tail))
    return time.perf_counter() - started


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _predictions(results: Path) -> tuple[list[str], list[str]]:
    truth, predicted = [], []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = results / name
        for row in json.loads(path.read_text()) if path.is_file() else []:
            guess = row["intent_prediction"]["name"] or OUT_OF_SCOPE
            truth.append(row["intent"])
            predicted.append(OUT_OF_SCOPE if guess == FALLBACK else guess)
    if not truth:
        raise RuntimeError(f"{results}: Rasa wrote no predictions")
    return truth, predicted


def _test(rasa: str, data: Path, workdir: Path, *options: str) -> tuple[float, Scores]:
    """`rasa test nlu` on `data` with `options`; its seconds and scored predictions."""
    results = workdir / "results"
    command = [rasa, "test", "nlu", "--nlu", str(data), *options]
    seconds = _run([*command, "--out", str(results), "--successes", "--no-plot"], workdir)
    truth, predicted = _predictions(results)
    return seconds, score(truth, predicted, 0.3)


def _prepare(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yml").write_text(DEFAULT_CONFIG)


def train_and_test(rasa: str, train: Path, test: Path, workdir: Path) -> RasaRun:
    """`rasa train nlu` on `train`, `rasa test nlu` on `test`; seconds are training's."""
    _prepare(workdir)
    seconds = _run(
        [rasa, "train", "nlu", "--nlu", str(train), "--config", "config.yml", "--out", "models"],
        workdir,
    )
    _, scores = _test(rasa, test, workdir, "--model", "models")
    return RasaRun(scores, seconds, _children_peak_mb())


def cross_validate(rasa: str, data: Path, folds: int, workdir: Path) -> RasaRun:
    """Rasa's own k-fold cross-validation of `data`; seconds are the whole run's."""
    _prepare(workdir)
    options = ("--config", "config.yml", "--cross-validation", "--folds", str(folds))
    seconds, scores = _test(rasa, data, workdir, *options)
    return RasaRun(scores, seconds, _children_peak_mb())
