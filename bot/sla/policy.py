"""SLA targets per priority, and a ticket's SLA state at a given moment.

A target is business time on a calendar (`bot.sla.calendar`): first response within
`first_response`, resolution within `resolution`, both counted from the ticket's
creation, both stopped while the ticket waits on the user. `warn_at` is the share of
a target after which the ticket is flagged (the scheduler records it once), and
`escalate_to` the tier a breached ticket moves to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.sla.calendar import BusinessCalendar, Pause


@dataclass(frozen=True)
class SlaTarget:
    priority: str
    first_response: timedelta
    resolution: timedelta
    calendar: BusinessCalendar
    warn_at: float = 0.75
    escalate_to: int | None = None  # the tier a breach moves the ticket to


@dataclass(frozen=True)
class TicketClock:
    """What the SLA depends on: when the ticket opened, paused, was answered, resolved."""

    opened_at: datetime
    pauses: tuple[Pause, ...] = ()  # waiting on the user; an open pause has no end
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class SlaStatus:
    first_response_due: datetime | None  # None while paused (nothing is due)
    resolution_due: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    warning: bool  # the running target is `warn_at` or more used up
    paused: bool

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached

    def to_dict(self) -> dict[str, Any]:
        """The ticket API's `sla` object."""
        return {
            "first_response_due": _iso(self.first_response_due),
            "resolution_due": _iso(self.resolution_due),
            "breached": self.breached,
            "first_response_breached": self.first_response_breached,
            "resolution_breached": self.resolution_breached,
            "warning": self.warning,
            "paused": self.paused,
        }


def sla_status(target: SlaTarget, clock: TicketClock, now: datetime) -> SlaStatus:
    """The SLA of a ticket at `now`: due times, breaches, and whether to warn."""
    calendar = target.calendar
    paused = any(end is None for _, end in clock.pauses)
    # Once answered, the first response's due time is settled: later pauses move only
    # the resolution.
    first_pauses = _before(clock.pauses, clock.first_response_at)
    first_due = calendar.add(clock.opened_at, target.first_response, first_pauses)
    resolution_due = calendar.add(clock.opened_at, target.resolution, clock.pauses)
    first_breached = _breached(
        calendar,
        clock.opened_at,
        first_pauses,
        target.first_response,
        first_due,
        clock.first_response_at,
        now,
    )
    resolution_breached = _breached(
        calendar,
        clock.opened_at,
        clock.pauses,
        target.resolution,
        resolution_due,
        clock.resolved_at,
        now,
    )
    warning = False
    running = None
    if clock.first_response_at is None:
        running = target.first_response
    elif clock.resolved_at is None:
        running = target.resolution
    if running is not None and running > timedelta(0):
        used = calendar.between(clock.opened_at, now, clock.pauses)
        warning = used >= running * target.warn_at
    return SlaStatus(
        first_due, resolution_due, first_breached, resolution_breached, warning, paused
    )


def _before(pauses: tuple[Pause, ...], moment: datetime | None) -> tuple[Pause, ...]:
    """The pauses, or the part of them, before `moment` (all of them without one)."""
    if moment is None:
        return pauses
    return tuple(
        (start, moment if end is None or end > moment else end)
        for start, end in pauses
        if start < moment
    )


def _breached(
    calendar: BusinessCalendar,
    opened_at: datetime,
    pauses: tuple[Pause, ...],
    allowed: timedelta,
    due: datetime | None,
    done_at: datetime | None,
    now: datetime,
) -> bool:
    end = done_at if done_at is not None else now
    if due is None:  # paused now: breached if the time used before the pause exceeded it
        return calendar.between(opened_at, end, pauses) > allowed
    return end > due


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
