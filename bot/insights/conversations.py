"""How the window's conversations ended: deflection (confirmed and assumed), and
escalation to a ticket by intent and by category, with the SQL helpers they share.

A conversation is "in the window" when the user wrote in it since `since`; what it led
to (a ticket, feedback, a fix that worked) counts over its whole life.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.insights.common import Db, _ratio, _session, _shown_article
from bot.store.models import EventRow, FeedbackRow, MessageRow, TicketRow

NO_INTENT = "(none)"  # a conversation whose first text message has no intent recorded
NO_ARTICLE = "(no article)"  # a conversation in which no article was shown
UNCATEGORISED = "(uncategorised)"  # an article `category_of` knows no category for
# Events after which a conversation cannot be assumed solved (unless the user said so).
NEGATIVE_EVENTS = ("fallback", "fix_exhausted", "fix_escalated")


@dataclass(frozen=True)
class Deflection:
    """Conversations with a user message in the window, by how they ended.

    confirmed + assumed + escalated + unresolved == conversations. Confirmed: no
    ticket, and the user said it helped (helpful feedback, a fix that worked).
    Assumed: no ticket, no word either way. Unresolved: no ticket, no confirmation,
    but a sign it went wrong (not-helpful feedback, a fallback, a failed fix).
    """

    conversations: int
    confirmed: int
    assumed: int
    escalated: int
    unresolved: int
    deflection_rate: float  # (confirmed + assumed) / conversations
    confirmed_rate: float
    assumed_rate: float
    escalated_rate: float
    unresolved_rate: float


@dataclass(frozen=True)
class IntentEscalation:
    intent: str  # of the conversation's first text message; NO_INTENT when unknown
    conversations: int
    escalated: int
    rate: float


@dataclass(frozen=True)
class CategoryEscalation:
    category: str  # of the first article shown; NO_ARTICLE or UNCATEGORISED
    conversations: int
    escalated: int
    rate: float


def _active(since: datetime) -> Subquery:
    """The conversations the user wrote in since `since`, as a subquery with `id`.

    What is looked up per conversation is a correlated subquery (EXISTS, or ORDER BY
    ... LIMIT 1) on an indexed column, never a join of two derived tables: without
    table statistics (a freshly loaded database) PostgreSQL estimates such derived
    tables at one row and joins them by nested loops, minutes for 100k messages.
    """
    return (
        select(MessageRow.conversation_id.label("id"))
        .where(MessageRow.sender == "user", MessageRow.created_at >= since)
        .distinct()
        .subquery("active")
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """0 or 1 on every backend (PostgreSQL returns booleans, SQLite integers)."""
    return case((condition, 1), else_=0)


def _has_ticket(conversation: ColumnElement[Any]) -> ColumnElement[int]:
    return _flag(select(TicketRow.id).where(TicketRow.conversation_id == conversation).exists())


def deflection(db: Db, since: datetime) -> Deflection:
    """How the window's conversations ended: solved without a ticket or not."""
    session = _session(db)
    active = _active(since)
    conversation = active.c.id

    def feedback(helpful: bool) -> ColumnElement[bool]:
        return (
            select(FeedbackRow.id)
            .where(FeedbackRow.conversation_id == conversation, FeedbackRow.helpful.is_(helpful))
            .exists()
        )

    def event(*types: str) -> ColumnElement[bool]:
        return (
            select(EventRow.id)
            .where(EventRow.conversation_id == conversation, EventRow.type.in_(types))
            .exists()
        )

    flags = (
        select(
            _has_ticket(conversation).label("ticket"),
            _flag(or_(feedback(True), event("fix_resolved"))).label("confirmed"),
            _flag(or_(feedback(False), event(*NEGATIVE_EVENTS))).label("negative"),
        )
        .select_from(active)
        .subquery()
    )
    tally: Counter[str] = Counter()
    for ticket, confirmed, negative, count in session.execute(
        select(flags.c.ticket, flags.c.confirmed, flags.c.negative, func.count()).group_by(
            flags.c.ticket, flags.c.confirmed, flags.c.negative
        )
    ):
        if ticket:
            tally["escalated"] += count
        elif confirmed:
            tally["confirmed"] += count
        else:
            tally["unresolved" if negative else "assumed"] += count
    total = sum(tally.values())
    return Deflection(
        total,
        tally["confirmed"],
        tally["assumed"],
        tally["escalated"],
        tally["unresolved"],
        _ratio(tally["confirmed"] + tally["assumed"], total),
        *(_ratio(tally[k], total) for k in ("confirmed", "assumed", "escalated", "unresolved")),
    )


def _escalations(session: Session, per_conversation: Select[Any]) -> list[tuple[Any, int, int]]:
    """(key, conversations, escalated) from a select of (key, escalated 0/1) rows."""
    rows = per_conversation.subquery()
    key, escalated = rows.c
    return [
        (value, int(count), int(tickets or 0))
        for value, count, tickets in session.execute(
            select(key, func.count(), func.sum(escalated)).group_by(key)
        )
    ]


def _ranked(rows: dict[str, list[int]]) -> list[tuple[str, int, int]]:
    """Most escalations first, then most conversations, then by name."""
    return sorted(((k, n, e) for k, (n, e) in rows.items()), key=lambda r: (-r[2], -r[1], r[0]))


def escalation_by_intent(db: Db, since: datetime) -> list[IntentEscalation]:
    """Per intent of the conversation's first text message: how many ended in a ticket."""
    session = _session(db)
    active = _active(since)
    first_intent = (
        select(MessageRow.intent)
        .where(
            MessageRow.conversation_id == active.c.id,
            MessageRow.sender == "user",
            MessageRow.kind == "text",
        )
        .order_by(MessageRow.seq)
        .limit(1)
        .scalar_subquery()
    )
    per_conversation = select(first_intent, _has_ticket(active.c.id)).select_from(active)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for intent, count, escalated in _escalations(session, per_conversation):
        totals[intent or NO_INTENT][0] += count
        totals[intent or NO_INTENT][1] += escalated
    return [IntentEscalation(k, n, e, _ratio(e, n)) for k, n, e in _ranked(totals)]


def escalation_by_category(
    db: Db, since: datetime, category_of: Callable[[str], str | None]
) -> list[CategoryEscalation]:
    """Per category of the first article shown in the conversation (`category_of` maps
    an article id to its category): how many ended in a ticket."""
    session = _session(db)
    active = _active(since)
    first_article = (
        select(_shown_article())
        .where(EventRow.conversation_id == active.c.id, EventRow.type == "article_shown")
        .order_by(EventRow.id)
        .limit(1)
        .scalar_subquery()
    )
    per_conversation = select(first_article, _has_ticket(active.c.id)).select_from(active)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for article_id, count, escalated in _escalations(session, per_conversation):
        category = NO_ARTICLE if article_id is None else category_of(article_id) or UNCATEGORISED
        totals[category][0] += count
        totals[category][1] += escalated
    return [CategoryEscalation(k, n, e, _ratio(e, n)) for k, n, e in _ranked(totals)]
