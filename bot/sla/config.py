"""The `[sla]` section of tier0.toml: calendars and per-priority targets, validated.

    [sla.calendars.office]
    timezone = "Europe/Berlin"
    hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00",
              thu = "09:00-17:00", fri = ["09:00-12:00", "13:00-16:00"] }
    holidays = ["2026-12-24", "2026-12-25"]

    [sla.policies.P2]
    first_response = "2h"
    resolution = "1h30m"
    calendar = "office"        # "24x7" is built in
    warn_at = 0.75
    escalate_to = 2

Durations are hours and minutes of business time ("90m", "4h", "1h30m"); days are
refused, since a "day" of a 09:00-17:00 calendar is 8 hours, not 24. Every mistake is
reported with its place in the file (`sla.policies.P2.resolution: ...`), and the
defaults below apply to whatever is left out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.sla.calendar import MINUTES_A_DAY, WEEKDAYS, BusinessCalendar, CalendarError
from bot.sla.policy import SlaTarget

PRIORITIES = ("P1", "P2", "P3", "P4")
ALWAYS = "24x7"
MAX_MINUTES = 10_000 * 60  # over a year of 40-hour weeks
DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")
HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
POLICY_KEYS = frozenset({"first_response", "resolution", "calendar", "warn_at", "escalate_to"})
CALENDAR_KEYS = frozenset({"timezone", "hours", "holidays"})

# What a team without an [sla] section gets: a round-the-clock P1, the rest in office
# hours (Monday to Friday, 09:00-17:00 UTC).
DEFAULT_HOURS = {day: "09:00-17:00" for day in WEEKDAYS[:5]}
DEFAULT_POLICIES: dict[str, dict[str, Any]] = {
    "P1": {"first_response": "30m", "resolution": "4h", "calendar": ALWAYS, "escalate_to": 2},
    "P2": {"first_response": "2h", "resolution": "8h", "calendar": "office", "escalate_to": 2},
    "P3": {"first_response": "8h", "resolution": "40h", "calendar": "office"},
    "P4": {"first_response": "16h", "resolution": "80h", "calendar": "office"},
}


class SlaConfigError(ValueError):
    """A mistake in the [sla] section, with its place: `sla.policies.P2.resolution: ...`."""


@dataclass(frozen=True)
class SlaPolicies:
    targets: Mapping[str, SlaTarget]
    calendars: Mapping[str, BusinessCalendar]

    def for_priority(self, priority: str) -> SlaTarget:
        return self.targets.get(priority) or self.targets["P3"]


def _no_unknown(
    where: str, given: Mapping[str, Any], known: Iterable[str], what: str = "key"
) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise SlaConfigError(
            f"{where}: unknown {what}(s) {', '.join(map(str, unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )


def parse_duration(value: Any, where: str) -> timedelta:
    text = str(value).strip().lower().replace(" ", "") if isinstance(value, str) else ""
    match = DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        hint = " (a business day is not 24 hours: write hours, e.g. '16h')" if "d" in text else ""
        raise SlaConfigError(
            f"{where}: expected hours and minutes like '4h', '90m' or '1h30m', got {value!r}{hint}"
        )
    hours, minutes = (int(part or 0) for part in match.groups())
    if hours * 60 + minutes > MAX_MINUTES:
        raise SlaConfigError(f"{where}: {value!r} is more than {MAX_MINUTES // 60} hours")
    return timedelta(hours=hours, minutes=minutes)


def _minutes(hours: str, minutes: str) -> int:
    return int(hours) * 60 + int(minutes)


def parse_hours(value: Any, where: str) -> tuple[tuple[int, int], ...]:
    """A day's opening hours: "09:00-17:00", a list of those, or "closed"."""
    if value in ("closed", "", None):
        return ()
    spans = value if isinstance(value, list) else [value]
    parsed = []
    for span in spans:
        match = HOURS.match(str(span).strip()) if isinstance(span, str) else None
        if match is None:
            raise SlaConfigError(
                f"{where}: expected 'HH:MM-HH:MM' (or a list of them, or 'closed'), got {span!r}"
            )
        first, last = _minutes(*match.groups()[:2]), _minutes(*match.groups()[2:])
        if (
            not (0 <= first < last <= MINUTES_A_DAY)
            or int(match.group(2)) > 59
            or int(match.group(4)) > 59
        ):
            raise SlaConfigError(
                f"{where}: {span!r} must run forwards within a day (00:00 to 24:00)"
            )
        parsed.append((first, last))
    parsed.sort()
    for (_, end), (start, _) in itertools.pairwise(parsed):
        if start < end:
            raise SlaConfigError(f"{where}: the opening hours {value!r} overlap")
    return tuple(parsed)


