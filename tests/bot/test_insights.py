"""The insights page's numbers, from conversations run through the real engine (and a
few rows written directly where the engine would not produce them), on both backends."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.insights import (
    NO_ARTICLE,
    UNCATEGORISED,
    ArticleFeedback,
    CategoryEscalation,
    ContentGap,
    Deflection,
    IntentEscalation,
    SlaAttainment,
    content_gaps,
    deflection,
    escalation_by_category,
    escalation_by_intent,
    question_terms,
    sla_attainment,
    to_csv,
    unhelpful_articles,
)
from bot.store import Transaction
from bot.store.models import EventRow, FeedbackRow, MessageRow, TicketRow
from bot.tickets import ticket_from_row, ticket_sla
from tests.drivers import engine_driver, open_ticket

LONG_AGO = datetime.now(UTC) - timedelta(days=3)

# What each scripted conversation does, and how it should count.
SCRIPTS: dict[str, list[dict[str, str]]] = {
    "weather": [{"text": "what's the weather in paris"}],  # fallback (out of scope)
    "weather_again": [{"text": "Weather in Paris?"}],  # fallback, reworded
    "password_unhelpful": [  # article shown, "not really", no ticket
        {"text": "how do I reset my password"},
        {"choice": "no"},
        {"choice": "no"},
    ],
    "password_helpful": [{"text": "how do I reset my password"}, {"choice": "yes"}],
    "fix_worked": [{"text": "the tier0 server won't start"}, {"choice": "yes"}],
    "no_answer": [{"text": "how do I move to postgresql"}],  # an article, then silence
}
PASSWORD_ARTICLE = "use-your-own-knowledge-base"  # what the shipped KB answers with


def run_scripts(assistant: Any) -> datetime:
    """Run every script and one handoff to a ticket; returns the window's start."""
    since = datetime.now(UTC) - timedelta(minutes=1)
    for script in SCRIPTS.values():
        send = engine_driver(assistant.engine)
        for message in script:
            send(message)
    send = engine_driver(assistant.engine)
    send({"text": "talk to a human"})
    open_ticket(send, send({"text": "my widget is broken"}))
    assistant.engine.start_conversation()  # no message: not counted anywhere
    return since


def add_fallback(tx: Transaction, text: str, reason: str = "no_article", at: Any = None) -> None:
    """A fallback event of its own conversation, as the fallback handler records it."""
    conversation = tx.create_conversation("test", "direct")
    row = EventRow(
        conversation_id=conversation.id,
        type="fallback",
        data={"text": text, "reason": reason, "misses": 1},
    )
    if at is not None:
        row.created_at = at
    tx.session.add(row)


def add_old_escalated_conversation(tx: Transaction) -> None:
    """A conversation from before the window that ended in a ticket: counted nowhere."""
    conversation = tx.create_conversation("test", "old")
    message = tx.append_message(conversation, "user", "text", "talk to a human", None, "x")
    message.created_at = LONG_AGO
    tx.add_ticket(
        conversation_id=conversation.id,
        channel="test",
        user_id="old",
        subject="old",
        created_at=LONG_AGO,
        updated_at=LONG_AGO,
    )


def by_question(gaps: list[ContentGap]) -> dict[str, ContentGap]:
    return {gap.question: gap for gap in gaps}


def test_question_terms_ignore_order_case_punctuation_and_stop_words() -> None:
    assert question_terms("how do I install on windows") == {"install", "window"}
    assert question_terms("install on windows how?") == {"install", "window"}
    assert question_terms("Installing on Windows!") == {"install", "window"}
    assert question_terms("reset password") == {"reset", "password"}
    assert question_terms("thanks!") == frozenset()


