"""The intent classifier trained on the shipped data: fresh phrasings land on the right
intent, clear out-of-scope messages are refused, odd input never crashes."""

from __future__ import annotations

import time

import pytest

from nlu.model import NluModel, default_data_dir
from nlu.scorer import MAX_CHARS, RANKING_SIZE, clean_text
from nlu.training_data import load_training_data
from nlu.types import OUT_OF_SCOPE

# Written for this test, not copied from nlu/data (checked below). Mixed casing,
# punctuation and phrasing on purpose.
HELD_OUT = [
    ("hey, good morning!", "greet"),
    ("hello hello", "greet"),
    ("hi folks", "greet"),
    ("alright, bye then", "goodbye"),
    ("i'm off, see you tomorrow", "goodbye"),
    ("thank you very much!", "thanks"),
    ("thanks so much for that", "thanks"),
    ("what sort of things can you help with?", "help"),
    ("what can this bot do", "help"),
    ("wait, is this an automated bot?", "bot_challenge"),
    ("am i speaking to a real human", "bot_challenge"),
    ("how can I install tier0 on windows server 2022", "ask_howto"),
    ("what's the procedure to connect the bot with slack", "ask_howto"),
    ("how do i configure postgres as the database", "ask_howto"),
    ("where do I change the port number", "ask_howto"),
    ("how do I upgrade tier0 to the newest release", "ask_howto"),
    ("how to make a backup of the sqlite db", "ask_howto"),
    ("how can i embed the widget into a wordpress site", "ask_howto"),
    ("how do i set up the teams integration", "ask_howto"),
    ("is there a way to run it in docker", "ask_howto"),
    ("how do I add a new knowledge base article", "ask_howto"),
    ("tier0 crashes as soon as i start it", "report_problem"),
    ("the slack integration stopped replying", "report_problem"),
    ("teams keeps returning 401 unauthorized", "report_problem"),
    ("getting error 0x80070005 when syncing files", "report_problem"),
    ("search doesn't find anything anymore", "report_problem"),
    ("training the model throws an exception", "report_problem"),
    ("sqlite says database is locked", "report_problem"),
    ("can't reach postgres, connection refused", "report_problem"),
    ("the widget won't load on our homepage", "report_problem"),
    ("server fails to start after the upgrade", "report_problem"),
    ("can i talk to a real human please", "request_human"),
    ("i need to speak to a support agent", "request_human"),
    ("please open a support ticket for me", "request_human"),
    ("escalate this to a person", "request_human"),
    ("what's happening with ticket 57", "ticket_status"),
    ("any progress on #812?", "ticket_status"),
    ("show me my open tickets", "ticket_status"),
    ("has anyone replied to my ticket yet", "ticket_status"),
    ("yes that solved it", "affirm"),
    ("yeah it's working now", "affirm"),
    ("yep, all fixed", "affirm"),
    ("no, it still doesn't work", "deny"),
    ("nope, same error as before", "deny"),
    ("no that didn't fix it", "deny"),
]
CLEARLY_OUT_OF_SCOPE = [
    "what's the forecast for tomorrow in berlin",
    "tell me a knock knock joke",
    "how do I make chocolate chip cookies",
    "who won the super bowl",
    "what is 12 plus 30",
    "what's your favourite food",
    "recommend a restaurant for tonight",
    "how many legs does a spider have",
    "what's the best way to learn french",
    "who painted the mona lisa",
]


def test_held_out_sentences_are_not_in_the_training_data() -> None:
    trained = {clean_text(e.text).lower() for e in load_training_data(default_data_dir()).examples}
    fresh = [text for text, _ in HELD_OUT] + CLEARLY_OUT_OF_SCOPE
    assert [text for text in fresh if clean_text(text).lower() in trained] == []


def test_held_out_phrasings_land_on_the_right_intent(shipped_model: NluModel) -> None:
    misses = [
        (text, want, shipped_model.parse(text).intent)
        for text, want in HELD_OUT
        if shipped_model.parse(text).intent != want
    ]
    assert len(misses) <= 0.15 * len(HELD_OUT), misses


def test_every_intent_is_represented_in_the_held_out_set() -> None:
    intents = set(load_training_data(default_data_dir()).intents) - {OUT_OF_SCOPE}
    assert {intent for _, intent in HELD_OUT} == intents


def test_clearly_out_of_scope_messages_are_refused(shipped_model: NluModel) -> None:
    accepted = [
        (text, shipped_model.parse(text).intent)
        for text in CLEARLY_OUT_OF_SCOPE
        if shipped_model.parse(text).intent != OUT_OF_SCOPE
    ]
    assert len(accepted) <= 1, accepted


def test_how_to_and_problem_are_told_apart(shipped_model: NluModel) -> None:
    assert shipped_model.parse("How do I install Tier0 on Windows?").intent == "ask_howto"
    assert shipped_model.parse("The tier0 server won't start").intent == "report_problem"


def test_parse_carries_ranking_and_entities(shipped_model: NluModel) -> None:
    parse = shipped_model.parse("sync fails with error 0x80070005 on win11")
    assert parse.intent == "report_problem"
    assert 0 < len(parse.ranking) <= RANKING_SIZE
    scores = [score.confidence for score in parse.ranking]
    assert scores == sorted(scores, reverse=True)
    assert parse.confidence == parse.ranking[0].confidence
    assert parse.entity("error_code") == "0x80070005"
    assert parse.entity("os") == "windows"


def test_ticket_number_reaches_the_parse(shipped_model: NluModel) -> None:
    parse = shipped_model.parse("what's the status of ticket 12")
    assert (parse.intent, parse.entity("ticket_number")) == ("ticket_status", "12")


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_is_out_of_scope_with_zero_confidence(
    shipped_model: NluModel, text: str
) -> None:
    parse = shipped_model.parse(text)
    assert (parse.intent, parse.confidence, parse.ranking, parse.entities) == (
        OUT_OF_SCOPE,
        0.0,
        (),
        (),
    )
    assert parse.text == text


def test_huge_text_with_emoji_is_parsed_quickly(shipped_model: NluModel) -> None:
    text = ("🔥😅 the server won't start, 日本語 ✓ " * 400)[:10_000]
    started = time.perf_counter()
    parse = shipped_model.parse(text)
    assert time.perf_counter() - started < 2.0
    assert parse.text == text
    assert parse.intent in (*shipped_model.intents, OUT_OF_SCOPE)
    assert len(clean_text(text)) <= MAX_CHARS


@pytest.mark.parametrize("text", ["🙂", "🙂🙂🙂", "?!?!", "\x00\x01", "ＷＩＮＤＯＷＳ"])
def test_odd_input_never_crashes(shipped_model: NluModel, text: str) -> None:
    assert shipped_model.parse(text).intent in (*shipped_model.intents, OUT_OF_SCOPE)


def test_below_threshold_is_out_of_scope_but_ranking_keeps_the_scores(
    shipped_model: NluModel,
) -> None:
    decision = shipped_model.classifier.decide("how do i install it", threshold=1.0)
    assert decision.intent == OUT_OF_SCOPE
    assert decision.ranking[0].name == "ask_howto"
    assert decision.confidence == decision.ranking[0].confidence


def test_out_of_scope_is_also_a_class(shipped_model: NluModel) -> None:
    decision = shipped_model.classifier.decide("tell me a joke about cats", threshold=0.0)
    assert decision.intent == OUT_OF_SCOPE
    assert decision.ranking[0].name == OUT_OF_SCOPE
