"""Business-hours calendars: when the SLA clock runs, and how far a target takes it.

An SLA target is business time ("4 hours" means four hours of the team's opening
hours), so a due time depends on the team's time zone, weekly hours and holidays, and
on the hours the clock was paused while the ticket waited on the user. Everything is
computed on real instants (aware datetimes, UTC inside): each local opening interval
("Monday 09:00-17:00 in Europe/Berlin") is turned into the two instants it spans on a
given date, so a day with a daylight-saving change is 23 or 25 hours long on a 24x7
calendar and business hours keep their wall-clock times on either side of it.

A wall-clock time a DST change skips (02:30 on the morning clocks go forward) is the
moment of the change (so Sunday 01:00-02:30 is one real hour); one it repeats is the
first of the two.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MINUTES_A_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 3 * 366  # a target not reached within three years of openings is an error

Interval = tuple[datetime, datetime]  # [start, end), aware
Pause = tuple[datetime, datetime | None]  # None: still paused


class CalendarError(ValueError):
    """A calendar that can never reach a target (no opening hours at all)."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours in a time zone, less holidays.

    `weekly[d]` lists day d's opening intervals (0 = Monday) as minutes after local
    midnight, [start, end) with end up to 1440 (24:00).
    """

    name: str
    zone: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def always(cls, name: str = "24x7", zone: str = "UTC") -> BusinessCalendar:
        """Every minute of every day: the clock of a round-the-clock service."""
        return cls(name, ZoneInfo(zone), tuple(((0, MINUTES_A_DAY),) for _ in WEEKDAYS))

    def openings(self, start: datetime) -> Iterator[Interval]:
        """The opening intervals from `start` on, in order, as UTC instants; the first is
        cut to begin at `start` when `start` falls inside it."""
        start = _aware(start)
        day = start.astimezone(self.zone).date() - timedelta(days=1)  # an interval may cross
        for _ in range(SEARCH_DAYS):
            for opened, closed in self._day(day):
                if closed > start:
                    yield max(opened, start), closed
            day += timedelta(days=1)

    def _day(self, day: date) -> tuple[Interval, ...]:
        return _openings_of(self, day)

    def add(
        self, start: datetime, duration: timedelta, pauses: Sequence[Pause] = ()
    ) -> datetime | None:
        """The instant `duration` of business time after `start`, not counting `pauses`.

        None while a pause has no end (the clock is stopped, so nothing is due yet).
        """
        if any(end is None for _, end in pauses):
            return None
        left = duration
        if left <= timedelta(0):
            return _aware(start).astimezone(UTC)
        for opened, closed in _without(self.openings(start), _merged(pauses)):
            span = closed - opened
            if span >= left:
                return (opened + left).astimezone(UTC)
            left -= span
        raise CalendarError(f"calendar {self.name!r} has no opening hours to reach a target")

    def between(self, start: datetime, end: datetime, pauses: Sequence[Pause] = ()) -> timedelta:
        """Business time from `start` to `end`, not counting `pauses` (an open one runs to
        `end`)."""
        end = _aware(end)
        total = timedelta(0)
        if end <= _aware(start):
            return total
        closed_pauses = [(a, b if b is not None else end) for a, b in pauses]
        for opened, closed in _without(self.openings(start), _merged(closed_pauses)):
            if opened >= end:
                break
            total += min(closed, end) - opened
        return total


def _instant(midnight: datetime, minutes: int) -> datetime:
    """Local midnight plus `minutes` of wall-clock time, as a UTC instant."""
    if minutes >= MINUTES_A_DAY:
        next_day = midnight.date() + timedelta(days=1)
        midnight = datetime(next_day.year, next_day.month, next_day.day, tzinfo=midnight.tzinfo)
        minutes -= MINUTES_A_DAY
    local = midnight.replace(hour=minutes // 60, minute=minutes % 60)
    instant = local.astimezone(UTC)
    if instant.astimezone(local.tzinfo).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # A wall-clock time the clocks skip: the hours open from (or close at) the change.
    return _change_before(instant, local.tzinfo)


def _change_before(after: datetime, zone: Any) -> datetime:
    """The instant of the UTC-offset change in the day before `after` (a UTC instant
    already past a skipped wall-clock time), to the second."""
    offset = after.astimezone(zone).utcoffset()
    low, high = after - timedelta(days=1), after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return (low + timedelta(seconds=1)).replace(microsecond=0)


@functools.lru_cache(maxsize=8192)
def _openings_of(calendar: BusinessCalendar, day: date) -> tuple[Interval, ...]:
    """A day's opening intervals as instants. Cached: an agent's queue computes the SLA
    of every open ticket, and they share their days (the calendar is immutable)."""
    if day in calendar.holidays:
        return ()
    midnight = datetime(day.year, day.month, day.day, tzinfo=calendar.zone)
    return tuple(
        (_instant(midnight, first), _instant(midnight, last))
        for first, last in calendar.weekly[day.weekday()]
    )


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone: SLA times must be aware")
    return moment.astimezone(UTC)


def _merged(pauses: Iterable[Pause]) -> list[Interval]:
    """Pauses as sorted, non-overlapping closed intervals."""
    spans = sorted((_aware(a), _aware(b)) for a, b in pauses if b is not None and b > a)
    merged: list[Interval] = []
    for first, last in spans:
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _without(openings: Iterator[Interval], pauses: list[Interval]) -> Iterator[Interval]:
    """`openings` with the time of `pauses` (sorted, merged) cut out."""
    index = 0
    for opened, closed in openings:
        cursor = opened
        while index < len(pauses) and pauses[index][1] <= cursor:
            index += 1
        look = index
        while cursor < closed:
            if look < len(pauses) and pauses[look][0] < closed:
                paused_from, paused_to = pauses[look]
                if paused_from > cursor:
                    yield cursor, paused_from
                cursor = max(cursor, paused_to)
                look += 1
            else:
                yield cursor, closed
                break