def test_content_gaps_group_rewordings_of_fallbacks_and_unhelpful_answers(
    any_db_assistant: Any,
) -> None:
    since = run_scripts(any_db_assistant)
    with any_db_assistant.store.transaction() as tx:
        for text in ("how do I install on windows", "install on windows how?"):
            add_fallback(tx, text)
        add_fallback(tx, "How do I  install on Windows?")  # the first, in other case, with a ?
        add_fallback(tx, "reset password")
        add_fallback(tx, "install on windows", at=LONG_AGO)  # before the window
        add_fallback(tx, "thanks!")  # nothing but stop words: no question
        add_fallback(tx, "install tier0 on a mac")
    with any_db_assistant.store.transaction() as tx:
        gaps = content_gaps(tx, since)
        first = content_gaps(tx.session, since, limit=1)

    assert first == gaps[:1]
    assert [g.count for g in gaps] == sorted((g.count for g in gaps), reverse=True)
    found = by_question(gaps)
    install = found["How do I install on Windows?"]  # the latest of two equal wordings
    assert gaps[0] is install
    assert install.count == 3
    assert install.examples == ("How do I install on Windows?", "install on windows how?")
    assert (install.fallback, install.not_helpful) == (3, 0)
    assert install.reasons == (("no_article", 3),)
    assert "install tier0 on a mac" in found, "another platform is another gap"

    weather = next(g for g in gaps if "weather" in g.question.casefold())
    assert weather.count == 2
    assert set(weather.examples) == {"what's the weather in paris", "Weather in Paris?"}
    assert weather.reasons == (("out_of_scope", 2),)

    password = found["reset password"]  # asked as often as the other wording, but later
    assert password.count == 2, "the unhelpful answer and the 'reset password' fallback"
    assert (password.fallback, password.not_helpful) == (1, 1)
    assert password.examples == ("reset password", "how do I reset my password")
    assert password.reasons == (("no_article", 1), ("not_helpful", 1))
    assert password.last_seen >= since
    assert not any("thanks" in g.question for g in gaps)


def test_unhelpful_articles_rank_by_not_helpful(any_db_assistant: Any) -> None:
    since = run_scripts(any_db_assistant)
    with any_db_assistant.store.transaction() as tx:
        conversation = tx.create_conversation("test", "direct").id
        for helpful in (False, False, False, True):
            tx.add_feedback(conversation, "install-windows", helpful)
        tx.add_feedback(conversation, "faq-offline", True)  # only ever helpful: not listed
        old = FeedbackRow(conversation_id=conversation, article_id="faq-offline", helpful=False)
        old.created_at = LONG_AGO
        tx.session.add(old)
    with any_db_assistant.store.transaction() as tx:
        articles = unhelpful_articles(tx, since)
        first = unhelpful_articles(tx.session, since, limit=1)
        later = unhelpful_articles(tx, datetime.now(UTC))

    assert [a.article_id for a in articles] == ["install-windows", PASSWORD_ARTICLE]
    assert articles[0] == ArticleFeedback("install-windows", 3, 1, 0, 0.75)
    assert articles[1] == ArticleFeedback(PASSWORD_ARTICLE, 1, 1, 2, 0.5)
    assert first == articles[:1]
    assert later == []


def test_deflection_splits_conversations_by_how_they_ended(any_db_assistant: Any) -> None:
    since = run_scripts(any_db_assistant)
    with any_db_assistant.store.transaction() as tx:
        add_old_escalated_conversation(tx)
        add_fallback(tx, "a fallback with no user message")  # no message: not counted
    with any_db_assistant.store.transaction() as tx:
        result = deflection(tx, since)

    # weather x2 and the unhelpful password answer went wrong; the helpful answer and
    # the fix that worked were confirmed; the unanswered article is assumed.
    assert result == Deflection(
        conversations=7,
        confirmed=2,
        assumed=1,
        escalated=1,
        unresolved=3,
        deflection_rate=3 / 7,
        confirmed_rate=2 / 7,
        assumed_rate=1 / 7,
        escalated_rate=1 / 7,
        unresolved_rate=3 / 7,
    )
    with any_db_assistant.store.transaction() as tx:
        empty = deflection(tx.session, datetime.now(UTC) + timedelta(minutes=1))
    assert empty.conversations == 0 and empty.deflection_rate == 0.0


