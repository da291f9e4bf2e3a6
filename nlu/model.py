"""The public NLU pipeline: train from Rasa YAML, save, check freshness, load, parse.

`train` → `TrainReport`; `load` → `NluModel`, which implements `IntentClassifier`;
`needs_training` lets the app retrain only when the data or the installation changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nlu.entities import EntityConfig, EntityExtractor
from nlu.errors import ModelIncompatibleError, ModelNotFoundError, TrainingDataError
from nlu.scorer import Embeddings, IntentModel
from nlu.storage import (
    ModelMetadata,
    StoredModel,
    current_encoder,
    current_versions,
    read_metadata,
    read_model,
    write_model,
)
from nlu.training_data import TrainingData, fingerprint_files, load_training_data
from nlu.types import Parse


@dataclass(frozen=True)
class TrainReport:
    """What training did. The accuracy/recall figures are cross-validated estimates at
    the chosen threshold (None when not measured: a threshold was given, or too little data)."""

    intents: int
    examples: int
    threshold: float
    warnings: tuple[str, ...]
    seconds: float
    in_scope_accuracy: float | None = None
    out_of_scope_recall: float | None = None


@dataclass(frozen=True)
class NluModel:
    """A loaded model: `parse(text)` gives the intent, its confidence, the ranking and
    the entities. Immutable, so one instance can serve many threads."""

    classifier: IntentModel
    extractor: EntityExtractor
    metadata: ModelMetadata

    @property
    def threshold(self) -> float:
        return self.classifier.threshold

    @property
    def intents(self) -> tuple[str, ...]:
        return self.classifier.intents

    def parse(self, text: str) -> Parse:
        decision = self.classifier.decide(text)
        entities = self.extractor.extract(text) if decision.ranking else ()
        return Parse(text, decision.intent, decision.confidence, decision.ranking, entities)


def default_data_dir() -> Path:
    """The assistant's own training data, shipped inside the package."""
    return Path(__file__).resolve().parent / "data"


def train(
    data_paths: Sequence[Path],
    model_dir: Path,
    threshold: float | None = None,
    *,
    use_encoder: bool = True,
    progress: Callable[[str], None] | None = None,
) -> TrainReport:
    """Train on the NLU files under `data_paths` and write the model to `model_dir`.

    `threshold` fixes the out-of-scope threshold instead of choosing it by
    cross-validation. The sentence encoder is used when installed, unless
    `use_encoder` is False. `progress` hears what training is doing, for a CLI to
    show. Raises `TrainingDataError` for bad data.
    """
    from nlu.classifier import fit_intent_model  # scikit-learn: only when training

    say = progress or (lambda message: None)
    started = time.perf_counter()
    _check_threshold(threshold)
    data = load_training_data(list(data_paths))
    _check_trainable(data, data_paths)
    say(f"read {len(data.examples)} examples of {len(data.intents)} intents")
    texts = [example.text for example in data.examples]
    labels = [example.intent for example in data.examples]
    encoder = current_encoder() if use_encoder else None
    classifier, choice = fit_intent_model(texts, labels, threshold, encoder, progress=say)
    metadata = ModelMetadata(
        **current_versions(),
        data_fingerprint=data.fingerprint(),
        threshold=choice.threshold,
        intents=classifier.intents,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        encoder=encoder.identity if encoder is not None else None,
    )
    entities = EntityConfig.from_training_data(data)
    write_model(model_dir, StoredModel(metadata, classifier.classifier, entities))
    return TrainReport(
        intents=len(classifier.intents),
        examples=len(data.examples),
        threshold=choice.threshold,
        warnings=data.warnings,
        seconds=time.perf_counter() - started,
        in_scope_accuracy=choice.in_scope_accuracy,
        out_of_scope_recall=choice.out_of_scope_recall,
    )


def load(model_dir: Path, threshold: float | None = None) -> NluModel:
    """Load the model in `model_dir`; `threshold` overrides the one chosen at training.

    Raises `ModelNotFoundError` when there is none and `ModelIncompatibleError` when it
    was written in another model format or for another sentence encoder, or is damaged.
    """
    _check_threshold(threshold)
    stored = read_model(model_dir)
    chosen = stored.metadata.threshold if threshold is None else threshold
    classifier = stored.classifier
    if stored.metadata.encoder is not None:
        encoder = current_encoder()  # read_model checked it is installed and the same
        assert encoder is not None
        classifier = classifier.with_embeddings(Embeddings(encoder))
    return NluModel(
        IntentModel(classifier, chosen), EntityExtractor(stored.entities), stored.metadata
    )


def needs_training(data_paths: Sequence[Path], model_dir: Path) -> bool:
    """True when the model is missing, unusable here, or trained on other data."""
    try:
        metadata = read_metadata(model_dir)
    except (ModelNotFoundError, ModelIncompatibleError):
        return True
    if metadata.encoder is None and current_encoder() is not None:
        return True  # the encoder was installed since: a better model is one training away
    return metadata.data_fingerprint != fingerprint_files(list(data_paths))


def _check_threshold(threshold: float | None) -> None:
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")


def _check_trainable(data: TrainingData, data_paths: Sequence[Path]) -> None:
    if len(data.intents) < 2:
        where = ", ".join(str(path) for path in data_paths)
        raise TrainingDataError(
            f"{where}: need at least two intents to train, found {len(data.intents)}"
        )
