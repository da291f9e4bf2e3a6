"""The `TicketSystem` interface: where tickets finally live, selected in configuration.

Every ticket is first a row in Tier0's own store, written in the turn that created
it, so the user has a reference at once whatever happens next. When an external
helpdesk is configured (Request Tracker, Jira Service Management, Zendesk; see
`connectors/helpdesks/`), an outbox entry written in the same transaction carries
the ticket there later, with retries, and polling brings its status changes back.
The embedded helpdesk is the same interface with nothing to deliver.

Implementations raise `TicketSystemUnavailable` for anything worth retrying (the
server is down, a timeout, a 5xx, a 429) and `TicketSystemRejected` when the system
refused the request as malformed or unauthorised: retrying that would only repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.tickets import Ticket

TIER0_STATUSES = ("new", "open", "pending", "resolved", "closed")


class TicketSystemError(Exception):
    """A ticket system did not do what was asked."""


class TicketSystemUnavailable(TicketSystemError):
    """Down, slow or overloaded: try again later, after `retry_after` seconds when the
    system said (a 429's or 503's Retry-After), else after the outbox's own backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TicketSystemRejected(TicketSystemError):
    """The system refused the request itself (4xx other than 408/429): do not retry as is."""


@dataclass(frozen=True)
class ExternalTicket:
    """A ticket as the external system knows it, in Tier0's vocabulary."""

    system: str  # "rt", "jira", "zendesk"
    key: str  # the system's own id or key: "123", "SD-7"
    status: str  # one of TIER0_STATUSES
    url: str | None = None  # where an agent opens it


class TicketSystem(Protocol):
    """One external helpdesk. Called from the outbox worker, never inside a turn."""

    name: str
    # Optionally, `retry_floor: float`: the fewest seconds between attempts, for a
    # system whose `find` may not see a ticket created moments before (Jira).

    def create(self, ticket: Ticket, idempotency_key: str) -> ExternalTicket:
        """Create the ticket. The key is the same on every retry of the same ticket."""
        ...

    def find(self, idempotency_key: str) -> ExternalTicket | None:
        """The ticket an earlier attempt created with this key, if it got through."""
        ...

    def get(self, key: str) -> ExternalTicket | None:
        """The ticket's current state, for status polling; None when it was deleted."""
        ...


def ticket_description(ticket: Ticket) -> str:
    """The ticket body an agent reads in any helpdesk: plain text, Markdown-friendly.

    Transcript first lines, then what was tried and shown, so the agent starts where
    the bot stopped and never asks the user to repeat themselves.
    """
    lines = [
        f"Opened by Tier0 from {ticket.channel} for user {ticket.user_id}.",
        f"Priority {ticket.priority}, tier {ticket.tier}, queue {ticket.queue}.",
        f"Tier0 reference: #{ticket.id}",
    ]
    if ticket.intent:
        lines.append(f"Intent: {ticket.intent}")
    if ticket.entities:
        details = ", ".join(f"{k}={v}" for k, v in sorted(ticket.entities.items()))
        lines.append(f"Details: {details}")
    if ticket.steps_tried:
        lines += ["", "Steps tried:"]
        lines += [
            f"- {s.get('title', '?')}: {s.get('outcome', '?')}"
            + (f" ({s['answer']})" if s.get("answer") else "")
            for s in ticket.steps_tried
        ]
    if ticket.articles:
        lines += ["", "Articles shown:"]
        lines += [
            f"- {a.get('title', a.get('article_id', '?'))}"
            + (f" ({a['feedback']})" if a.get("feedback") else "")
            for a in ticket.articles
        ]
    if ticket.transcript:
        lines += ["", "Transcript:"]
        lines += [f"{m.get('sender', '?')}: {m.get('text', '')}" for m in ticket.transcript]
    return "\n".join(lines)