def test_escalation_by_intent_and_by_category(any_db_assistant: Any) -> None:
    since = run_scripts(any_db_assistant)
    with any_db_assistant.store.transaction() as tx:
        add_old_escalated_conversation(tx)
    kb = any_db_assistant.kb

    def category_of(article_id: str) -> str | None:
        article = kb.get(article_id)
        return article.category if article is not None else None

    with any_db_assistant.store.transaction() as tx:
        intents = escalation_by_intent(tx, since)
        categories = escalation_by_category(tx, since, category_of)
        uncategorised = escalation_by_category(tx, since, lambda article_id: None)

    assert intents[0] == IntentEscalation("request_human", 1, 1, 1.0)
    by_intent = {row.intent: row for row in intents}
    assert by_intent["out_of_scope"] == IntentEscalation("out_of_scope", 2, 0, 0.0)
    assert sum(row.conversations for row in intents) == 7
    assert sum(row.escalated for row in intents) == 1

    assert categories[0] == CategoryEscalation(NO_ARTICLE, 3, 1, 1 / 3)
    by_category = {row.category: row for row in categories}
    assert by_category["troubleshooting"] == CategoryEscalation("troubleshooting", 1, 0, 0.0)
    assert sum(row.conversations for row in categories) == 7
    assert {row.category for row in uncategorised} == {NO_ARTICLE, UNCATEGORISED}


def _ticket(tx: Transaction, priority: str, created: datetime, *moves: tuple[str, datetime]) -> int:
    """A ticket with its history: ("open", at) answers it, ("resolved", at) resolves it."""
    status = moves[-1][0] if moves else "new"
    row = tx.add_ticket(
        channel="test",
        user_id="u",
        subject=f"{priority} ticket",
        status=status,
        priority=priority,
        created_at=created,
        updated_at=moves[-1][1] if moves else created,
    )
    tx.add_ticket_event(row.id, "status", "system", "new", at=created)
    for new_status, at in moves:
        tx.add_ticket_event(row.id, "status", "agent", new_status, at=at)
    return row.id


def test_sla_attainment_per_priority_uses_the_ticket_apis_clock(any_db_assistant: Any) -> None:
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday, in office hours
    start = now - timedelta(hours=10)
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    with any_db_assistant.store.transaction() as tx:
        # P1 is round the clock: first response in 30 minutes, resolution in 4 hours.
        _ticket(tx, "P1", start, ("open", start + minutes(10)), ("resolved", start + minutes(60)))
        _ticket(tx, "P1", start, ("open", start + minutes(60)), ("resolved", start + minutes(90)))
        _ticket(tx, "P1", now - minutes(10))  # not answered yet, not due yet
        _ticket(tx, "P1", start)  # never answered: both targets missed
        # P3 runs on office hours: first response in 8 hours of them.
        _ticket(tx, "P3", now - timedelta(hours=5), ("open", now - timedelta(hours=4)))
        _ticket(tx, "P3", now - timedelta(days=5))  # before the window
    since = now - timedelta(days=1)
    policies = any_db_assistant.settings.sla
    with any_db_assistant.store.transaction() as tx:
        rows = sla_attainment(tx, since, policies, now=now)
        in_window = tx.session.scalars(select(TicketRow).where(TicketRow.created_at >= since))
        api_breached = sum(
            ticket_sla(ticket_from_row(row), policies, now).breached for row in in_window
        )

    assert rows == [
        SlaAttainment(
            priority="P1",
            tickets=4,
            first_response_met=1,
            first_response_breached=2,
            resolution_met=2,
            resolution_breached=1,
            met=1,
            breached=2,
            open_within_sla=1,
            attainment=1 / 3,
        ),
        SlaAttainment("P3", 1, 1, 0, 0, 0, 0, 0, 1, 0.0),
    ]
    assert api_breached == sum(row.breached for row in rows)


