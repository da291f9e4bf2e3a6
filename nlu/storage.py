"""A trained model on disk: `metadata.json`, `pipeline.joblib` and `entities.json`.

The metadata is plain JSON so `needs_training` can decide without unpickling anything,
and so a person can see what a model was trained from. The directory is written next
to its final place and renamed into it, so a crash mid-write never leaves half a model:
readers see the old model or the new one (or, between two renames, none, which they
report as "not found" rather than loading a mix).

Pickles (joblib) are only as safe as the directory they come from: the model directory
is the deployment's own state, never user input.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import joblib
import sklearn

from nlu.encoder import SentenceEncoder, shared_encoder
from nlu.entities import EntityConfig
from nlu.errors import ModelIncompatibleError, ModelNotFoundError

FORMAT_VERSION = 2  # 2: HybridClassifier, `encoder` in the metadata
METADATA_FILE = "metadata.json"
PIPELINE_FILE = "pipeline.joblib"
ENTITIES_FILE = "entities.json"


@dataclass(frozen=True)
class ModelMetadata:
    format_version: int
    sklearn_version: str
    python_version: str
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
        if self.sklearn_version != sklearn.__version__:
            return (
                f"trained with scikit-learn {self.sklearn_version}, "
                f"installed is {sklearn.__version__}"
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
    classifier: Any
    entities: EntityConfig


def current_encoder() -> SentenceEncoder | None:
    """The encoder this installation would train and parse with (None: not installed)."""
    return shared_encoder()


def current_versions() -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
    }


def read_metadata(model_dir: Path) -> ModelMetadata:
    """The model's metadata; raises if missing, unreadable or not for this installation."""
    path = model_dir / METADATA_FILE
    if not path.is_file() or not (model_dir / PIPELINE_FILE).is_file():
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
        classifier = joblib.load(model_dir / PIPELINE_FILE)
        entities = json.loads((model_dir / ENTITIES_FILE).read_text(encoding="utf-8"))
    except Exception as error:  # a damaged pickle can raise almost anything
        raise ModelIncompatibleError(
            f"{model_dir}: the model files are damaged ({type(error).__name__}: {error}); "
            "run `tier0 train`"
        ) from None
    return StoredModel(metadata, classifier, EntityConfig.from_json(entities))


def write_model(model_dir: Path, model: StoredModel) -> None:
    """Write `model` to a temporary sibling directory, then rename it into place."""
    parent = model_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.new-", dir=parent))
    try:
        staging.chmod(0o755)
        joblib.dump(model.classifier, staging / PIPELINE_FILE)
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
