"""The agents' queues: open tickets by tier, the most urgent SLA deadline first.

A ticket's deadline is the next one it can miss: the first response while nobody
has answered, then the resolution (the SLA object keeps both due times; the clock
says which are done). Paused tickets (waiting on the user) have none
and sort last; breached ones sort first, most overdue at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.sla import SlaPolicies, SlaStatus
from bot.store import Store
from bot.tickets import Ticket, ticket_clock, ticket_from_row, ticket_sla

MAX_QUEUE = 2000  # tickets a console page considers, oldest first beyond that


@dataclass(frozen=True)
class Deadline:
    """One SLA target of a ticket as an agent reads it: when it is due, and whether it
    was met or missed once done."""

    kind: str  # "first response" | "resolution"
    due: datetime | None  # None while paused
    done_at: datetime | None  # answered / resolved
    breached: bool

    def describe(self, now: datetime) -> str:
        if self.done_at is not None:
            return "missed" if self.breached else "met"
        if self.due is None:
            return "paused"
        return time_left((self.due - now).total_seconds())


@dataclass(frozen=True)
class QueueItem:
    ticket: Ticket
    sla: SlaStatus
    first_response: Deadline
    resolution: Deadline

    @property
    def next(self) -> Deadline | None:
        """The deadline the ticket can still miss: the first response until someone
        answered, then the resolution; None once resolved."""
        for deadline in (self.first_response, self.resolution):
            if deadline.done_at is None:
                return deadline
        return None

    @property
    def due(self) -> datetime | None:
        return self.next.due if self.next is not None else None

    def seconds_left(self, now: datetime) -> float | None:
        return (self.due - now).total_seconds() if self.due is not None else None


def queue_item(ticket: Ticket, policies: SlaPolicies, now: datetime) -> QueueItem:
    clock = ticket_clock(ticket)
    sla = ticket_sla(ticket, policies, now, clock)
    first = Deadline(
        "first response", sla.first_response_due, clock.first_response_at,
        sla.first_response_breached,
    )  # fmt: skip
    resolution = Deadline(
        "resolution", sla.resolution_due, clock.resolved_at, sla.resolution_breached
    )
    return QueueItem(ticket, sla, first, resolution)


def queue_items(
    store: Store, policies: SlaPolicies, now: datetime, *, tier: int | None = None
) -> list[QueueItem]:
    """Open tickets (of `tier`, or all) with their SLA, the nearest deadline first."""
    with store.transaction() as tx:
        rows = tx.open_tickets(limit=MAX_QUEUE)
        tickets = [ticket_from_row(row) for row in rows if tier is None or row.tier == tier]
    items = [queue_item(ticket, policies, now) for ticket in tickets]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda item: (item.due or far, item.ticket.id))


def recently_closed(
    store: Store, policies: SlaPolicies, now: datetime, limit: int = 50
) -> list[QueueItem]:
    """Resolved and closed tickets, the latest first: what the "done" tab lists."""
    with store.transaction() as tx:
        tickets = [ticket_from_row(row) for row in tx.closed_tickets(limit)]
    return [queue_item(ticket, policies, now) for ticket in tickets]


def time_left(seconds: float | None) -> str:
    """ "2 h 05 min left", "overdue by 12 min", or "paused", for a queue's column."""
    if seconds is None:
        return "paused"
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        amount = f"{days} d {hours} h"
    elif hours:
        amount = f"{hours} h {minutes:02d} min"
    else:
        amount = f"{minutes} min"
    return f"{amount} left" if seconds >= 0 else f"overdue by {amount}"
