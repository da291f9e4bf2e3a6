"""Entity extraction: each built-in extractor, data regexes and lookups, synonyms, and
how overlapping matches are resolved."""

from __future__ import annotations

import itertools

import pytest

from nlu.entities import EntityConfig, EntityExtractor
from nlu.types import Entity


@pytest.fixture(scope="module")
def builtin() -> EntityExtractor:
    return EntityExtractor()


def found(extractor: EntityExtractor, text: str, entity_type: str | None = None) -> list[str]:
    return [e.value for e in extractor.extract(text) if entity_type in (None, e.type)]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("does it run on python 3.12?", ["3.12"]),
        ("we are on v2.4.1 since monday", ["2.4.1"]),
        ("upgrade to version 3 please", ["3"]),
        ("is 1.0.0-rc1 stable", ["1.0.0-rc1"]),
        ("the box has 2.5 GB of ram and is 1.5x faster", []),
        ("the server is at 192.168.1.10", []),
        ("it costs $3.50", []),
    ],
)
def test_version(builtin: EntityExtractor, text: str, values: list[str]) -> None:
    assert found(builtin, text, "version") == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("install on Windows 11", ["windows"]),
        ("my win10 laptop", ["windows"]),
        ("it fails on macOS and on my mac", ["macos", "macos"]),
        ("ubuntu 22.04 server", ["linux"]),
        ("debian or linux mint", ["linux", "linux"]),
        ("what is my mac address", []),
        ("close all the windows", ["windows"]),  # a known, harmless false positive
    ],
)
def test_os_is_normalised_to_its_family(
    builtin: EntityExtractor, text: str, values: list[str]
) -> None:
    assert found(builtin, text, "os") == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("sync fails with error 0x80070005", ["0x80070005"]),
        ("hresult 0x8007000e again", ["0x8007000E"]),
        ("chrome shows ERR_CONNECTION_REFUSED", ["ERR_CONNECTION_REFUSED"]),
        ("firefox says net::err_cert_date_invalid", ["NET::ERR_CERT_DATE_INVALID"]),
        ("code E1234 on boot", ["E1234"]),
        ("ORA-12154 when connecting", ["ORA-12154"]),
        ("connect ECONNREFUSED 127.0.0.1:5432", ["ECONNREFUSED"]),
        ("sqlite3.OperationalError: database is locked", ["OperationalError"]),
        ("getting a 401 from teams", ["401"]),
        ("HTTP 500 on every request", ["500"]),
        ("502 bad gateway behind nginx", ["502"]),
        ("installer error code 1603", ["1603"]),
        ("we have 500 users and 404 articles", []),
        ("set TIER0_DATABASE_URL first", []),
    ],
)
def test_error_code(builtin: EntityExtractor, text: str, values: list[str]) -> None:
    assert found(builtin, text, "error_code") == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("status of ticket 12", ["12"]),
        ("ticket #12 please", ["12"]),
        ("any update on #34?", ["34"]),
        ("what about T-12", ["12"]),
        ("ticket no. 0012", ["12"]),
        ("case 4521 and incident 7", ["4521", "7"]),
        ("i have 12 tickets", []),
    ],
)
def test_ticket_number(builtin: EntityExtractor, text: str, values: list[str]) -> None:
    assert found(builtin, text, "ticket_number") == values


def test_email_is_lower_cased_and_keeps_its_text(builtin: EntityExtractor) -> None:
    (entity,) = builtin.extract("mail Jane.Doe+it@Example.co.uk now")
    assert (entity.type, entity.value, entity.text) == (
        "email",
        "jane.doe+it@example.co.uk",
        "Jane.Doe+it@Example.co.uk",
    )


def test_entities_carry_position_text_and_extractor(builtin: EntityExtractor) -> None:
    text = "error 0x80070005 on win11"
    assert builtin.extract(text) == (
        Entity("error_code", "0x80070005", "0x80070005", 6, 16, "builtin"),
        Entity("os", "windows", "win11", 20, 25, "builtin"),
    )


@pytest.fixture(scope="module")
def configured() -> EntityExtractor:
    return EntityExtractor(
        EntityConfig(
            regexes=(("setting", (r"\bTIER0_[A-Z0-9_]+\b",)), ("ticket_number", (r"\bINC\d+",))),
            lookups=(("product", ("Tier0", "slack", "ms teams", "teams", "postgres")),),
            synonyms=(("ms teams", "teams"), ("postgres", "postgresql"), ("inc42", "42")),
        )
    )


def test_data_regex_names_the_entity_type(configured: EntityExtractor) -> None:
    (entity,) = configured.extract("what does tier0_data_dir do")
    assert (entity.type, entity.text, entity.extractor) == ("setting", "tier0_data_dir", "regex")


def test_lookup_is_whole_word_case_insensitive_and_canonical(configured: EntityExtractor) -> None:
    assert found(configured, "TIER0 and Slack", "product") == ["Tier0", "slack"]
    assert found(configured, "slacking off on tier0s", "product") == []


def test_longest_lookup_element_wins_and_synonyms_map_the_value(
    configured: EntityExtractor,
) -> None:
    entities = configured.extract("connect MS  Teams to postgres")
    assert [(e.value, e.text) for e in entities] == [
        ("teams", "MS  Teams"),
        ("postgresql", "postgres"),
    ]


def test_synonyms_apply_to_every_extractor(configured: EntityExtractor) -> None:
    assert found(configured, "status of INC42", "ticket_number") == ["42"]


def test_data_regex_beats_a_builtin_on_the_same_span() -> None:
    extractor = EntityExtractor(EntityConfig(regexes=(("build", (r"\d+\.\d+",)),)))
    (entity,) = extractor.extract("running 3.12")
    assert (entity.type, entity.extractor) == ("build", "regex")


def test_results_are_sorted_and_never_overlap(configured: EntityExtractor) -> None:
    text = (
        "ticket #12: tier0 v2.1 on ubuntu 22.04 says ERR_SSL_PROTOCOL_ERROR and 0x80004005, "
        "mail ops@example.com, ms teams gets a 401, T-9 and #10 too"
    )
    entities = configured.extract(text)
    assert len(entities) >= 10
    assert list(entities) == sorted(entities, key=lambda e: e.start)
    for before, after in itertools.pairwise(entities):
        assert before.end <= after.start
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text


def test_config_survives_a_json_round_trip(configured: EntityExtractor) -> None:
    config = EntityConfig(
        regexes=(("setting", (r"\bX\b",)),),
        lookups=(("product", ("a", "b")),),
        synonyms=(("b", "a"),),
    )
    assert EntityConfig.from_json(config.to_json()) == config


def test_huge_and_emoji_text_does_not_hang(builtin: EntityExtractor) -> None:
    text = ("🙂🔥 ticket #5 " + "x" * 200 + " 0x80070005 ") * 40
    entities = builtin.extract(text)
    assert len(entities) == 80
