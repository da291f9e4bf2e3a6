"""While a support agent has the conversation: pass the user's words on, stay quiet.

The engine has recorded the message in the transcript already; this handler adds it
to the ticket's history (a "user_message" note), where the agent console shows it,
and answers nothing, but once.

Why one acknowledgement and not none: Intercom and Zendesk show nothing because their
messengers show the person instead (the agent's name and face in the header, "Ana
joined the conversation"), so a quiet chat reads as "someone is typing". Tier0's
channels have no such status: the widget, Slack and the HTTP API show transcript
lines only, and an agent's reply arrives in the bot's own voice ("Ana (support), on
ticket #12: ..."). Without one line the user cannot tell a person has their message
from a bot that broke, and repeats it. Why not more than one: a line after every
message is noise in the very transcript the agent reads, and it makes the bot, not
the agent, look in charge. So the first message after a takeover gets one short
line, then nothing until the agent hands back or the ticket is resolved.
"""

from __future__ import annotations

from dataclasses import replace

from bot.handlers.base import Event, Outcome, TicketNote, TurnContext
from bot.redact import redact
from bot.types import TextReply

ACKNOWLEDGED = "A support agent is handling this conversation now; they'll see your messages here."


class AgentActiveHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        takeover = ctx.state.takeover
        if takeover is None:  # only a custom policy would send a turn here without one
            return Outcome((), ctx.state)
        data = {"text": redact(ctx.text), "conversation_id": ctx.conversation.id}
        if ctx.message.choice_id is not None:
            data["choice"] = ctx.message.choice_id
        note = TicketNote(takeover.ticket_id, "user_message", "user", data)
        event = Event("to_agent", {"ticket_id": takeover.ticket_id, "agent": takeover.agent})
        if takeover.acknowledged:
            return Outcome((), ctx.state, (event,), ticket_notes=(note,))
        told = ctx.state.evolve(takeover=replace(takeover, acknowledged=True))
        return Outcome((TextReply(ACKNOWLEDGED),), told, (event,), ticket_notes=(note,))
