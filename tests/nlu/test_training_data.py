"""The Rasa 3.x NLU YAML reader: every annotation form, the other block kinds, merging,
errors naming file and line, warnings, fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.annotations import EntitySpan
from nlu.errors import TrainingDataError
from nlu.training_data import data_files, fingerprint_files, load_training_data
from tests.nlu.conftest import WriteYaml

FIVE_GREETINGS = """\
- intent: greet
  examples: |
    - hi
    - hello
    - hey
    - good morning
    - hiya
"""


def only_example(write_yaml: WriteYaml, line: str) -> tuple[str, tuple[EntitySpan, ...]]:
    path = write_yaml("one.yml", f"nlu:\n- intent: ask\n  examples: |\n    - {line}\n")
    (example,) = load_training_data(path).examples
    return example.text, example.entities


def test_annotation_forms_are_stripped_and_spans_point_into_the_plain_text(
    write_yaml: WriteYaml,
) -> None:
    text, entities = only_example(
        write_yaml,
        'install [tier0](product) [v2.4](version:2.4) on [win 11]{"entity": "os", '
        '"value": "windows"} for [bob@example.com]{"entity": "email"}',
    )
    assert text == "install tier0 v2.4 on win 11 for bob@example.com"
    assert [(e.entity, e.value, e.text) for e in entities] == [
        ("product", "tier0", "tier0"),
        ("version", "2.4", "v2.4"),
        ("os", "windows", "win 11"),
        ("email", "bob@example.com", "bob@example.com"),
    ]
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text


def test_json_annotation_keeps_role_and_group(write_yaml: WriteYaml) -> None:
    _, (entity,) = only_example(
        write_yaml, 'from [berlin]{"entity": "city", "role": "departure", "group": "1"}'
    )
    assert (entity.entity, entity.role, entity.group) == ("city", "departure", "1")


def test_brackets_not_followed_by_a_label_stay_literal(write_yaml: WriteYaml) -> None:
    text, entities = only_example(write_yaml, "[Errno 13] permission denied in [tier0](product)")
    assert text == "[Errno 13] permission denied in tier0"
    assert entities[0].start == text.index("tier0")


def test_synonym_regex_and_lookup_blocks(write_yaml: WriteYaml) -> None:
    path = write_yaml(
        "blocks.yml",
        """\
        version: "3.1"
        nlu:
        - synonym: postgresql
          examples: |
            - postgres
            - PG
        - regex: setting
          examples: |
            - \\bTIER0_[A-Z_]+\\b
        - lookup: product
          examples: |
            - slack
            - ms teams
        - intent: ask
          examples: |
            - move to [psql](product:postgresql)
        """,
    )
    data = load_training_data(path)
    assert data.synonyms == {"postgres": "postgresql", "pg": "postgresql", "psql": "postgresql"}
    assert [(r.name, r.patterns) for r in data.regexes] == [("setting", (r"\bTIER0_[A-Z_]+\b",))]
    assert [(t.name, t.elements) for t in data.lookups] == [("product", ("slack", "ms teams"))]
    assert data.regexes[0].source == f"{path}:7"


def test_list_form_examples_with_metadata(write_yaml: WriteYaml) -> None:
    path = write_yaml(
        "list.yml",
        """\
        nlu:
        - intent: greet
          examples:
          - text: |
              hi [tier0](product)
            metadata:
              sentiment: neutral
          - text: hello
        """,
    )
    data = load_training_data(path)
    assert [e.text for e in data.examples] == ["hi tier0", "hello"]
    assert data.examples[0].entities[0].entity == "product"


def test_files_and_directories_merge_in_sorted_order(write_yaml: WriteYaml, tmp_path: Path) -> None:
    write_yaml("data/b.yml", "nlu:\n" + FIVE_GREETINGS)
    write_yaml("data/a.yaml", "nlu:\n- intent: bye\n  examples: |\n    - bye\n")
    write_yaml("data/nested/c.yml", "nlu:\n- lookup: product\n  examples: |\n    - slack\n")
    write_yaml("data/.hidden/d.yml", "nlu: [oops")  # never read
    write_yaml("data/notes.txt", "not yaml at all: [")
    extra = write_yaml("extra.yml", "nlu:\n- intent: bye\n  examples: |\n    - ciao\n")
    data = load_training_data([tmp_path / "data", extra])
    assert [e.text for e in data.examples[:2]] == ["bye", "hi"]
    assert data.examples[-1].text == "ciao"
    assert data.intents == ("bye", "greet")
    assert data.lookups[0].elements == ("slack",)
    assert [p.name for p in data_files([tmp_path / "data"])] == ["a.yaml", "b.yml", "c.yml"]


def test_same_intent_and_lookup_in_two_files_are_merged(write_yaml: WriteYaml) -> None:
    first = write_yaml("one.yml", "nlu:\n- lookup: product\n  examples: |\n    - slack\n")
    second = write_yaml("two.yml", "nlu:\n- lookup: product\n  examples: |\n    - teams\n")
    data = load_training_data([first, second])
    assert [(t.name, t.elements) for t in data.lookups] == [("product", ("slack", "teams"))]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("nlu:\n- intent: greet\n", 2, "intent 'greet' has no examples"),
        ("nlu:\n- intent: greet\n  examples: |\n\n", 2, "intent 'greet' has no examples"),
        ("version: '3.1'\nnlu:\n- intent: greet\n  examples: [\n", 5, "invalid YAML"),
        ("version: '3.1'\nstuff:\n  - 1\n", 3, "unknown top-level key 'stuff'"),
        ("nlu:\n- regex: code\n  examples: |\n    - ok\n    - E[0-9\n", 5, "bad pattern"),
        ("nlu:\n- intent: a\n  examples: |\n    - hi\n    - open [x(product)\n", 5, "'['"),
        ("nlu:\n- intent: a\n  examples: |\n    - open x](product)\n", 4, "unbalanced ']'"),
        ("nlu:\n- intent: a\n  examples: |\n    - open [x](product\n", 4, "unbalanced '('"),
        ("nlu:\n- intent: a\n  examples: |\n    - [x]{entity: os}\n", 4, "invalid JSON"),
        ("nlu:\n- intent: a\n  examples: |\n    - [x](bad name)\n", 4, "invalid entity name"),
        ("nlu:\n- intent: a\n  examples: |\n    - hi\n    hello\n", 5, "must start with '- '"),
        ("nlu:\n- intent: a\n  synonym: b\n  examples: |\n    - hi\n", 2, "exactly one of"),
        ("nlu:\n- intent: a\n  example: |\n    - hi\n", 3, "unknown key 'example'"),
        ("nlu:\n- intent: a\n  intent: b\n", 3, "duplicate key 'intent'"),
        ("nlu:\n  intent: a\n", 2, "'nlu' must be a list"),
        ("- intent: a\n", 1, "expected a mapping"),
    ],
)
def test_malformed_data_names_file_and_line(
    write_yaml: WriteYaml, content: str, line: int, message: str
) -> None:
    path = write_yaml("bad.yml", content)
    with pytest.raises(TrainingDataError) as raised:
        load_training_data(path)
    assert str(raised.value).startswith(f"{path}:{line}: ")
    assert message in str(raised.value)


def test_training_data_error_is_a_value_error() -> None:
    assert issubclass(TrainingDataError, ValueError)  # the CLI reports ValueErrors in one line


def test_missing_paths_and_empty_directories_are_errors(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no such file"):
        load_training_data(tmp_path / "missing.yml")
    with pytest.raises(TrainingDataError, match=r"no \*\.yml"):
        load_training_data(tmp_path)


def test_warnings_for_duplicates_small_intents_and_ignored_keys(write_yaml: WriteYaml) -> None:
    path = write_yaml(
        "warn.yml",
        "nlu:\n"
        + FIVE_GREETINGS
        + "    - Hello\n"
        + "- intent: bye\n  examples: |\n    - bye\n    - hi\n"
        + "stories:\n- story: x\n",
    )
    data = load_training_data(path)
    assert data.warnings == (
        f"{path}:15: 'stories' ignored (not NLU data)",
        f"{path}:9: duplicate example 'Hello' (first at {path}:5)",
        f"{path}:13: example 'hi' of 'bye' is also an example of 'greet' ({path}:4)",
        f"{path}:10: intent 'bye' has only 2 example(s); 5 or more recommended",
    )


def test_conflicting_synonyms_warn_and_keep_the_first(write_yaml: WriteYaml) -> None:
    path = write_yaml(
        "syn.yml",
        "nlu:\n- synonym: linux\n  examples: |\n    - deb\n"
        "- synonym: debian\n  examples: |\n    - deb\n",
    )
    data = load_training_data(path)
    assert data.synonyms == {"deb": "linux"}
    assert data.warnings[0].startswith(f"{path}:7: 'deb' is a synonym of both 'linux'")


def test_empty_file_is_a_warning_not_an_error(write_yaml: WriteYaml) -> None:
    path = write_yaml("empty.yml", "")
    assert load_training_data(path).warnings == (f"{path}:1: file is empty",)


def test_fingerprint_follows_content_not_location(write_yaml: WriteYaml, tmp_path: Path) -> None:
    first = write_yaml("a/nlu.yml", "nlu:\n" + FIVE_GREETINGS)
    second = write_yaml("b/nlu.yml", "nlu:\n" + FIVE_GREETINGS)
    fingerprint = load_training_data(tmp_path / "a").fingerprint()
    assert len(fingerprint) == 64
    assert fingerprint == load_training_data(tmp_path / "b").fingerprint()
    assert fingerprint == fingerprint_files([first.parent])
    second.write_text(second.read_text() + "    - yo\n")
    assert fingerprint_files([second.parent]) != fingerprint
