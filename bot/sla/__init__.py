"""Service level agreements: business-hours calendars, per-priority targets, due times."""

from bot.sla.calendar import BusinessCalendar, CalendarError
from bot.sla.config import SlaConfigError, SlaPolicies, parse_sla
from bot.sla.policy import SlaStatus, SlaTarget, TicketClock, sla_status

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "SlaConfigError",
    "SlaPolicies",
    "SlaStatus",
    "SlaTarget",
    "TicketClock",
    "parse_sla",
    "sla_status",
]