def test_sla_attainment_of_a_ticket_made_by_the_handoff(any_db_assistant: Any) -> None:
    since = run_scripts(any_db_assistant)
    with any_db_assistant.store.transaction() as tx:
        rows = sla_attainment(tx, since, any_db_assistant.settings.sla)
    assert len(rows) == 1
    assert (rows[0].tickets, rows[0].open_within_sla, rows[0].breached) == (1, 1, 0)


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "row_type",
    [ContentGap, ArticleFeedback, Deflection, IntentEscalation, CategoryEscalation, SlaAttainment],
)
def test_every_table_exports_a_header_even_when_empty(row_type: type) -> None:
    (header,) = read_csv(to_csv([], row_type))
    assert header[0] == next(iter(row_type.__dataclass_fields__))


def test_csv_of_real_results_has_one_line_per_row(assistant: Any) -> None:
    since = run_scripts(assistant)
    with assistant.store.transaction() as tx:
        tables = [
            (content_gaps(tx, since), ContentGap),
            (unhelpful_articles(tx, since), ArticleFeedback),
            ([deflection(tx, since)], Deflection),
            (escalation_by_intent(tx, since), IntentEscalation),
            (escalation_by_category(tx, since, lambda a: None), CategoryEscalation),
            (sla_attainment(tx, since, assistant.settings.sla), SlaAttainment),
        ]
    for rows, row_type in tables:
        lines = read_csv(to_csv(rows, row_type))
        assert len(lines) == len(rows) + 1
        assert all(len(line) == len(lines[0]) for line in lines)
    deflected = read_csv(to_csv([tables[2][0][0]], Deflection))
    assert dict(zip(*deflected, strict=True))["deflection_rate"] == "0.4286"


@pytest.mark.parametrize(
    "question",
    [
        '=HYPERLINK("http://evil.test","click")',
        "+1+1",
        "-2+3 why",
        "@SUM(A1:A2)",
        "\t=1+1",
        "  =1+1",
        "\r=1+1",
    ],
)
def test_csv_neutralises_formulas_in_user_text(assistant: Any, question: str) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    with assistant.store.transaction() as tx:
        add_fallback(tx, question)
        add_fallback(tx, question)
        gaps = content_gaps(tx, since)
    header, row = read_csv(to_csv(gaps, ContentGap))
    cells = dict(zip(header, row, strict=True))
    expected = "'" + " ".join(question.split())  # wordings are shown whitespace-collapsed
    assert cells["question"] == cells["examples"] == expected
    assert cells["count"] == "2"
    assert cells["reasons"] == "no_article: 2"


def test_csv_keeps_ordinary_text_and_quotes_commas_and_newlines() -> None:
    @dataclass(frozen=True)
    class Row:
        text: str
        at: datetime
        ratio: float
        words: tuple[str, ...]

    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    text = to_csv([Row('a, "b"\nc', moment, 0.5, ("x", "y"))], Row)
    assert read_csv(text) == [
        ["text", "at", "ratio", "words"],
        ['a, "b"\nc', "2026-01-02T03:04:05+00:00", "0.5000", "x | y"],
    ]
    with pytest.raises(TypeError):
        to_csv([Row("a", moment, 0.0, ())], ContentGap)
    with pytest.raises(TypeError):
        to_csv([], dict)


def test_not_helpful_question_is_the_one_before_the_article(assistant: Any) -> None:
    """A question asked after the unhelpful article is not the one it failed to answer,
    and a close call's click (a choice) is not a question."""
    since = datetime.now(UTC) - timedelta(minutes=1)
    send = engine_driver(assistant.engine)
    send({"text": "how do I install on windows"})  # a close call: two articles offered
    send({"choice": "article:install-windows"})
    send({"choice": "no"})  # not helpful
    send({"choice": "no"})  # no ticket
    send({"text": "what's the weather in paris"})
    with assistant.store.transaction() as tx:
        gaps = by_question(content_gaps(tx, since))
        kinds = [m.kind for m in tx.session.query(MessageRow).order_by(MessageRow.id)]
    assert "choice" in kinds
    assert gaps["how do I install on windows"].not_helpful == 1
    assert gaps["what's the weather in paris"].fallback == 1
