"""The public pipeline: train, the model directory, load, needs_training, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn

import nlu
from nlu import model as nlu_model
from nlu import storage
from nlu.errors import ModelIncompatibleError, ModelNotFoundError, TrainingDataError
from nlu.model import NluModel, TrainReport, default_data_dir, load, needs_training, train
from nlu.types import IntentClassifier
from tests.nlu.conftest import WriteYaml


def test_report_describes_the_training(shipped_training: tuple[Path, TrainReport]) -> None:
    _, report = shipped_training
    assert report.intents == 12
    assert report.examples >= 500
    assert 0.05 <= report.threshold <= 0.8
    assert report.warnings == ()
    assert 0 < report.seconds < 60
    assert report.in_scope_accuracy is not None and report.out_of_scope_recall is not None


def test_model_directory_holds_json_and_arrays_only(
    shipped_training: tuple[Path, TrainReport],
) -> None:
    model_dir, report = shipped_training
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "classifier.json",
        "entities.json",
        "metadata.json",
        "weights.npz",
    ]
    with np.load(model_dir / "weights.npz", allow_pickle=False) as weights:
        assert all(weights[name].dtype != object for name in weights.files)
    metadata = json.loads((model_dir / "metadata.json").read_text())
    assert metadata["format_version"] == storage.FORMAT_VERSION
    assert metadata["sklearn_version"] == sklearn.__version__
    assert metadata["threshold"] == report.threshold
    assert len(metadata["data_fingerprint"]) == 64
    assert metadata["created_at"].endswith("+00:00")
    assert not [p for p in model_dir.parent.iterdir() if p.name.startswith(".")]


def test_load_round_trip_gives_the_same_parses(
    shipped_training: tuple[Path, TrainReport], shipped_model: NluModel
) -> None:
    again = load(shipped_training[0])
    for text in ("hi", "my tickets", "slack bot doesn't answer", "weather?"):
        assert again.parse(text) == shipped_model.parse(text)
    classifier: IntentClassifier = again  # the protocol the bot depends on
    assert classifier.parse("hello").intent == "greet"


def test_load_threshold_overrides_the_trained_one(
    shipped_training: tuple[Path, TrainReport],
) -> None:
    strict = load(shipped_training[0], threshold=1.0)
    assert strict.threshold == 1.0
    assert strict.parse("hello there").intent == "out_of_scope"
    with pytest.raises(ValueError, match="between 0 and 1"):
        load(shipped_training[0], threshold=1.5)


def test_needs_training(
    shipped_training: tuple[Path, TrainReport], tmp_path: Path, model_copy: Path
) -> None:
    model_dir, _ = shipped_training
    assert needs_training([default_data_dir()], model_dir) is False
    assert needs_training([default_data_dir()], tmp_path / "nothing") is True
    moved = tmp_path / "data"
    shutil.copytree(default_data_dir(), moved)
    assert needs_training([moved], model_dir) is False  # same content elsewhere
    greetings = moved / "smalltalk.yml"
    greetings.write_text(greetings.read_text() + "    - hey hey hey\n")
    assert needs_training([moved], model_dir) is True
    edit_metadata(model_copy, format_version=2)
    assert needs_training([default_data_dir()], model_copy) is True


def test_a_model_outlives_a_scikit_learn_upgrade(model_copy: Path, shipped_model: NluModel) -> None:
    # The files are arrays and JSON, not pickled estimators: nothing to retrain.
    edit_metadata(model_copy, sklearn_version="0.0.1")
    assert needs_training([default_data_dir()], model_copy) is False
    assert load(model_copy).parse("my tickets") == shipped_model.parse("my tickets")


def edit_metadata(model_dir: Path, **changes: object) -> None:
    path = model_dir / "metadata.json"
    metadata = json.loads(path.read_text())
    metadata.update(changes)
    path.write_text(json.dumps(metadata))


def test_missing_model_raises_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="tier0 train") as raised:
        load(tmp_path / "absent")
    assert str(tmp_path / "absent") in str(raised.value)
    assert isinstance(raised.value, FileNotFoundError)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format_version": 999}, "model format 999"),
        ({"format_version": 2}, "model format 2"),
    ],
)
def test_incompatible_model_is_refused_with_the_reason(
    model_copy: Path, changes: dict[str, object], message: str
) -> None:
    edit_metadata(model_copy, **changes)
    with pytest.raises(ModelIncompatibleError, match=message):
        load(model_copy)


def test_damaged_files_are_incompatible_not_a_crash(model_copy: Path) -> None:
    weights = (model_copy / "weights.npz").read_bytes()
    (model_copy / "weights.npz").write_bytes(weights[: len(weights) // 2])
    with pytest.raises(ModelIncompatibleError, match="damaged"):
        load(model_copy)
    (model_copy / "weights.npz").write_bytes(weights)
    (model_copy / "classifier.json").write_text("[]")
    with pytest.raises(ModelIncompatibleError, match="damaged"):
        load(model_copy)
    (model_copy / "metadata.json").write_text("{not json")
    with pytest.raises(ModelIncompatibleError, match="unreadable"):
        load(model_copy)
    assert needs_training([default_data_dir()], model_copy) is True


class Payload:
    """Would run code if it were ever unpickled."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("unpickled!",))


