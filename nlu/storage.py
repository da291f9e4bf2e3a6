"""A trained model on disk: `metadata.json`, `classifier.json`, `weights.npz` and
`entities.json`.

Nothing in a model directory is a pickle: settings and vocabularies are JSON, the
numbers are NumPy arrays read with `allow_pickle=False`, so loading a model can never
run code, whoever wrote the files. The metadata is read first and on its own, so
`needs_training` can decide cheaply, and a person can see what a model was trained
from. The directory is written next
to its final place and renamed into it, so a crash mid-write never leaves half a model:
readers see the old model or the new one (or, between two renames, none, which they
report as "not found" rather than loading a mix).
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import numpy as np

from nlu.encoder import SentenceEncoder, shared_encoder
from nlu.entities import EntityConfig
from nlu.errors import ModelIncompatibleError, ModelNotFoundError
from nlu.linear import SoftmaxLayer
from nlu.scorer import IntentScorer
from nlu.tfidf import TfidfFeatures

# 2: HybridClassifier, `encoder` in the metadata; 3: arrays and JSON instead of a pickle
FORMAT_VERSION = 3
METADATA_FILE = "metadata.json"
CLASSIFIER_FILE = "classifier.json"
WEIGHTS_FILE = "weights.npz"
ENTITIES_FILE = "entities.json"
MODEL_FILES = (METADATA_FILE, CLASSIFIER_FILE, WEIGHTS_FILE, ENTITIES_FILE)


@dataclass(frozen=True)
class ModelMetadata:
    format_version: int
    sklearn_version: str
    python_version: str  # sklearn_version and python_version: for people, not checked
    data_fingerprint: str
    threshold: float
    intents: tuple[str, ...]
    created_at: str
    encoder: str | None = None  # identity of the sentence encoder it was trained with

    def problem(self) -> str | None:
        """Why this model cannot be loaded by this installation, or None."""
        if self.format_version != FORMAT_VERSION:
            return (
                f"model format {self.format_version}, this version of Tier0 reads {FORMAT_VERSION}"
            )
        if self.encoder is not None:
            current = current_encoder()
            if current is None:
                return (
                    "trained with the sentence encoder, which is not installed "
                    "(pip install 'tier0[embeddings]')"
                )
            if current.identity != self.encoder:
                return "trained with another version of the sentence encoder"
        return None


@dataclass(frozen=True)
class StoredModel:
    metadata: ModelMetadata
    classifier: IntentScorer
    entities: EntityConfig


def current_encoder() -> SentenceEncoder | None:
    """The encoder this installation would train and parse with (None: not installed)."""
    return shared_encoder()


def current_versions() -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "sklearn_version": _installed_version("scikit-learn"),
        "python_version": platform.python_version(),
    }


def read_metadata(model_dir: Path) -> ModelMetadata:
    """The model's metadata; raises if missing, unreadable or not for this installation."""
    path = model_dir / METADATA_FILE
    if not all((model_dir / name).is_file() for name in MODEL_FILES):
        raise ModelNotFoundError(f"{model_dir}: no trained NLU model here; run `tier0 train`")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        metadata = ModelMetadata(
            format_version=int(raw["format_version"]),
            sklearn_version=str(raw["sklearn_version"]),
            python_version=str(raw.get("python_version", "")),
            data_fingerprint=str(raw["data_fingerprint"]),
            threshold=float(raw["threshold"]),
            intents=tuple(map(str, raw["intents"])),
            created_at=str(raw["created_at"]),
            encoder=raw.get("encoder"),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelIncompatibleError(
            f"{path}: unreadable model metadata ({error}); run `tier0 train`"
        ) from None
    problem = metadata.problem()
    if problem:
        raise ModelIncompatibleError(f"{model_dir}: {problem}; run `tier0 train` to retrain")
    return metadata


def read_model(model_dir: Path) -> StoredModel:
    metadata = read_metadata(model_dir)
    try:
        settings = json.loads((model_dir / CLASSIFIER_FILE).read_text(encoding="utf-8"))
        with np.load(model_dir / WEIGHTS_FILE, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        scorer = _scorer_from_state(settings, arrays)
        entities = json.loads((model_dir / ENTITIES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, EOFError, BadZipFile) as error:
        raise ModelIncompatibleError(
            f"{model_dir}: the model files are damaged ({type(error).__name__}: {error}); "
            "run `tier0 train`"
        ) from None
    if tuple(map(str, scorer.classes_)) != metadata.intents:
        raise ModelIncompatibleError(
            f"{model_dir}: the weights do not match the metadata's intents; run `tier0 train`"
        )
    return StoredModel(metadata, scorer, EntityConfig.from_json(entities))


def _scorer_state(scorer: IntentScorer) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    features, arrays = scorer.features.state()
    arrays.update(scorer.lexical.arrays("lexical"))
    if scorer.semantic is not None:
        arrays.update(scorer.semantic.arrays("semantic"))
    settings = {
        "classes": [str(name) for name in scorer.classes_],
        "features": features,
        "semantic": scorer.semantic is not None,
        "semantic_weight": scorer.semantic_weight,
    }
    return settings, arrays


def _scorer_from_state(settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> IntentScorer:
    classes = np.array([str(name) for name in settings["classes"]], dtype=object)
    features = TfidfFeatures.from_state(settings["features"], arrays)
    lexical = SoftmaxLayer.from_arrays(arrays, "lexical")
    semantic = SoftmaxLayer.from_arrays(arrays, "semantic") if settings["semantic"] else None
    if lexical.inputs != features.width:
        raise ValueError(f"{features.width} features but lexical weights for {lexical.inputs}")
    for layer in (lexical, semantic):
        if layer is not None and layer.classes != len(classes):
            raise ValueError(f"{len(classes)} intents but weights for {layer.classes}")
    return IntentScorer(
        classes_=classes,
        features=features,
        lexical=lexical,
        semantic=semantic,
        semantic_weight=float(settings["semantic_weight"]),
    )


def _installed_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def write_model(model_dir: Path, model: StoredModel) -> None:
    """Write `model` to a temporary sibling directory, then rename it into place."""
    parent = model_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.new-", dir=parent))
    try:
        staging.chmod(0o755)
        settings, arrays = _scorer_state(model.classifier)
        _write_json(staging / CLASSIFIER_FILE, settings)
        with (staging / WEIGHTS_FILE).open("wb") as handle:
            np.savez(handle, **arrays)
        _write_json(staging / ENTITIES_FILE, model.entities.to_json())
        _write_json(staging / METADATA_FILE, asdict(model.metadata))
        _swap_in(staging, model_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, model_dir: Path) -> None:
    retired = None
    if model_dir.exists():
        retired = model_dir.with_name(f".{model_dir.name}.old-{uuid.uuid4().hex[:8]}")
        model_dir.rename(retired)
    try:
        staging.rename(model_dir)
    except OSError:
        if retired is not None:
            retired.rename(model_dir)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
