"""A ticket's status changes, wherever they come from, and the user told in their chat.

An agent's change through the API, a status polled from an external helpdesk, the
SLA scheduler: each goes through `change_status`, which updates the ticket, records
the change in its history (the SLA clock reads it: first response, pauses) and puts
a ticket reply in the user's conversation, where the channel shows it: the widget
and the HTTP API read the conversation, chat connectors push it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.redact import redact
from bot.store.models import TicketRow
from bot.store.store import Transaction
from bot.tickets import TICKET_STATUSES
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
    """Move the ticket to `status`; False (and nothing recorded) when it is there already."""
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
    return True


def tell_user(tx: Transaction, row: TicketRow, text: str) -> None:
    """Add a ticket reply to the conversation the ticket came from, if any."""
    if row.conversation_id is None:
        return
    conversation = tx.conversation(row.conversation_id, lock=True)  # seq stays unique
    reply = TicketReply(text, row.id, row.status)
    payload = reply_to_dict(reply)
    payload["text"] = redact(text)
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
    row = tx.ticket(ticket_id)
    if row is None:
        raise TicketNotFound(ticket_id)
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
    first response."""
    row = tx.ticket(ticket_id)
    if row is None:
        raise TicketNotFound(ticket_id)
    text = CONTROL.sub(" ", text)
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    if agent is not None:
        agent = " ".join(CONTROL.sub(" ", agent).split())[:200] or None
    if not text:
        raise ValueError("'text' must not be empty")
    if len(text) > MAX_REPLY:
        raise ValueError(f"'text' is {len(text)} characters; the limit is {MAX_REPLY}")
    who = f"{agent} (support)" if agent else "Support agent"
    tx.add_ticket_event(row.id, "reply", "agent", None, {"agent": agent, "text": redact(text)}, at)
    row.updated_at = at
    tell_user(tx, row, f"{who}, on ticket #{row.id}: {text}")
    return row
