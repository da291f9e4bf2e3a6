"""Fixtures for the nlu tests: YAML files written on the fly, and one model trained on
the shipped data for the whole session (training is the slow part)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from nlu.model import NluModel, TrainReport, default_data_dir, load, train

WriteYaml = Callable[[str, str], Path]

# A small but valid data set for tests that train often: cheap to cross-validate.
SMALL_DATA = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
    - hey there
    - good morning
    - hiya
    - hello bot
- intent: goodbye
  examples: |
    - bye
    - goodbye
    - see you later
    - bye bye
    - good night
    - see ya
- intent: ask_howto
  examples: |
    - how do i install [tier0](product)
    - how to set up [slack](product)
    - where do i set the database url
    - how do i back up my data
    - how to upgrade to [1.2](version)
    - how do i configure the port
- lookup: product
  examples: |
    - tier0
    - slack
"""


@pytest.fixture
def write_yaml(tmp_path: Path) -> WriteYaml:
    """Write dedented YAML to `tmp_path/name` and return the path."""

    def write(name: str, content: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    return write


@pytest.fixture
def small_data(write_yaml: WriteYaml) -> Path:
    return write_yaml("small/nlu.yml", SMALL_DATA)


@pytest.fixture(scope="session")
def shipped_training(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainReport]:
    """The shipped data trained once per session: (model directory, report)."""
    model_dir = tmp_path_factory.mktemp("nlu") / "model"
    report = train([default_data_dir()], model_dir)
    return model_dir, report


@pytest.fixture(scope="session")
def shipped_model(shipped_training: tuple[Path, TrainReport]) -> NluModel:
    return load(shipped_training[0])


@pytest.fixture
def model_copy(shipped_training: tuple[Path, TrainReport], tmp_path: Path) -> Path:
    """A private copy of the trained model directory, for tests that damage it."""
    target = tmp_path / "model"
    shutil.copytree(shipped_training[0], target)
    return target
