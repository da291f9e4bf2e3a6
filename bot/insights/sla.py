"""SLA attainment: per priority, the window's tickets against that priority's targets.

Python does what SQL cannot here: the SLA clock, the very code behind the ticket API's
`sla` object, so the page and the API never disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.insights.common import Db, _chunks, _ratio, _session
from bot.sla import SlaPolicies
from bot.store.models import TicketEventRow, TicketRow
from bot.tickets import Ticket, TicketEvent, ticket_clock, ticket_sla


@dataclass(frozen=True)
class SlaAttainment:
    """Tickets of one priority created in the window, against that priority's targets.

    met + breached + open_within_sla == tickets.
    """

    priority: str
    tickets: int
    first_response_met: int  # answered in time
    first_response_breached: int  # answered late, or unanswered past the due time
    resolution_met: int  # resolved in time
    resolution_breached: int
    met: int  # resolved, both targets met
    breached: int  # either target missed
    open_within_sla: int  # not resolved yet, nothing missed so far
    attainment: float  # met / (met + breached): of the tickets whose outcome is known


def _tickets_since(session: Session, since: datetime) -> list[Ticket]:
    """The window's tickets with their history, as `ticket_clock` reads them.

    A query for the tickets and one per CHUNK of them for their history, not one per
    ticket; the transcript and the other big JSON columns stay in the database (the
    clock needs only the status, the timestamps and the history).
    """
    rows = session.execute(
        select(
            TicketRow.id,
            TicketRow.status,
            TicketRow.priority,
            TicketRow.created_at,
            TicketRow.updated_at,
        )
        .where(TicketRow.created_at >= since)
        .order_by(TicketRow.id)
    ).all()
    history: dict[int, list[TicketEvent]] = defaultdict(list)
    for chunk in _chunks([row[0] for row in rows]):
        for ticket_id, kind, status, actor, at in session.execute(
            select(
                TicketEventRow.ticket_id,
                TicketEventRow.kind,
                TicketEventRow.status,
                TicketEventRow.actor,
                TicketEventRow.created_at,
            )
            .where(TicketEventRow.ticket_id.in_(chunk))
            .order_by(TicketEventRow.id)
        ):
            history[ticket_id].append(TicketEvent(kind, status, actor, at))
    return [
        Ticket(
            id=ticket_id,
            status=status,
            priority=priority,
            tier=1,
            subject="",
            channel="",
            user_id="",
            conversation_id=None,
            intent=None,
            entities={},
            transcript=[],
            steps_tried=[],
            articles=[],
            created_at=created_at,
            updated_at=updated_at,
            history=tuple(history.get(ticket_id, ())),
        )
        for ticket_id, status, priority, created_at, updated_at in rows
    ]


def sla_attainment(
    db: Db, since: datetime, policies: SlaPolicies, now: datetime | None = None
) -> list[SlaAttainment]:
    """Per priority, of the tickets created since `since`: targets met, missed, pending.

    The same `ticket_sla` as the ticket API's `sla` object, at `now` (default: now).
    """
    now = now or datetime.now(UTC)
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for ticket in _tickets_since(_session(db), since):
        clock = ticket_clock(ticket)
        status = ticket_sla(ticket, policies, now, clock)
        counts = tally[ticket.priority]
        counts["tickets"] += 1
        counts["first_response_met"] += clock.first_response_at is not None and not (
            status.first_response_breached
        )
        counts["first_response_breached"] += status.first_response_breached
        counts["resolution_met"] += clock.resolved_at is not None and not status.resolution_breached
        counts["resolution_breached"] += status.resolution_breached
        if status.breached:
            counts["breached"] += 1
        elif clock.resolved_at is not None:
            counts["met"] += 1
        else:
            counts["open_within_sla"] += 1
    return [
        SlaAttainment(
            priority=priority,
            tickets=counts["tickets"],
            first_response_met=counts["first_response_met"],
            first_response_breached=counts["first_response_breached"],
            resolution_met=counts["resolution_met"],
            resolution_breached=counts["resolution_breached"],
            met=counts["met"],
            breached=counts["breached"],
            open_within_sla=counts["open_within_sla"],
            attainment=_ratio(counts["met"], counts["met"] + counts["breached"]),
        )
        for priority, counts in sorted(tally.items())
    ]
