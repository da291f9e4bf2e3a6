"""What the KB editor's insights page shows: where the knowledge base falls short.

Pure functions over the store. Each takes a SQLAlchemy `Session` (or a `Transaction`)
and the start of the window, an aware UTC datetime, and returns frozen dataclasses that
`to_csv` exports. Counting is done in SQL (GROUP BY, EXISTS) with SQLAlchemy's portable
constructs only, so the same queries run on SQLite and PostgreSQL; the one JSON look-up,
`EventRow.data["article_id"].as_string()`, is compiled by SQLAlchemy for both. Python
does what SQL cannot: grouping questions by wording, and the SLA clock (the very code
behind the ticket API's `sla` object, so the page and the API never disagree).

A conversation is "in the window" when the user wrote in it since `since`; what it led
to (a ticket, feedback, a fix that worked) counts over its whole life.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, Subquery, and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.kb.query import STOP_WORDS
from bot.sla import SlaPolicies
from bot.store.models import EventRow, FeedbackRow, MessageRow, TicketEventRow, TicketRow
from bot.store.store import Transaction
from bot.tickets import Ticket, TicketEvent, ticket_clock, ticket_sla

NOT_HELPFUL = "not_helpful"  # the reason of a question whose article was marked unhelpful
NONE_FITTED = "none_fitted"  # articles were offered and the user picked "none of these"
NONE_OF_THESE = "human"  # the choice id of "None of these, talk to a human"
NO_INTENT = "(none)"  # a conversation whose first text message has no intent recorded
NO_ARTICLE = "(no article)"  # a conversation in which no article was shown
UNCATEGORISED = "(uncategorised)"  # an article `category_of` knows no category for
# Events after which a conversation cannot be assumed solved (unless the user said so).
NEGATIVE_EVENTS = ("fallback", "fix_exhausted", "fix_escalated")
MAX_EXAMPLES = 5
SIMILAR = 0.5  # the token-set Jaccard from which two questions are one gap
FORMULA_START = frozenset("=+-@\t\r")  # what makes a spreadsheet read a cell as a formula
CHUNK = 500
T = TypeVar("T")

Db = Session | Transaction


# -- results --------------------------------------------------------------------------
@dataclass(frozen=True)
class ContentGap:
    """Questions, worded alike, that the KB could not answer."""

    question: str  # the most frequent wording
    count: int
    examples: tuple[str, ...]  # up to 5 distinct wordings, most frequent first
    last_seen: datetime
    fallback: int  # times it fell to the fallback
    not_helpful: int  # times its article was marked not helpful, or none offered fitted
    reasons: tuple[tuple[str, int], ...]  # ("no_article", 3), ("not_helpful", 2), ...
    # The articles shown for it that the user said did not help: improve one of these
    # rather than write another.
    articles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleFeedback:
    article_id: str
    not_helpful: int
    helpful: int
    shown: int  # article_shown events in the window
    unhelpful_ratio: float  # not_helpful / (helpful + not_helpful)


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


@dataclass(frozen=True)
class SlaAttainment:
    """Tickets of one priority created in the window, against that priority's targets.

    met + breached + open_within_sla == tickets.
    """

    priority: str
    tickets: int
    first_response_met: int  # answered in time
    first_response_breached: int  # answered late, or unanswered past the due time
    resolution_met: int  # resolved in time
    resolution_breached: int
    met: int  # resolved, both targets met
    breached: int  # either target missed
    open_within_sla: int  # not resolved yet, nothing missed so far
    attainment: float  # met / (met + breached): of the tickets whose outcome is known


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """IN lists of at most CHUNK values, well under SQLite's limit of bound parameters.

    Rows of a few known conversations or tickets are read by IN lists of their ids
    rather than IN (subquery), whose plan on a database without statistics can be a
    nested loop over every message.
    """
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _session(db: Db) -> Session:
    return db.session if isinstance(db, Transaction) else db


# -- content gaps ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Asked:
    text: str
    at: datetime
    reason: str  # the fallback's reason, NOT_HELPFUL or NONE_FITTED
    article_id: str | None = None  # the article the user said did not help


def content_gaps(db: Db, since: datetime, limit: int = 50) -> list[ContentGap]:
    """What users asked that fell to the fallback or got an unhelpful article, grouped
    by wording, the most asked first.

    Grouping is token-set Jaccard (lower-cased words, stop words dropped, plural and
    -ing/-ed endings trimmed) rather than TF-IDF: scikit-learn costs a serving process
    70 MB and most of a second to import (see nlu/tfidf.py), and on a few words of
    text the two agree.
    """
    session = _session(db)
    asked = [
        *_fallback_questions(session, since),
        *_unhelpful_questions(session, since),
        *_declined_offers(session, since),
    ]
    gaps = [_gap(items) for items in _group(asked)]
    gaps.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.question))
    return gaps[:limit]


def _fallback_questions(session: Session, since: datetime) -> Iterator[_Asked]:
    query = (
        select(EventRow.data, EventRow.created_at)
        .where(EventRow.type == "fallback", EventRow.created_at >= since)
        .order_by(EventRow.id)
    )
    for data, at in session.execute(query):
        text = data.get("text") if isinstance(data, dict) else None
        if isinstance(text, str) and text.strip():
            yield _Asked(text, at, str(data.get("reason") or "fallback"))


def _unhelpful_questions(session: Session, since: datetime) -> Iterator[_Asked]:
    """For each "not helpful", the user's last typed message before that article card.

    The last card of the article before the feedback is the one it answers (feedback
    comes a turn later, so its time is after the card's).
    """
    feedback = session.execute(
        select(FeedbackRow.conversation_id, FeedbackRow.article_id, FeedbackRow.created_at)
        .where(FeedbackRow.helpful.is_(False), FeedbackRow.created_at >= since)
        .order_by(FeedbackRow.id)
    ).all()
    cards = _article_cards(session, sorted({row[0] for row in feedback}))
    for conversation_id, article_id, at in feedback:
        shown = cards.get((conversation_id, article_id), [])
        before = [text for shown_at, text in shown if shown_at <= at] or [t for _, t in shown]
        if before:
            yield _Asked(before[-1], at, NOT_HELPFUL, article_id)


def _declined_offers(session: Session, since: datetime) -> Iterator[_Asked]:
    """Questions answered with a choice of articles of which the user took none: the
    user's last typed message before an offer that "None of these" answered."""
    offered = select(EventRow.conversation_id).where(
        EventRow.type == "articles_offered", EventRow.created_at >= since
    )
    conversation_ids = sorted(set(session.scalars(offered.distinct())))
    for chunk in _chunks(conversation_ids):
        lines = session.execute(
            select(MessageRow.conversation_id, MessageRow.sender, MessageRow.kind,
                   MessageRow.text, MessageRow.payload, MessageRow.created_at)
            .where(MessageRow.conversation_id.in_(chunk), MessageRow.created_at >= since)
            .order_by(MessageRow.conversation_id, MessageRow.seq)
        )  # fmt: skip
        question: dict[str, str] = {}
        pending: dict[str, str] = {}  # conversation → the question an open offer answered
        for conversation_id, sender, kind, text, payload, at in lines:
            choice = payload.get("choice") if isinstance(payload, dict) else None
            if sender == "user" and kind == "text":
                question[conversation_id] = text
                pending.pop(conversation_id, None)
            elif sender == "bot" and _is_offer(payload) and conversation_id in question:
                pending[conversation_id] = question[conversation_id]
            elif sender == "user" and conversation_id in pending:
                asked = pending.pop(conversation_id)
                if choice == NONE_OF_THESE:
                    yield _Asked(asked, at, NONE_FITTED)


def _is_offer(payload: object) -> bool:
    """A bot's choices whose buttons are articles (`article:<id>`)."""
    if not isinstance(payload, dict) or payload.get("type") != "choices":
        return False
    choices = payload.get("choices") or []
    return any(str(c.get("id", "")).startswith("article:") for c in choices if isinstance(c, dict))


def _article_cards(
    session: Session, conversation_ids: Sequence[str]
) -> dict[tuple[str, str], list[tuple[datetime, str]]]:
    """(conversation, article) -> each time the article's card was shown, with the
    user's last typed message before it (a clicked choice is not a question)."""
    cards: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for chunk in _chunks(conversation_ids):
        lines = session.execute(
            select(
                MessageRow.conversation_id,
                MessageRow.sender,
                MessageRow.text,
                MessageRow.payload,
                MessageRow.created_at,
            )
            .where(
                MessageRow.conversation_id.in_(chunk),
                or_(
                    and_(MessageRow.sender == "user", MessageRow.kind == "text"),
                    and_(MessageRow.sender == "bot", MessageRow.kind == "article"),
                ),
            )
            .order_by(MessageRow.conversation_id, MessageRow.seq)
        )
        question: dict[str, str] = {}
        for conversation_id, sender, text, payload, at in lines:
            if sender == "user":
                question[conversation_id] = text
            elif conversation_id in question and isinstance(payload, dict):
                key = (conversation_id, str(payload.get("article_id")))
                cards[key].append((at, question[conversation_id]))
    return cards


_WORD = re.compile(r"\w+")
_DOUBLED = re.compile(r"([bcdfghjkmnpqrtvwxy])\1$")  # not ll, ss, zz: "install"


def _stem(word: str) -> str:
    """A light trim so "installs", "installing" and "installed" meet "install"."""
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = _DOUBLED.sub(r"\1", word[: -len(suffix)])
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def question_terms(text: str) -> frozenset[str]:
    """The words that carry a question's meaning: "How do I install on Windows?" and
    "install on windows how" both give {"install", "window"}."""
    words = _WORD.findall(text.casefold().replace("'", "").replace("\u2019", ""))
    return frozenset(_stem(w) for w in words if w not in STOP_WORDS)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)


