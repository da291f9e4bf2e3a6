"""The assistant's own training data: complete, clean, consistent with the extractors;
and `nlu` stays independent of `bot` and `connectors`."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from nlu.entities import EntityConfig, EntityExtractor
from nlu.model import default_data_dir
from nlu.training_data import TrainingData, load_training_data

REQUIRED = {
    "greet", "goodbye", "thanks", "help", "bot_challenge", "ask_howto", "report_problem",
    "request_human", "ticket_status", "affirm", "deny", "out_of_scope",
}  # fmt: skip
ENTITY_TYPES = {"version", "os", "error_code", "product", "ticket_number", "email"}


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return load_training_data(default_data_dir())


def test_required_intents_with_enough_examples(data: TrainingData) -> None:
    counts = Counter(example.intent for example in data.examples)
    assert set(counts) == REQUIRED
    assert min(counts.values()) >= 20, counts
    assert counts["out_of_scope"] >= 40
    assert counts["ask_howto"] >= 60 and counts["report_problem"] >= 60


def test_shipped_data_loads_without_warnings(data: TrainingData) -> None:
    assert data.warnings == ()


def test_every_entity_type_is_annotated_somewhere(data: TrainingData) -> None:
    annotated = {span.entity for example in data.examples for span in example.entities}
    assert annotated >= ENTITY_TYPES


def test_annotations_agree_with_what_the_extractors_find(data: TrainingData) -> None:
    """Every annotated span is found, at the same place, with the same canonical value:
    the data documents what the extractors do, and a change to either shows up here."""
    extractor = EntityExtractor(EntityConfig.from_training_data(data))
    disagreements = []
    for example in data.examples:
        found = {(e.type, e.start, e.end, e.value) for e in extractor.extract(example.text)}
        for span in example.entities:
            value = data.synonyms.get(span.value.lower(), span.value)
            if (span.entity, span.start, span.end, value) not in found:
                disagreements.append((example.source, span.text, span.entity, value))
    assert disagreements == []


def test_nlu_never_imports_bot_or_connectors() -> None:
    package = Path(default_data_dir()).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("bot", "connectors")
            ]
    assert offenders == []
