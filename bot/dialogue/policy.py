"""Which handler answers a turn: a pure function of the state and the parse."""

from __future__ import annotations

from bot.dialogue.commands import fix_command
from bot.dialogue.state import DialogueState, Flow
from bot.intents import (
    AFFIRM,
    ASK_HOWTO,
    CHOOSE_ARTICLE,
    DENY,
    FIX_ANSWER,
    OUT_OF_SCOPE,
    REPORT_PROBLEM,
    REQUEST_HUMAN,
    SMALL_TALK_INTENTS,
    TICKET_STATUS,
)
from nlu.types import Parse

# The flow each pending question belongs to, when the user answers yes or no.
ANSWER_HANDLERS = {
    Flow.GUIDED_FIX: "guided_fix",
    Flow.FEEDBACK: "feedback",
    Flow.HANDOFF_OFFER: "handoff",
}


# Questions of the handoff: every answer, typed or clicked, goes back to it.
HANDOFF_FLOWS = frozenset(
    {Flow.HANDOFF_SUMMARY, Flow.HANDOFF_IMPACT, Flow.HANDOFF_URGENCY, Flow.HANDOFF_CONFIRM}
)


def choose_handler(state: DialogueState, parse: Parse) -> str:
    """Name of the registered handler for this turn.

    While a support agent has the conversation, every turn is theirs ("agent_active"),
    even "talk to a human" or a ticket's status: a person is reading already.
    Otherwise explicit requests (a human, a ticket's status) win over any pending
    question; a yes/no answers the pending question; anything else is a new request.
    """
    if state.takeover is not None:
        return "agent_active"
    intent = parse.intent
    if intent == REQUEST_HUMAN:
        return "handoff"
    if intent == TICKET_STATUS:
        return "ticket_status"
    if state.flow in HANDOFF_FLOWS:
        return "handoff"
    if state.flow == Flow.FIX_ANSWER or intent == FIX_ANSWER:
        return "guided_fix"  # every answer to a check or collect step, typed or clicked
    if state.flow == Flow.GUIDED_FIX and fix_command(parse.text) is not None:
        return "guided_fix"
    if state.flow in ANSWER_HANDLERS and intent in (AFFIRM, DENY):
        return ANSWER_HANDLERS[state.flow]
    if intent in SMALL_TALK_INTENTS:
        return "small_talk"
    if intent in (ASK_HOWTO, REPORT_PROBLEM, OUT_OF_SCOPE, CHOOSE_ARTICLE):
        return "kb_answer"
    return "fallback"