def parse_calendar(name: str, data: Any) -> BusinessCalendar:
    where = f"sla.calendars.{name}"
    if not isinstance(data, Mapping):
        raise SlaConfigError(f"{where}: expected a table with timezone, hours and holidays")
    _no_unknown(where, data, CALENDAR_KEYS)
    zone_name = data.get("timezone", "UTC")
    try:
        zone = ZoneInfo(str(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise SlaConfigError(
            f"{where}.timezone: unknown time zone {zone_name!r} (an IANA name like 'Europe/Berlin')"
        ) from None
    hours = data.get("hours", DEFAULT_HOURS)
    if not isinstance(hours, Mapping):
        raise SlaConfigError(f"{where}.hours: expected a table of weekday = hours (mon ... sun)")
    _no_unknown(f"{where}.hours", hours, WEEKDAYS, "weekday")
    weekly = tuple(parse_hours(hours.get(day), f"{where}.hours.{day}") for day in WEEKDAYS)
    if not any(weekly):
        raise SlaConfigError(
            f"{where}.hours: no opening hours on any day: no target could ever be met"
        )
    holidays = data.get("holidays", [])
    if not isinstance(holidays, list):
        raise SlaConfigError(f'{where}.holidays: expected a list of dates like "2026-12-25"')
    days = set()
    for holiday in holidays:
        if isinstance(holiday, datetime):
            raise SlaConfigError(
                f"{where}.holidays: {holiday!r} is a date and time; write the date alone, "
                'like "2026-12-25"'
            )
        try:
            days.add(holiday if isinstance(holiday, date) else date.fromisoformat(str(holiday)))
        except ValueError:
            raise SlaConfigError(
                f'{where}.holidays: {holiday!r} is not a date like "2026-12-25"'
            ) from None
    return BusinessCalendar(name, zone, weekly, frozenset(days))


def parse_sla(data: Any) -> SlaPolicies:
    """The policies from tier0.toml's `sla` table (None or {}: the defaults)."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise SlaConfigError("sla: expected a table with 'calendars' and 'policies'")
    _no_unknown("sla", data, ("calendars", "policies"))
    calendars: dict[str, BusinessCalendar] = {
        ALWAYS: BusinessCalendar.always(),
        "office": BusinessCalendar(
            "office", ZoneInfo("UTC"), tuple(parse_hours(DEFAULT_HOURS.get(d), d) for d in WEEKDAYS)
        ),
    }
    given_calendars = data.get("calendars") or {}
    if not isinstance(given_calendars, Mapping):
        raise SlaConfigError("sla.calendars: expected a table of name = calendar")
    for name, calendar in given_calendars.items():
        if name == ALWAYS:
            raise SlaConfigError(
                f"sla.calendars.{ALWAYS}: the name is built in (every hour of every day)"
            )
        calendars[name] = parse_calendar(name, calendar)
    policies = data.get("policies") or {}
    if not isinstance(policies, Mapping):
        raise SlaConfigError("sla.policies: expected a table of priority = target (P1 ... P4)")
    _no_unknown("sla.policies", policies, PRIORITIES, "priority")
    targets = {}
    for priority in PRIORITIES:
        given = policies.get(priority, {})
        where = f"sla.policies.{priority}"
        if not isinstance(given, Mapping):
            raise SlaConfigError(f"{where}: expected a table with first_response and resolution")
        _no_unknown(where, given, POLICY_KEYS)
        merged = DEFAULT_POLICIES[priority] | dict(given)
        targets[priority] = _target(priority, merged, calendars, where)
    return SlaPolicies(targets, calendars)


def _target(
    priority: str, data: Mapping[str, Any], calendars: Mapping[str, BusinessCalendar], where: str
) -> SlaTarget:
    first = parse_duration(data["first_response"], f"{where}.first_response")
    resolution = parse_duration(data["resolution"], f"{where}.resolution")
    if resolution < first:
        raise SlaConfigError(
            f"{where}: resolution ({data['resolution']}) is sooner than "
            f"first_response ({data['first_response']})"
        )
    name = str(data.get("calendar", "office"))
    if name not in calendars:
        raise SlaConfigError(
            f"{where}.calendar: no calendar {name!r}; defined: {', '.join(sorted(calendars))}"
        )
    warn_at = data.get("warn_at", 0.75)
    if isinstance(warn_at, bool) or not isinstance(warn_at, int | float) or not 0 < warn_at < 1:
        raise SlaConfigError(
            f"{where}.warn_at: expected a share between 0 and 1 like 0.75, got {warn_at!r}"
        )
    escalate_to = data.get("escalate_to")
    if escalate_to is not None and (isinstance(escalate_to, bool) or escalate_to not in (1, 2, 3)):
        raise SlaConfigError(f"{where}.escalate_to: expected tier 1, 2 or 3, got {escalate_to!r}")
    try:  # a target the calendar's hours never reach would fail every ticket at run time
        calendars[name].add(datetime.now(UTC), resolution)
    except CalendarError:
        raise SlaConfigError(
            f"{where}.resolution: {data['resolution']} of business time is more than three "
            f"years of calendar {name!r}'s opening hours"
        ) from None
    return SlaTarget(priority, first, resolution, calendars[name], float(warn_at), escalate_to)