def _group(asked: Iterable[_Asked]) -> list[list[_Asked]]:
    """Greedy leader clustering: wordings in order of frequency, each joining the group
    whose first (so most frequent) wording it is most like, or starting its own.

    Identical term sets are merged first, and an inverted index limits each comparison
    to the groups sharing a term, so tens of thousands of questions take well under a
    second. Text of stop words alone ("thanks", "hi") carries no question and is left out.
    """
    by_terms: dict[frozenset[str], list[_Asked]] = defaultdict(list)
    for item in asked:
        terms = question_terms(item.text)
        if terms:
            by_terms[terms].append(item)
    leaders: list[frozenset[str]] = []
    groups: list[list[_Asked]] = []
    having: dict[str, list[int]] = defaultdict(list)  # term -> groups whose leader has it
    for terms, items in sorted(by_terms.items(), key=lambda kv: (-len(kv[1]), sorted(kv[0]))):
        candidates = {g for term in terms for g in having.get(term, ())}
        best = max(candidates, key=lambda g: (_jaccard(terms, leaders[g]), -g), default=None)
        if best is not None and _jaccard(terms, leaders[best]) >= SIMILAR:
            groups[best].extend(items)
            continue
        for term in terms:
            having[term].append(len(groups))
        leaders.append(terms)
        groups.append(list(items))
    return groups


