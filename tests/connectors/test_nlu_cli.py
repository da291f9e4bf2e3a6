"""`tier0 nlu train | parse | test | cross-validate`, run through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.cli import main
from tests.nlu.conftest import SMALL_DATA

METRICS = {"accuracy", "in_scope_accuracy", "oos_recall", "oos_precision", "macro_f1", "mcc", "n"}

HELD_OUT = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello there
    - hey
- intent: goodbye
  examples: |
    - bye now
- intent: out_of_scope
  examples: |
    - what is the capital of peru
    - play some jazz
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("nlu-cli")
    data = root / "train.yml"
    data.write_text(SMALL_DATA)
    model = root / "model"
    assert main(["nlu", "train", str(data), "--out", str(model)]) == 0
    return data, model


def test_train_reports_json_and_progress(
    trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = trained
    assert (
        main(["nlu", "train", str(data), "--out", str(tmp_path / "m"), "--threshold", "0.3"]) == 0
    )
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["intents"] == 3
    assert report["threshold"] == 0.3
    assert "… read 18 examples of 3 intents" in err
    assert "embedding 18 examples" in err


def test_parse_prints_the_ranked_intents_and_entities(
    trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, model = trained
    assert main(["nlu", "parse", "--model", str(model), "how do I install tier0"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed["intent"]["name"] == "ask_howto"
    assert parsed["intent_ranking"][0]["name"] == "ask_howto"
    assert len(parsed["intent_ranking"]) == 3
    assert {"type": "product", "value": "tier0"}.items() <= parsed["entities"][0].items()


def test_test_prints_one_json_object_and_writes_a_report(
    trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, model = trained
    held_out = tmp_path / "test.yml"
    held_out.write_text(HELD_OUT)
    report = tmp_path / "report"
    command = [
        "nlu",
        "test",
        str(held_out),
        "--model",
        str(model),
        "--json",
        "--report",
        str(report),
    ]
    assert main(command) == 0
    scores = json.loads(capsys.readouterr().out)
    assert set(scores) >= METRICS
    assert scores["n"] == 5
    assert 0 <= scores["oos_recall"] <= 1
    assert 0 <= scores["accuracy"] <= 1
    intents = (report / "intents.csv").read_text().splitlines()
    assert intents[0] == "intent,precision,recall,f1,support"
    assert {line.split(",")[0] for line in intents[1:]} >= {"greet", "goodbye", "out_of_scope"}
    assert (report / "confusion_matrix.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert json.loads((report / "scores.json").read_text()) == scores


def test_cross_validate(trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = trained
    assert main(["nlu", "cross-validate", str(data), "--folds", "3", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["n"] == 18
    assert scores["in_scope_accuracy"] > 0.5
    assert scores["oos_recall"] is None  # the data has no out_of_scope examples


def test_bad_input_is_a_one_line_error(
    trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, model = trained
    assert main(["nlu", "cross-validate", str(data), "--folds", "50"]) == 1
    assert "cannot make 50 folds of 18 examples" in capsys.readouterr().err
    broken = tmp_path / "broken.yml"
    broken.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    hi\n')
    assert main(["nlu", "test", str(broken), "--model", str(model)]) == 1
    err = capsys.readouterr().err
    assert f"{broken}:" in err
    assert "Traceback" not in err
    assert main(["nlu", "parse", "--model", str(tmp_path / "none"), "hi"]) == 1
    assert "no trained NLU model" in capsys.readouterr().err
