"""What the bot remembers between turns, stored as JSON on the conversation row.

Frozen and rebuilt each turn (`evolve`), so a handler cannot half-update it: the
engine saves exactly the state a handler returned, in the same transaction as the
messages, which is what makes a SIGKILL between turns lose nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.types import Choice


class Flow(StrEnum):
    """The question the bot is waiting for an answer to, if any."""

    FEEDBACK = "feedback"  # "was this article helpful?"
    GUIDED_FIX = "guided_fix"  # "did that fix it?"
    FIX_ANSWER = "fix_answer"  # a guided-fix check or collect step: "which error do you see?"
    HANDOFF_OFFER = "handoff_offer"  # "shall I open a ticket?"
    HANDOFF_SUMMARY = "handoff_summary"  # "in one line, what is the problem?"
    HANDOFF_IMPACT = "handoff_impact"  # "who is affected?"
    HANDOFF_URGENCY = "handoff_urgency"  # "how urgent is it?"
    HANDOFF_CONFIRM = "handoff_confirm"  # "here is the ticket: shall I send it?"


@dataclass(frozen=True)
class StepRecord:
    article_id: str
    step: int  # 1-based position in the article, as the editor numbers the steps
    title: str
    outcome: str  # fixed | not_fixed | skipped | answered | handed_off | resolved | escalate
    answer: str | None = None  # the answer picked or the value collected
    step_id: str = ""


@dataclass(frozen=True)
class ShownArticle:
    article_id: str
    title: str
    feedback: str | None = None  # helpful | not_helpful


@dataclass(frozen=True)
class Takeover:
    """A support agent answers this conversation instead of the bot (bot/takeover.py).

    Kept in the dialogue state, not looked up in the ticket's history, because the
    engine reads the state anyway on every turn, under the conversation's row lock: a
    takeover and a user's message can never cross half-applied.
    """

    ticket_id: int  # the ticket it came through: resolving or closing it ends it
    agent: str | None  # who, as the console or their reply named them
    since: str  # ISO 8601, UTC: the state is JSON
    acknowledged: bool = False  # the user was told once that a person reads them now


@dataclass(frozen=True)
class DialogueState:
    flow: Flow | None = None
    article_id: str | None = None
    step: int = 0  # 0-based index of the guided-fix step awaiting an answer
    step_id: str | None = None  # that step's id: what a resume after an edit goes by
    trail: tuple[str, ...] = ()  # ids of the steps before it on this path, for "back"
    fallbacks: int = 0  # consecutive turns we did not understand
    problem: str | None = None  # the user's own statement of the problem
    problem_intent: str | None = None  # what the classifier made of that statement
    ticket_id: int | None = None  # the ticket opened from this conversation
    impact: str | None = None  # high | medium | low, for the ticket being prepared
    urgency: str | None = None
    escalate_tier: int | None = None  # set by a guided fix's "escalate tier N Pn" outcome
    escalate_priority: str | None = None
    entities: dict[str, str] = field(default_factory=dict)
    offered: tuple[Choice, ...] = ()
    steps_tried: tuple[StepRecord, ...] = ()
    articles_shown: tuple[ShownArticle, ...] = ()
    takeover: Takeover | None = None  # set while a support agent has the conversation

    def evolve(self, **changes: Any) -> DialogueState:
        return replace(self, **changes)

    def idle(self, **changes: Any) -> DialogueState:
        """No question pending any more."""
        cleared = {"flow": None, "article_id": None, "step": 0, "step_id": None, "trail": ()}
        return replace(self, **{**cleared, **changes})

    def with_article_shown(self, article_id: str, title: str) -> DialogueState:
        shown = tuple(a for a in self.articles_shown if a.article_id != article_id)
        return replace(self, articles_shown=(*shown, ShownArticle(article_id, title)))

    def with_feedback(self, article_id: str, feedback: str) -> DialogueState:
        shown = tuple(
            replace(a, feedback=feedback) if a.article_id == article_id else a
            for a in self.articles_shown
        )
        return replace(self, articles_shown=shown)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["flow"] = self.flow.value if self.flow else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DialogueState:
        if not data:
            return cls()
        return cls(
            flow=Flow(data["flow"]) if data.get("flow") else None,
            article_id=data.get("article_id"),
            step=int(data.get("step", 0)),
            step_id=data.get("step_id"),
            trail=tuple(data.get("trail") or ()),
            fallbacks=int(data.get("fallbacks", 0)),
            problem=data.get("problem"),
            problem_intent=data.get("problem_intent"),
            ticket_id=data.get("ticket_id"),
            impact=data.get("impact"),
            urgency=data.get("urgency"),
            escalate_tier=data.get("escalate_tier"),
            escalate_priority=data.get("escalate_priority"),
            entities=dict(data.get("entities") or {}),
            offered=tuple(Choice(**c) for c in data.get("offered") or ()),
            steps_tried=tuple(StepRecord(**s) for s in data.get("steps_tried") or ()),
            articles_shown=tuple(ShownArticle(**a) for a in data.get("articles_shown") or ()),
            takeover=Takeover(**data["takeover"]) if data.get("takeover") else None,
        )
