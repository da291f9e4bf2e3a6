"""Replies and outcomes several handlers share: the handoff offer and the fallback."""

from __future__ import annotations

import re

from bot.dialogue.state import DialogueState, Flow
from bot.handlers.base import Event, Outcome, TurnContext
from bot.types import Choice, ChoicesReply, TextReply

FIX_CHOICES = (
    Choice("yes", "Yes, it's fixed"),
    Choice("no", "No, still broken"),
    Choice("human", "Talk to a human"),
)
FEEDBACK_CHOICES = (Choice("yes", "Yes, thanks"), Choice("no", "Not really"))
HANDOFF_CHOICES = (Choice("yes", "Yes, open a ticket"), Choice("no", "No, thanks"))

REPHRASE = (
    "Sorry, I didn't understand that. Could you say it another way? For example: "
    '"how do I install Tier0 on Windows", "the server won\'t start", or "talk to a human".'
)
STILL_LOST = "I'm still not sure I understand."
_QUESTION_START = re.compile(
    r"(?i)^\W*(how|what|why|where|when|which|who|can|could|should|does|do|is|are|will)\b"
)


def looks_like_question(text: str) -> bool:
    """A message that asks something ("how do I install it on Windows?") rather than
    answering a question the bot asked ("Windows", "it says error 809")."""
    words = text.split()
    return len(words) >= 4 and (text.rstrip().endswith("?") or bool(_QUESTION_START.match(text)))


def offer_handoff(state: DialogueState, lead: str) -> tuple[ChoicesReply, DialogueState]:
    question = f"{lead} Shall I open a ticket so a support agent can take over?"
    return ChoicesReply(question, HANDOFF_CHOICES), state.idle(flow=Flow.HANDOFF_OFFER)


def fallback(ctx: TurnContext, reason: str = "not_understood") -> Outcome:
    """Ask to rephrase; after a second miss in a row, offer a human instead."""
    misses = ctx.state.fallbacks + 1
    event = Event("fallback", {"text": ctx.text, "reason": reason, "misses": misses})
    if misses >= 2:
        reply, state = offer_handoff(ctx.state, STILL_LOST)
        return Outcome((reply,), state.evolve(fallbacks=misses), (event,))
    return Outcome((TextReply(REPHRASE),), ctx.state.idle(fallbacks=misses), (event,))