def _latest(items: list[_Asked]) -> float:
    return max(item.at for item in items).timestamp()


def _wording(items: list[_Asked]) -> str:
    """How a wording is shown: its most common form as typed, the latest of equals."""
    forms: dict[str, list[_Asked]] = defaultdict(list)
    for item in items:
        forms[" ".join(item.text.split())].append(item)
    return min(forms.items(), key=lambda kv: (-len(kv[1]), -_latest(kv[1]), kv[0]))[0]


def _gap(items: list[_Asked]) -> ContentGap:
    """One group as a gap; wordings differing only in case, spacing and punctuation
    are one example."""
    wordings: dict[str, list[_Asked]] = defaultdict(list)
    for item in items:
        wordings[" ".join(_WORD.findall(item.text.casefold()))].append(item)
    ranked = sorted(wordings.values(), key=lambda same: (-len(same), -_latest(same)))
    examples = tuple(_wording(same) for same in ranked[:MAX_EXAMPLES])
    reasons = Counter(item.reason for item in items)
    not_helpful = reasons.get(NOT_HELPFUL, 0) + reasons.get(NONE_FITTED, 0)
    return ContentGap(
        question=examples[0],
        count=len(items),
        examples=examples,
        last_seen=max(item.at for item in items),
        fallback=len(items) - not_helpful,
        not_helpful=not_helpful,
        reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        articles=tuple(
            article
            for article, _ in Counter(
                item.article_id for item in items if item.article_id is not None
            ).most_common()
        ),
    )


# -- articles ----------------------------------------------------------------------------
def _shown_article() -> ColumnElement[str]:
    return EventRow.data["article_id"].as_string()


def unhelpful_articles(db: Db, since: datetime, limit: int = 50) -> list[ArticleFeedback]:
    """Articles marked "not helpful" in the window, the most often first."""
    session = _session(db)
    not_helpful = func.sum(case((FeedbackRow.helpful.is_(False), 1), else_=0))
    helpful = func.sum(case((FeedbackRow.helpful.is_(True), 1), else_=0))
    counted = session.execute(
        select(FeedbackRow.article_id, not_helpful, helpful)
        .where(FeedbackRow.created_at >= since, FeedbackRow.article_id != "")
        .group_by(FeedbackRow.article_id)
        .having(not_helpful > 0)
        .order_by(not_helpful.desc(), helpful, FeedbackRow.article_id)
        .limit(limit)
    ).all()
    article = _shown_article()
    shown = dict(
        session.execute(
            select(article, func.count())
            .where(
                EventRow.type == "article_shown",
                EventRow.created_at >= since,
                article.in_([row[0] for row in counted]),
            )
            .group_by(article)
        ).all()
    )
    return [
        ArticleFeedback(
            article_id, int(bad), int(good), int(shown.get(article_id, 0)), _ratio(bad, bad + good)
        )
        for article_id, bad, good in counted
    ]


