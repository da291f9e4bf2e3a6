"""SLA due times against hand-computed expectations: weekends, holidays, DST, pauses.

Every expected instant below was worked out by hand from the calendar, not by the
code: "office" is Europe/Berlin, Monday to Friday 09:00-17:00 (Friday split
09:00-12:00 and 13:00-16:00 in one case), with 24 and 25 December 2026 as holidays;
Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST), and changes on 29 March
(02:00 -> 03:00) and 25 October 2026 (03:00 -> 02:00); New York changes on 8 March
2026 (EST UTC-5 -> EDT UTC-4).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sla import SlaConfigError, TicketClock, parse_sla, sla_status
from bot.sla.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE_HOURS = {day: "09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}
CONFIG = {
    "calendars": {
        "office": {
            "timezone": "Europe/Berlin",
            "hours": OFFICE_HOURS,
            "holidays": ["2026-12-24", "2026-12-25"],
        },
        "split": {
            "timezone": "Europe/Berlin",
            "hours": OFFICE_HOURS | {"fri": ["09:00-12:00", "13:00-16:00"]},
        },
        "new-york": {"timezone": "America/New_York", "hours": OFFICE_HOURS},
        "berlin-always": {
            "timezone": "Europe/Berlin",
            "hours": {
                day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        },
    },
    "policies": {
        "P2": {"first_response": "2h", "resolution": "8h", "calendar": "office", "escalate_to": 2},
    },
}
POLICIES = parse_sla(CONFIG)


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def calendar(name: str) -> BusinessCalendar:
    return POLICIES.calendars[name]


def hours(count: float) -> timedelta:
    return timedelta(hours=count)


@pytest.mark.parametrize(
    ("name", "opened", "target", "due"),
    [
        # Inside one working day.
        ("office", berlin("2026-12-01 10:00"), hours(4), utc("2026-12-01 13:00")),
        # Across the night: 7 h on Tuesday, 1 h on Wednesday.
        ("office", berlin("2026-12-01 10:00"), hours(8), utc("2026-12-02 09:00")),
        # Friday afternoon over the weekend: 2 h Friday, 2 h Monday.
        ("office", berlin("2026-12-04 15:00"), hours(4), utc("2026-12-07 10:00")),
        # Opened on a Saturday: the clock starts Monday 09:00.
        ("office", berlin("2026-12-05 12:00"), hours(1), utc("2026-12-07 09:00")),
        # Opened before opening time.
        ("office", berlin("2026-12-01 07:00"), timedelta(minutes=30), utc("2026-12-01 08:30")),
        # Opened after closing time.
        ("office", berlin("2026-12-01 18:00"), hours(2), utc("2026-12-02 10:00")),
        # Reaching the target exactly at closing time is due then, not next morning.
        ("office", berlin("2026-12-01 16:00"), hours(1), utc("2026-12-01 16:00")),
        # Holidays: 1 h on the 23rd, then the 24th and 25th off, the weekend, Monday.
        ("office", berlin("2026-12-23 16:00"), hours(2), utc("2026-12-28 09:00")),
        # Opened on a holiday.
        ("office", berlin("2026-12-24 09:30"), hours(1), utc("2026-12-28 09:00")),
        # Over the spring DST change: 1 h Friday (CET), 3 h Monday (CEST).
        ("office", berlin("2026-03-27 16:00"), hours(4), utc("2026-03-30 10:00")),
        # Over the autumn DST change: 1 h Friday (CEST), 3 h Monday (CET).
        ("office", berlin("2026-10-23 16:00"), hours(4), utc("2026-10-26 11:00")),
        # Round the clock over spring forward: 24 real hours, 25 on the wall clock.
        ("berlin-always", berlin("2026-03-28 12:00"), hours(24), utc("2026-03-29 11:00")),
        # Round the clock over fall back: 24 real hours, 23 on the wall clock.
        ("berlin-always", berlin("2026-10-24 12:00"), hours(24), utc("2026-10-25 10:00")),
        # New York over its DST change: 1 h Friday (EST), 1 h Monday (EDT).
        (
            "new-york",
            datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK),
            hours(2),
            utc("2026-03-09 14:00"),
        ),
        # Split Friday hours: 11:00-12:00, then 13:00-14:00.
        ("split", berlin("2026-12-04 11:00"), hours(2), utc("2026-12-04 13:00")),
        # Lunch break then over the weekend: 3 h of Friday's 13:00-16:00, 1 h Monday.
        ("split", berlin("2026-12-04 12:30"), hours(4), utc("2026-12-07 09:00")),
        # The built-in 24x7 calendar is UTC, every hour.
        ("24x7", utc("2026-12-05 22:00"), hours(4), utc("2026-12-06 02:00")),
        # Nothing to wait for.
        ("office", berlin("2026-12-05 12:00"), timedelta(0), utc("2026-12-05 11:00")),
    ],
)
def test_due_times(name: str, opened: datetime, target: timedelta, due: datetime) -> None:
    assert calendar(name).add(opened, target) == due


@pytest.mark.parametrize(
    ("pauses", "due"),
    [
        # Waiting on the user 11:00-13:00: the 4 h target moves by 2 h.
        ([(berlin("2026-12-01 11:00"), berlin("2026-12-01 13:00"))], utc("2026-12-01 15:00")),
        # A pause outside business hours changes nothing.
        ([(berlin("2026-12-01 20:00"), berlin("2026-12-02 08:00"))], utc("2026-12-01 13:00")),
        # Paused from 12:00 to next morning 10:00: 2 h Tuesday, 2 h from Wednesday 10:00.
        ([(berlin("2026-12-01 12:00"), berlin("2026-12-02 10:00"))], utc("2026-12-02 11:00")),
        # Two overlapping pauses count once: 11:00-12:30 in all.
        (
            [
                (berlin("2026-12-01 11:00"), berlin("2026-12-01 12:00")),
                (berlin("2026-12-01 11:30"), berlin("2026-12-01 12:30")),
            ],
            utc("2026-12-01 14:30"),
        ),
    ],
)
def test_the_clock_pauses_while_the_ticket_waits_on_the_user(
    pauses: list[tuple[datetime, datetime]], due: datetime
) -> None:
    assert calendar("office").add(berlin("2026-12-01 10:00"), hours(4), pauses) == due


def test_business_time_between_two_instants() -> None:
    office = calendar("office")
    assert office.between(berlin("2026-12-01 10:00"), berlin("2026-12-03 10:00")) == hours(16)
    assert office.between(berlin("2026-12-04 16:00"), berlin("2026-12-07 10:00")) == hours(2)
    assert office.between(berlin("2026-12-23 08:00"), berlin("2026-12-28 08:00")) == hours(8)
    paused = [(berlin("2026-12-01 12:00"), None)]  # still paused: counts up to the end
    assert office.between(berlin("2026-12-01 10:00"), berlin("2026-12-01 15:00"), paused) == hours(
        2
    )


def test_status_due_times_breaches_and_warnings() -> None:
    target = POLICIES.for_priority("P2")  # 2 h first response, 8 h resolution, office
    opened = berlin("2026-12-01 10:00")
    status = sla_status(target, TicketClock(opened), berlin("2026-12-01 11:00"))
    assert status.first_response_due == utc("2026-12-01 11:00")
    assert status.resolution_due == utc("2026-12-02 09:00")
    assert not status.breached and not status.warning
    late = sla_status(target, TicketClock(opened), berlin("2026-12-01 12:01"))
    assert late.first_response_breached and late.breached
    answered = TicketClock(opened, first_response_at=berlin("2026-12-01 11:59"))
    assert not sla_status(target, answered, berlin("2026-12-01 12:01")).breached
    # The running target is now resolution (8 h): 75 % is 6 h of business time.
    assert not sla_status(target, answered, berlin("2026-12-01 15:59")).warning
    assert sla_status(target, answered, berlin("2026-12-01 16:00")).warning
    assert not sla_status(target, answered, berlin("2026-12-02 09:59")).resolution_breached
    assert sla_status(target, answered, berlin("2026-12-02 10:01")).resolution_breached
    assert sla_status(target, answered, berlin("2026-12-01 16:00")).to_dict() == {
        "first_response_due": "2026-12-01T11:00:00+00:00",
        "resolution_due": "2026-12-02T09:00:00+00:00",
        "breached": False,
        "first_response_breached": False,
        "resolution_breached": False,
        "warning": True,
        "paused": False,
    }


def test_a_paused_ticket_has_nothing_due_but_keeps_a_breach() -> None:
    target = POLICIES.for_priority("P2")
    opened = berlin("2026-12-01 10:00")
    waiting = TicketClock(
        opened,
        pauses=((berlin("2026-12-01 11:00"), None),),
        first_response_at=berlin("2026-12-01 10:30"),
    )
    status = sla_status(target, waiting, berlin("2026-12-03 12:00"))
    assert status.paused and status.resolution_due is None and not status.breached
    late = TicketClock(opened, pauses=((berlin("2026-12-01 12:30"), None),))
    assert sla_status(target, late, berlin("2026-12-02 12:00")).first_response_breached


def test_defaults_without_an_sla_section() -> None:
    defaults = parse_sla(None)
    assert defaults.for_priority("P1").first_response == timedelta(minutes=30)
    assert defaults.for_priority("P1").calendar.name == "24x7"
    assert defaults.for_priority("P3").resolution == hours(40)
    assert defaults.for_priority("P9") is defaults.for_priority("P3")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"policies": {"P2": {"resolution": "2d"}}}, "sla.policies.P2.resolution: expected hours"),
        ({"policies": {"P2": {"resolution": "2d"}}}, "a business day is not 24 hours"),
        ({"policies": {"P5": {}}}, "sla.policies: unknown priority(s) P5"),
        ({"policies": {"P2": {"respond": "1h"}}}, "sla.policies.P2: unknown key(s) respond"),
        (
            {"policies": {"P2": {"first_response": "4h", "resolution": "2h"}}},
            "resolution (2h) is sooner than first_response (4h)",
        ),
        (
            {"policies": {"P2": {"calendar": "night"}}},
            "sla.policies.P2.calendar: no calendar 'night'",
        ),
        ({"policies": {"P2": {"warn_at": 75}}}, "sla.policies.P2.warn_at: expected a share"),
        ({"policies": {"P2": {"escalate_to": 4}}}, "sla.policies.P2.escalate_to: expected tier"),
        ({"calendars": {"x": {"timezone": "Mars/Olympus"}}}, "sla.calendars.x.timezone: unknown"),
        ({"calendars": {"x": {"hours": {"mon": "9-17"}}}}, "sla.calendars.x.hours.mon: expected"),
        ({"calendars": {"x": {"hours": {"mon": "17:00-09:00"}}}}, "must run forwards"),
        (
            {"calendars": {"x": {"hours": {"mon": ["09:00-13:00", "12:00-17:00"]}}}},
            "sla.calendars.x.hours.mon: the opening hours",
        ),
        ({"calendars": {"x": {"hours": {"lun": "09:00-17:00"}}}}, "unknown weekday(s) lun"),
        ({"calendars": {"x": {"hours": {"mon": "closed"}}}}, "no opening hours on any day"),
        ({"calendars": {"x": {"holidays": ["25.12.2026"]}}}, "sla.calendars.x.holidays: '25.12"),
        ({"calendars": {"24x7": {}}}, "sla.calendars.24x7: the name is built in"),
        ({"deadline": 1}, "sla: unknown key(s) deadline"),
    ],
)
def test_configuration_mistakes_are_reported_with_their_place(
    config: dict[str, object], message: str
) -> None:
    with pytest.raises(SlaConfigError) as raised:
        parse_sla(config)
    assert message in str(raised.value)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        calendar("office").add(datetime(2026, 12, 1, 10, 0), hours(1))


def test_the_user_is_told_when_an_answer_is_due_in_words() -> None:
    from bot.handlers.ticket_status import describe
    from bot.tickets import Ticket

    opened = berlin("2026-12-01 10:00")
    ticket = Ticket(
        7, "new", "P2", 1, "VPN drops", "web", "u", None, None, {}, [], [], [], opened, opened
    )
    text = describe(ticket, POLICIES, now=berlin("2026-12-01 10:30"))
    assert text.endswith(
        "A support agent should answer by today at 11:00 UTC (in about 90 minutes)."
    )
    late = describe(ticket, POLICIES, now=berlin("2026-12-01 12:30"))
    assert late.endswith(
        "A support agent should have answered by today at 11:00 UTC; it is overdue."
    )
    working = describe(replace(ticket, status="open"), POLICIES, now=berlin("2026-12-01 16:00"))
    assert working.endswith("It should be resolved by tomorrow at 09:00 UTC (in about 18 hours).")
    assert "should" not in describe(replace(ticket, status="resolved"), POLICIES)


def test_opening_hours_that_end_or_start_inside_the_spring_gap() -> None:
    # Berlin skips 02:00-03:00 on 29 March 2026: 01:00-02:30 is one real hour (01:00
    # CET to the change at 03:00 CEST), and 02:30-04:00 is one hour too (03:00-04:00).
    policies = parse_sla(
        {
            "calendars": {
                "end": {"timezone": "Europe/Berlin", "hours": {"sun": "01:00-02:30"}},
                "start": {"timezone": "Europe/Berlin", "hours": {"sun": "02:30-04:00"}},
            }
        }
    )
    day = berlin("2026-03-29 00:00")
    for name in ("end", "start"):
        assert policies.calendars[name].between(day, day + hours(12)) == hours(1), name
    assert policies.calendars["end"].add(day, hours(1)) == utc("2026-03-29 01:00")