def test_a_pickle_in_the_weights_is_refused_not_run(
    model_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = model_copy / "weights.npz"
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["lexical.coef"] = np.array([Payload()], dtype=object)
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(ModelIncompatibleError, match="damaged"):
        load(model_copy)
    assert "unpickled!" not in capsys.readouterr().out


def test_weights_that_do_not_fit_the_vocabulary_are_refused(model_copy: Path) -> None:
    path = model_copy / "classifier.json"
    settings = json.loads(path.read_text())
    settings["features"][0]["vocabulary"].append("an extra term")
    path.write_text(json.dumps(settings))
    with pytest.raises(ModelIncompatibleError, match="damaged"):
        load(model_copy)
    settings["features"][0]["vocabulary"].pop()
    settings["features"][0]["tokenizer"] = "os.system"
    path.write_text(json.dumps(settings))
    with pytest.raises(ModelIncompatibleError, match="unknown vectoriser settings"):
        load(model_copy)


def test_retraining_replaces_the_model_and_leaves_no_temporary_dirs(
    small_data: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models" / "nlu"
    first = train([small_data], model_dir)
    assert first.intents == 3 and first.examples == 18
    second = train([small_data], model_dir, threshold=0.42)
    assert second.threshold == 0.42
    assert second.in_scope_accuracy is None
    assert load(model_dir).threshold == 0.42
    assert [p.name for p in model_dir.parent.iterdir()] == ["nlu"]


def test_a_failed_write_keeps_the_previous_model(
    small_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_dir = tmp_path / "model"
    train([small_data], model_dir, threshold=0.3)

    def broken_dump(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(storage, "_write_json", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        train([small_data], model_dir, threshold=0.6)
    assert load(model_dir).threshold == 0.3
    assert [p.name for p in tmp_path.iterdir() if p.name != "small"] == ["model"]


def test_small_model_extracts_lookup_entities(small_data: Path, tmp_path: Path) -> None:
    train([small_data], tmp_path / "model")
    parse = load(tmp_path / "model").parse("how do i install tier0 1.2 on linux")
    assert parse.intent == "ask_howto"
    assert [(e.type, e.value) for e in parse.entities] == [
        ("product", "tier0"),
        ("version", "1.2"),
        ("os", "linux"),
    ]


def test_bad_data_and_bad_arguments_are_reported(write_yaml: WriteYaml, tmp_path: Path) -> None:
    bad = write_yaml("bad.yml", "nlu:\n- intent: greet\n")
    with pytest.raises(TrainingDataError, match=f"{bad}:2: intent 'greet' has no examples"):
        train([bad], tmp_path / "model")
    lonely = write_yaml("one.yml", "nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    with pytest.raises(TrainingDataError, match="at least two intents"):
        train([lonely], tmp_path / "model")
    with pytest.raises(ValueError, match="between 0 and 1"):
        train([lonely], tmp_path / "model", threshold=-0.1)
    assert not (tmp_path / "model").exists()


def test_default_data_dir_is_the_packaged_data() -> None:
    assert default_data_dir() == Path(nlu_model.__file__).parent / "data"
    assert sorted(default_data_dir().glob("*.yml"))


def test_public_names_are_exported() -> None:
    for name in (
        "train",
        "load",
        "needs_training",
        "default_data_dir",
        "NluModel",
        "TrainReport",
        "TrainingData",
        "TrainingDataError",
        "ModelNotFoundError",
        "ModelIncompatibleError",
        "load_training_data",
        "Entity",
        "IntentClassifier",
        "IntentScore",
        "Parse",
    ):
        assert name in nlu.__all__ and hasattr(nlu, name), name


LEAN_LOAD = """
import sys
from pathlib import Path
from nlu.model import load
print(load(Path(sys.argv[1])).parse("how do I install it on windows").intent)
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"sklearn", "scipy", "joblib"})
print(",".join(heavy) or "none")
"""


def test_loading_and_parsing_never_import_the_training_libraries(
    shipped_training: tuple[Path, TrainReport],
) -> None:
    # scikit-learn and SciPy cost a serving process 70 MB and 0.6 s: parse without them.
    done = subprocess.run(
        [sys.executable, "-c", LEAN_LOAD, str(shipped_training[0])],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.split() == ["ask_howto", "none"]
