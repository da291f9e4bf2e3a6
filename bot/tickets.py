"""Tickets in Tier0's own store: the record every ticket starts as, whatever helpdesk.

A handler asks `TicketStore.create` for a ticket inside the turn's transaction, so a
ticket and the conversation state that mentions it are committed together or not at all.
An external helpdesk (`bot.helpdesk.TicketSystem`) receives it afterwards via the outbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.sla import CalendarError, SlaPolicies, SlaStatus, TicketClock, sla_status
from bot.store.models import TicketRow
from bot.store.store import Transaction

TICKET_STATUSES = ("new", "open", "pending", "resolved", "closed")
DONE = ("resolved", "closed")

_URGENT = re.compile(r"(?i)\b(urgent|asap|immediately|blocker|blocking|critical)\b")
_OUTAGE = re.compile(
    r"(?i)\b(outage|production (?:is )?down|everyone|all users|nobody can|data loss|security)\b"
)


@dataclass(frozen=True)
class TicketDraft:
    channel: str
    user_id: str
    subject: str
    email: str | None = None
    conversation_id: str | None = None
    intent: str | None = None
    entities: dict[str, str] = field(default_factory=dict)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    steps_tried: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    priority: str = "P3"
    tier: int = 1
    queue: str = "general"


@dataclass(frozen=True)
class Ticket:
    id: int
    status: str
    priority: str
    tier: int
    subject: str
    channel: str
    user_id: str
    conversation_id: str | None
    intent: str | None
    entities: dict[str, str]
    transcript: list[dict[str, Any]]
    steps_tried: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    queue: str = "general"
    history: tuple[TicketEvent, ...] = ()
    email: str | None = None

    def belongs_to(self, channel: str, user_id: str, email: str | None = None) -> bool:
        """The same account on the same channel, or the same person (by the email a
        channel vouched for) on any channel."""
        if self.channel == channel and self.user_id == user_id:
            return True
        mine = normal_email(email)
        return mine is not None and self.email == mine

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "priority": self.priority,
            "tier": self.tier,
            "queue": self.queue,
            "subject": self.subject,
            "channel": self.channel,
            "user_id": self.user_id,
            "email": self.email,
            "conversation_id": self.conversation_id,
            "intent": self.intent,
            "entities": self.entities,
            "transcript": self.transcript,
            "steps_tried": self.steps_tried,
            "articles": self.articles,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "history": [
                {"kind": e.kind, "status": e.status, "actor": e.actor, "at": e.at.isoformat()}
                for e in self.history
            ],
        }


@dataclass(frozen=True)
class TicketEvent:
    """A status change or a reply, by whom (agent, helpdesk, user, system) and when."""

    kind: str  # status | reply
    status: str | None
    actor: str
    at: datetime


def ticket_clock(ticket: Ticket) -> TicketClock:
    """When the ticket was answered, paused and resolved, from its history.

    The first response is the first agent reply or the first move out of "new"; the
    clock pauses from each move to "pending" (waiting on the user) until the next
    move; the resolution is the last move to resolved or closed, if it stays there.
    A ticket without status history (made before history was kept) counts as
    answered, and if resolved as resolved, at its last update.
    """
    if not any(e.kind == "status" for e in ticket.history):  # made before history was kept
        answered_at = ticket.updated_at if ticket.status != "new" else None
        resolved_at = ticket.updated_at if ticket.status in DONE else None
        return TicketClock(ticket.created_at, (), answered_at, resolved_at)
    first_response = next(
        (
            e.at
            for e in ticket.history
            if (e.kind == "reply" and e.actor in ("agent", "helpdesk"))
            or (e.kind == "status" and e.status != "new")
        ),
        None,
    )
    pauses: list[tuple[datetime, datetime | None]] = []
    resolved_at = None
    for event in (e for e in ticket.history if e.kind == "status"):
        if pauses and pauses[-1][1] is None and event.status != "pending":
            pauses[-1] = (pauses[-1][0], event.at)
        if event.status == "pending" and not (pauses and pauses[-1][1] is None):
            pauses.append((event.at, None))
        resolved_at = event.at if event.status in DONE else None
    if ticket.status not in DONE:
        resolved_at = None
    return TicketClock(ticket.created_at, tuple(pauses), first_response, resolved_at)


def ticket_sla(
    ticket: Ticket, policies: SlaPolicies, now: datetime, clock: TicketClock | None = None
) -> SlaStatus:
    """The ticket's SLA at `now`, by its priority's target, from its creation. A
    caller that needs the clock too passes it, so the history is read once."""
    clock = clock or ticket_clock(ticket)
    try:
        return sla_status(policies.for_priority(ticket.priority), clock, now)
    except CalendarError:  # refused at start-up; kept from a 500 all the same
        return SlaStatus(None, None, False, False, False, False)


class TicketStore(Protocol):
    """Tickets as a turn sees them: created and read in the turn's own transaction."""

    def create(self, draft: TicketDraft) -> Ticket: ...

    def get(self, ticket_id: int) -> Ticket | None: ...

    def for_user(self, channel: str, user_id: str, email: str | None = None) -> list[Ticket]: ...


