"""Who answers a conversation: the bot, or a support agent who took it over.

An agent takes over a ticket's conversation from the console, or by replying to the
ticket (bot/ticket_updates.py: `take_over`, `agent_reply`). From then on the engine
records what the user says, in the transcript and in the ticket's history, and the
bot stays quiet (bot/handlers/agent_active.py) until the agent hands the
conversation back (`hand_back`) or the ticket is resolved or closed (`change_status`).

The takeover itself lives in the conversation's dialogue state (`Takeover`): the
engine reads that state on every turn under the conversation's row lock, so a turn
sees a takeover whole or not at all, and no extra query is paid on turns without
one. The ticket's history (ticket_events "takeover" and "handback", actor and agent)
says who and when, for the console and audits; both are written in one transaction.
This module works on ticket rows; the ticket-id entry points, which look the ticket
up and check the agent's name, are in bot/ticket_updates.py with the agent's other acts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.dialogue.state import DialogueState, Takeover
from bot.redact import redact
from bot.store.models import ConversationRow, MessageRow, TicketRow
from bot.store.store import Transaction
from bot.tickets import DONE
from bot.types import Choice, ChoicesReply, TextReply, reply_from_dict, reply_to_dict

HANDED_BACK = (
    "You're back with the assistant: the support agent handed this conversation back to "
    "me. Ticket #{ticket_id} stays open, and updates on it will still show up here. "
    "What can I help you with?"
)


class TakeoverRefused(ValueError):
    """A conversation that cannot be taken over: the ticket has none, or is done."""


@dataclass(frozen=True)
class TakeoverStatus:
    """For the agent console: whether an agent has the ticket's conversation, and who."""

    ticket_id: int
    conversation_id: str | None
    taken_over: bool = False
    agent: str | None = None  # None also when the agent replied without giving a name
    since: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        since = self.since.isoformat() if self.since else None
        return {"taken_over": self.taken_over, "agent": self.agent, "since": since}


def takeover_status(tx: Transaction, ticket_id: int) -> TakeoverStatus | None:
    """Whether the ticket's conversation is taken over through this ticket, by whom and
    since when; None when there is no such ticket."""
    row = tx.ticket(ticket_id)
    if row is None:
        return None
    takeover = _takeover_through(tx, row)
    if takeover is None:
        return TakeoverStatus(row.id, row.conversation_id)
    since = datetime.fromisoformat(takeover.since)
    return TakeoverStatus(row.id, row.conversation_id, True, takeover.agent, since)


def is_taken_over(tx: Transaction, ticket_id: int) -> bool:
    status = takeover_status(tx, ticket_id)
    return status is not None and status.taken_over


def begin_takeover(
    tx: Transaction, row: TicketRow, agent: str | None, at: datetime, *, implicit: bool = False
) -> bool:
    """Give the ticket's conversation to `agent`; False when nothing changed.

    Explicit (the console) is refused for a ticket without a conversation, or resolved
    or closed: resolving is what ends a takeover, so reopen it first. It moves a
    takeover from another agent (or another ticket of the conversation) to this one.
    Implicit (an agent's reply) does nothing in those cases, nor when anyone has the
    conversation already: answering a ticket is not taking a colleague's chat away.
    """
    refusal = _refusal(row)
    if refusal is not None:
        if implicit:
            return False
        raise TakeoverRefused(refusal)
    conversation, state = _locked_state(tx, row)
    current = state.takeover
    if current is not None and (implicit or (current.ticket_id, current.agent) == (row.id, agent)):
        return False
    data: dict[str, Any] = {"agent": agent}
    if current is not None:
        data["from"] = current.agent
        if current.ticket_id != row.id:
            moved = {"agent": current.agent, "reason": "moved", "to_ticket": row.id}
            tx.add_ticket_event(current.ticket_id, "handback", "agent", None, moved, at)
    tx.add_ticket_event(row.id, "takeover", "agent", None, data, at)
    tx.add_event(conversation.id, "takeover", {"ticket_id": row.id, **data})
    told = current is not None and current.acknowledged  # a new agent is no news to the user
    takeover = Takeover(row.id, agent, at.astimezone(UTC).isoformat(), told)
    # What the bot had asked is moot once a person has the conversation.
    tx.save_state(conversation, state.idle(takeover=takeover, fallbacks=0).to_json())
    return True


def end_takeover(
    tx: Transaction,
    row: TicketRow,
    actor: str,
    at: datetime,
    reason: str,
    *,
    by: str | None = None,
    say: str | None = None,
) -> bool:
    """Give the ticket's conversation back to the bot, saying `say` if given; False
    when it was not taken over through this ticket. `reason`: handed_back, resolved..."""
    if row.conversation_id is None:
        return False
    conversation, state = _locked_state(tx, row)
    current = state.takeover
    if current is None or current.ticket_id != row.id:
        return False
    data: dict[str, Any] = {"agent": current.agent, "reason": reason}
    if by is not None:
        data["by"] = by
    tx.add_ticket_event(row.id, "handback", actor, None, data, at)
    tx.add_event(conversation.id, "handback", {"ticket_id": row.id, **data})
    if say is not None:
        _say(tx, conversation, say)
    # Buttons shown before the takeover answer questions nobody is asking any more.
    tx.save_state(conversation, state.evolve(takeover=None, offered=()).to_json())
    return True


def buttons_shown(messages: Iterable[MessageRow]) -> tuple[Choice, ...]:
    """Every button the bot showed in the transcript, by id (the latest label wins).

    While an agent has the conversation, a click on any of them, however old, is the
    user saying something to the agent: recorded, never a handler's answer nor an
    "unknown choice" error for a button still on the user's screen.
    """
    shown: dict[str, Choice] = {}
    for message in messages:
        if message.sender != "bot" or message.kind != ChoicesReply.type or not message.payload:
            continue
        reply = reply_from_dict(message.payload)
        if isinstance(reply, ChoicesReply):
            shown.update((choice.id, choice) for choice in reply.choices)
    return tuple(shown.values())


def _takeover_through(tx: Transaction, row: TicketRow) -> Takeover | None:
    if row.conversation_id is None:
        return None
    takeover = DialogueState.from_json(tx.conversation(row.conversation_id).state).takeover
    return takeover if takeover is not None and takeover.ticket_id == row.id else None


def _refusal(row: TicketRow) -> str | None:
    if row.conversation_id is None:
        return f"ticket #{row.id} did not come from a conversation: there is none to take over"
    if row.status in DONE:
        return f"ticket #{row.id} is {row.status}: reopen it to take over its conversation"
    return None


def _locked_state(tx: Transaction, row: TicketRow) -> tuple[ConversationRow, DialogueState]:
    assert row.conversation_id is not None
    conversation = tx.conversation(row.conversation_id, lock=True)  # no turn runs meanwhile
    return conversation, DialogueState.from_json(conversation.state)


def _say(tx: Transaction, conversation: ConversationRow, text: str) -> None:
    reply = TextReply(text)
    payload = reply_to_dict(reply)
    payload["text"] = redact(text)
    tx.append_message(conversation, "bot", reply.type, str(payload["text"]), payload)
