"""A ticket's status changes, wherever they come from, and the user told in their chat.

An agent's change through the API, a status polled from an external helpdesk, the
SLA scheduler: each goes through `change_status`, which updates the ticket, records
the change in its history (the SLA clock reads it: first response, pauses) and puts
a ticket reply in the user's conversation, where the channel shows it: the widget
and the HTTP API read the conversation, chat connectors push it. Resolving or closing
a ticket also ends an agent's takeover of its conversation (bot/takeover.py).

An agent's own acts are here too: a reply (which takes the conversation over unless
someone has it already), taking over and handing back, changes of priority or tier.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.redact import redact
from bot.store.models import TicketRow
from bot.store.store import Transaction
from bot.takeover import HANDED_BACK, begin_takeover, end_takeover
from bot.tickets import DONE, TICKET_STATUSES
from bot.types import TicketReply, reply_to_dict

ACTORS = ("agent", "helpdesk", "user", "system")
# C0 controls but tab and newline: no database stores NUL, no channel shows the rest.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
NEWS = {
    "new": "it is waiting for a support agent again.",
    "open": "a support agent is working on it now.",
    "pending": "the support team needs something from you: please check their message.",
    "resolved": (
        "it has been marked resolved. If the problem is still there, "
        'say "talk to a human" and I\'ll open a new ticket.'
    ),
    "closed": "it is now closed.",
}


class InvalidStatus(ValueError):
    """Not one of Tier0's ticket statuses."""


def change_status(
    tx: Transaction,
    row: TicketRow,
    status: str,
    actor: str,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> bool:
    """Move the ticket to `status`; False (and nothing recorded) when it is there already.

    Resolved or closed, the ticket's conversation is the bot's again: the news line
    told the user, a second "you're back with the assistant" would only repeat it.
    """
    if status not in TICKET_STATUSES:
        raise InvalidStatus(f"status must be one of {', '.join(TICKET_STATUSES)}, got {status!r}")
    if actor not in ACTORS:
        raise ValueError(f"unknown actor {actor!r}")
    if row.status == status:
        return False
    previous = row.status
    row.status = status
    row.updated_at = at
    tx.add_ticket_event(row.id, "status", actor, status, {"from": previous, **(data or {})}, at)
    tell_user(tx, row, f"Update on your ticket #{row.id}: {NEWS[status]}")
    if status in DONE:
        end_takeover(tx, row, actor, at, status)
    return True


def tell_user(
    tx: Transaction, row: TicketRow, text: str, *, agent: str | None = None, said: str = ""
) -> None:
    """Add a ticket reply to the conversation the ticket came from, if any. From an
    agent, the payload also names them (`agent`) and carries their words alone
    (`reply`), so a channel can show a person speaking rather than the bot."""
    if row.conversation_id is None:
        return
    conversation = tx.conversation(row.conversation_id, lock=True)  # seq stays unique
    reply = TicketReply(text, row.id, row.status)
    payload = reply_to_dict(reply)
    payload["text"] = redact(text)
    if agent is not None:
        payload.update(agent=agent, reply=redact(said))
    tx.append_message(conversation, "bot", reply.type, str(payload["text"]), payload)
    tx.add_event(conversation.id, "ticket_update", {"ticket_id": row.id, "status": row.status})


PRIORITIES = ("P1", "P2", "P3", "P4")
MAX_REPLY = 4000


class TicketNotFound(LookupError):
    pass


def update_ticket(
    tx: Transaction,
    ticket_id: int,
    at: datetime,
    *,
    status: str | None = None,
    priority: str | None = None,
    tier: int | None = None,
    actor: str = "agent",
) -> TicketRow:
    """An agent's change of status, priority or tier, each recorded in the history."""
    row = _ticket(tx, ticket_id)
    if priority is not None and priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
    if tier is not None and tier not in (1, 2, 3):
        raise ValueError(f"tier must be 1, 2 or 3, got {tier!r}")
    if status is not None:
        change_status(tx, row, status, actor, at)
    for name, value in (("priority", priority), ("tier", tier)):
        if value is not None and getattr(row, name) != value:
            data = {"field": name, "from": getattr(row, name), "to": value}
            setattr(row, name, value)
            row.updated_at = at
            tx.add_ticket_event(row.id, "change", actor, None, data, at)
    return row


def agent_reply(
    tx: Transaction, ticket_id: int, text: str, at: datetime, agent: str | None = None
) -> TicketRow:
    """An agent's answer, put in the user's conversation; the first one is the SLA's
    first response. It takes the conversation over ("when an agent replies, the bot
    stays quiet until the agent hands it back or the ticket is resolved"), unless the
    ticket is done or an agent has the conversation already."""
    row = _ticket(tx, ticket_id)
    text = CONTROL.sub(" ", text)
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    agent = agent_name(agent)
    if not text:
        raise ValueError("'text' must not be empty")
    if len(text) > MAX_REPLY:
        raise ValueError(f"'text' is {len(text)} characters; the limit is {MAX_REPLY}")
    who = f"{agent} (support)" if agent else "Support agent"
    begin_takeover(tx, row, agent, at, implicit=True)
    tx.add_ticket_event(row.id, "reply", "agent", None, {"agent": agent, "text": redact(text)}, at)
    row.updated_at = at
    tell_user(tx, row, f"{who}, on ticket #{row.id}: {text}", agent=agent or "", said=text)
    return row


def take_over(tx: Transaction, ticket_id: int, agent: str, at: datetime) -> TicketRow:
    """The agent takes the ticket's conversation from the bot (bot/takeover.py); the
    same agent taking it again changes nothing. Raises `TicketNotFound`, `ValueError`
    for an empty name and `TakeoverRefused` (a ValueError) for a ticket without a
    conversation or one resolved or closed."""
    row = _ticket(tx, ticket_id)
    name = agent_name(agent)
    if name is None:
        raise ValueError("'agent' must name the agent taking over")
    if begin_takeover(tx, row, name, at):
        row.updated_at = at
    return row


def hand_back(tx: Transaction, ticket_id: int, agent: str, at: datetime) -> TicketRow:
    """The agent gives the conversation back to the bot, which says so to the user; a
    conversation not taken over through this ticket is left as it is (a retry or a
    second click is no error)."""
    row = _ticket(tx, ticket_id)
    name = agent_name(agent)
    if name is None:
        raise ValueError("'agent' must name the agent handing back")
    said = HANDED_BACK.format(ticket_id=row.id)
    if end_takeover(tx, row, "agent", at, "handed_back", by=name, say=said):
        row.updated_at = at
    return row


def agent_name(agent: str | None) -> str | None:
    """An agent's name as given, on one line and at most 200 characters; None if blank."""
    if agent is None:
        return None
    return " ".join(CONTROL.sub(" ", agent).split())[:200] or None


def _ticket(tx: Transaction, ticket_id: int) -> TicketRow:
    row = tx.ticket(ticket_id)
    if row is None:
        raise TicketNotFound(ticket_id)
    return row