def impact_and_urgency(text: str) -> tuple[str | None, str | None]:
    """What the user's own words say of impact and urgency (high), or None for each.

    An outage, data loss or "everyone" is high impact and high urgency; "urgent",
    "asap" or "blocked" is high urgency.
    """
    if _OUTAGE.search(text):
        return "high", "high"
    if _URGENT.search(text):
        return None, "high"
    return None, None


def normal_email(email: str | None) -> str | None:
    """An email as identities are compared: trimmed and lower-cased; None if it is not
    one (no @, a space, too long)."""
    if not email:
        return None
    value = email.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or len(value) > 320:
        return None
    return value


def ticket_from_row(row: TicketRow) -> Ticket:
    return Ticket(
        id=row.id,
        status=row.status,
        priority=row.priority,
        tier=row.tier,
        subject=row.subject,
        channel=row.channel,
        user_id=row.user_id,
        conversation_id=row.conversation_id,
        intent=row.intent,
        entities=dict(row.entities or {}),
        transcript=list(row.transcript or []),
        steps_tried=list(row.steps_tried or []),
        articles=list(row.articles or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
        queue=row.queue,
        history=tuple(TicketEvent(e.kind, e.status, e.actor, e.created_at) for e in row.events),
        email=row.email,
    )


class EmbeddedTicketSystem:
    """Tickets kept in Tier0's own database, bound to one transaction.

    With `deliver_to` (an external helpdesk's name), each new ticket also gets an
    outbox entry in the same transaction: the ticket and its delivery are committed
    together or not at all (bot/outbox.py sends it).
    """

    def __init__(self, tx: Transaction, deliver_to: str | None = None) -> None:
        self._tx = tx
        self._deliver_to = deliver_to

    def create(self, draft: TicketDraft) -> Ticket:
        row = self._tx.add_ticket(
            conversation_id=draft.conversation_id,
            channel=draft.channel,
            user_id=draft.user_id,
            email=normal_email(draft.email),
            subject=draft.subject[:200],
            status="new",
            priority=draft.priority,
            tier=draft.tier,
            queue=draft.queue,
            intent=draft.intent,
            entities=draft.entities,
            transcript=draft.transcript,
            steps_tried=draft.steps_tried,
            articles=draft.articles,
        )
        self._tx.add_ticket_event(row.id, "status", "system", "new", at=row.created_at)
        if self._deliver_to is not None:
            self._tx.add_delivery(row.id, self._deliver_to)
        return ticket_from_row(row)

    def get(self, ticket_id: int) -> Ticket | None:
        row = self._tx.ticket(ticket_id)
        return ticket_from_row(row) if row else None

    def for_user(self, channel: str, user_id: str, email: str | None = None) -> list[Ticket]:
        rows = self._tx.tickets_for_user(channel, user_id, normal_email(email))
        return [ticket_from_row(row) for row in rows]
