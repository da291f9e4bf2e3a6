"""Where content gaps come from: the questions, read from the store, that the KB could not
answer. A question fell to the fallback, got an article the user marked "not helpful",
or got a choice of articles of which the user took none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.insights.common import _chunks
from bot.store.models import EventRow, FeedbackRow, MessageRow

NOT_HELPFUL = "not_helpful"  # the reason of a question whose article was marked unhelpful
NONE_FITTED = "none_fitted"  # articles were offered and the user picked "none of these"
NONE_OF_THESE = "human"  # the choice id of "None of these, talk to a human"


@dataclass(frozen=True)
class _Asked:
    text: str
    at: datetime
    reason: str  # the fallback's reason, NOT_HELPFUL or NONE_FITTED
    article_id: str | None = None  # the article the user said did not help


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
