"""Record the answer to "was this helpful?"; offer a human when it was not."""

from __future__ import annotations

from bot.handlers.base import Event, Feedback, Outcome, TurnContext
from bot.handlers.common import offer_handoff
from bot.intents import AFFIRM
from bot.types import TextReply


class FeedbackHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        article_id = ctx.state.article_id or ""
        helpful = ctx.parse.intent == AFFIRM
        verdict = "helpful" if helpful else "not_helpful"
        state = ctx.state.with_feedback(article_id, verdict).evolve(fallbacks=0)
        event = Event("feedback", {"article_id": article_id, "helpful": helpful})
        feedback = (Feedback(article_id, helpful),)
        if helpful:
            reply = TextReply("Glad it helped! Anything else?")
            return Outcome((reply,), state.idle(), (event,), feedback)
        offer, state = offer_handoff(state, "Sorry that didn't help.")
        return Outcome((offer,), state, (event,), feedback)
