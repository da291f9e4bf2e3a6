"""Greetings, thanks, "what can you do?", "are you a bot?"."""

from __future__ import annotations

from bot.handlers.base import Outcome, TurnContext
from bot.intents import AFFIRM, BOT_CHALLENGE, DENY, GOODBYE, GREET, HELP, THANKS
from bot.types import TextReply

CAPABILITIES = (
    'I can answer questions from the knowledge base ("how do I move to PostgreSQL?"), '
    'walk you through a fix step by step ("the server won\'t start"), open a ticket for '
    'our support team ("talk to a human"), and tell you where your ticket stands '
    '("status of ticket 12").'
)

RESPONSES = {
    GREET: "Hi! I'm Tier0, the support assistant. " + CAPABILITIES,
    HELP: CAPABILITIES,
    BOT_CHALLENGE: (
        'I\'m a bot: Tier0, the support assistant. Say "talk to a human" at any time '
        "and I'll pass you to a person."
    ),
    THANKS: "You're welcome! Anything else I can help with?",
    GOODBYE: "Goodbye! Come back any time: I'll remember where we left off.",
    AFFIRM: "OK. What can I help you with?",
    DENY: "OK. What can I help you with?",
}


class SmallTalkHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        text = RESPONSES.get(ctx.parse.intent, CAPABILITIES)
        return Outcome((TextReply(text),), ctx.state.idle(fallbacks=0))
