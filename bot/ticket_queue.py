"""The agents' queues: open tickets by tier, the most urgent SLA deadline first.

A ticket's deadline is the next one it can miss: the first response while nobody
has answered, then the resolution. Paused tickets (waiting on the user) have none
and sort last; breached ones sort first, most overdue at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.sla import SlaPolicies, SlaStatus
from bot.store import Store
from bot.tickets import Ticket, ticket_from_row, ticket_sla

MAX_QUEUE = 2000  # tickets a console page considers, oldest first beyond that


@dataclass(frozen=True)
class QueueItem:
    ticket: Ticket
    sla: SlaStatus
    due: datetime | None  # the next deadline, None while paused
    due_kind: str | None  # "first response" | "resolution"

    def seconds_left(self, now: datetime) -> float | None:
        return (self.due - now).total_seconds() if self.due is not None else None


def next_deadline(sla: SlaStatus) -> tuple[datetime | None, str | None]:
    if sla.first_response_due is not None:
        return sla.first_response_due, "first response"
    if sla.resolution_due is not None:
        return sla.resolution_due, "resolution"
    return None, None


def queue_items(
    store: Store, policies: SlaPolicies, now: datetime, *, tier: int | None = None
) -> list[QueueItem]:
    """Open tickets (of `tier`, or all) with their SLA, the nearest deadline first."""
    items = []
    with store.transaction() as tx:
        rows = tx.open_tickets(limit=MAX_QUEUE)
        for row in rows:
            if tier is not None and row.tier != tier:
                continue
            ticket = ticket_from_row(row)
            sla = ticket_sla(ticket, policies, now)
            due, kind = next_deadline(sla)
            items.append(QueueItem(ticket, sla, due, kind))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda item: (item.due or far, item.ticket.id))


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