# -- conversations -------------------------------------------------------------------------
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


# -- SLA ---------------------------------------------------------------------------------------
def _tickets_since(session: Session, since: datetime) -> list[Ticket]:
    """The window's tickets with their history, as `ticket_clock` reads them.

    A query for the tickets and one per CHUNK of them for their history, not one per
    ticket; the transcript and the other big JSON columns stay in the database (the
    clock needs only the status, the timestamps and the history).
    """
    rows = session.execute(
        select(
            TicketRow.id,
            TicketRow.status,
            TicketRow.priority,
            TicketRow.created_at,
            TicketRow.updated_at,
        )
        .where(TicketRow.created_at >= since)
        .order_by(TicketRow.id)
    ).all()
    history: dict[int, list[TicketEvent]] = defaultdict(list)
    for chunk in _chunks([row[0] for row in rows]):
        for ticket_id, kind, status, actor, at in session.execute(
            select(
                TicketEventRow.ticket_id,
                TicketEventRow.kind,
                TicketEventRow.status,
                TicketEventRow.actor,
                TicketEventRow.created_at,
            )
            .where(TicketEventRow.ticket_id.in_(chunk))
            .order_by(TicketEventRow.id)
        ):
            history[ticket_id].append(TicketEvent(kind, status, actor, at))
    return [
        Ticket(
            id=ticket_id,
            status=status,
            priority=priority,
            tier=1,
            subject="",
            channel="",
            user_id="",
            conversation_id=None,
            intent=None,
            entities={},
            transcript=[],
            steps_tried=[],
            articles=[],
            created_at=created_at,
            updated_at=updated_at,
            history=tuple(history.get(ticket_id, ())),
        )
        for ticket_id, status, priority, created_at, updated_at in rows
    ]


def sla_attainment(
    db: Db, since: datetime, policies: SlaPolicies, now: datetime | None = None
) -> list[SlaAttainment]:
    """Per priority, of the tickets created since `since`: targets met, missed, pending.

    The same `ticket_sla` as the ticket API's `sla` object, at `now` (default: now).
    """
    now = now or datetime.now(UTC)
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for ticket in _tickets_since(_session(db), since):
        status = ticket_sla(ticket, policies, now)
        clock = ticket_clock(ticket)
        counts = tally[ticket.priority]
        counts["tickets"] += 1
        counts["first_response_met"] += clock.first_response_at is not None and not (
            status.first_response_breached
        )
        counts["first_response_breached"] += status.first_response_breached
        counts["resolution_met"] += clock.resolved_at is not None and not status.resolution_breached
        counts["resolution_breached"] += status.resolution_breached
        if status.breached:
            counts["breached"] += 1
        elif clock.resolved_at is not None:
            counts["met"] += 1
        else:
            counts["open_within_sla"] += 1
    return [
        SlaAttainment(
            priority=priority,
            tickets=counts["tickets"],
            first_response_met=counts["first_response_met"],
            first_response_breached=counts["first_response_breached"],
            resolution_met=counts["resolution_met"],
            resolution_breached=counts["resolution_breached"],
            met=counts["met"],
            breached=counts["breached"],
            open_within_sla=counts["open_within_sla"],
            attainment=_ratio(counts["met"], counts["met"] + counts["breached"]),
        )
        for priority, counts in sorted(tally.items())
    ]


# -- CSV ---------------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        if all(isinstance(v, tuple) and len(v) == 2 for v in value):
            value = "; ".join(f"{k}: {v}" for k, v in value)
        else:
            value = " | ".join(str(v) for v in value)
    text = str(value)
    # Questions are user text: "=HYPERLINK(...)" must reach a spreadsheet as text.
    if text[:1] in FORMULA_START or text.lstrip()[:1] in FORMULA_START:
        return "'" + text
    return text


def to_csv(rows: Iterable[Any], row_type: type[Any]) -> str:
    """The rows as CSV with a header of `row_type`'s fields (there even with no rows).

    Tuples are joined ("a | b", "reason: 3; other: 1"), datetimes in ISO 8601, and any
    cell a spreadsheet would run as a formula (= + - @ tab CR) gets a leading apostrophe.
    A single result (`Deflection`) is exported as `to_csv([result], Deflection)`.
    """
    if not (is_dataclass(row_type) and isinstance(row_type, type)):
        raise TypeError(f"row_type must be a dataclass, got {row_type!r}")
    names = [f.name for f in fields(row_type)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        if not isinstance(row, row_type):
            raise TypeError(f"expected {row_type.__name__} rows, got {type(row).__name__}")
        writer.writerow([_cell(getattr(row, name)) for name in names])
    return out.getvalue()
