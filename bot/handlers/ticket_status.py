"""Answer "status of ticket 12" and "my tickets" — only ever with the asker's own tickets."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.dialogue.policy import HANDOFF_FLOWS
from bot.dialogue.state import Flow
from bot.handlers.base import Outcome, TurnContext
from bot.handlers.handoff import ASK_NEW_SUMMARY, BACK_TO_TICKET
from bot.sla import SlaPolicies
from bot.tickets import Ticket, ticket_clock, ticket_sla
from bot.types import ChoicesReply, Reply, TextReply, TicketReply

MAX_LISTED = 5
BACK_TO_FIX = "Back to the guided fix:"
BACK_TO_FIX_TYPED = 'Back to the guided fix: answer the last question, or say "skip".'


def user_zone(name: str | None) -> tuple[tzinfo, str]:
    """The user's time zone and how to name it; UTC when the channel did not say."""
    if name:
        try:
            return ZoneInfo(name), "your time"
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC, "UTC"


def describe(
    ticket: Ticket, sla: SlaPolicies, now: datetime | None = None, timezone: str | None = None
) -> str:
    """The ticket's state, and when its answer is due ("when will someone answer?"),
    in the user's own time zone when the channel gave it."""
    now = now or datetime.now(UTC)
    zone = user_zone(timezone)
    text = (
        f"Ticket #{ticket.id} \u201c{ticket.subject}\u201d is {ticket.status} "
        f"(priority {ticket.priority}, tier {ticket.tier}), opened {ago(ticket.created_at, now)}."
    )
    if ticket.status in ("resolved", "closed"):
        return text
    status = ticket_sla(ticket, sla, now)
    if status.paused:
        return f"{text} It is waiting for your reply; the clock restarts when you answer."
    first = ticket_clock(ticket).first_response_at is None  # nobody has answered yet
    due = status.first_response_due if first else status.resolution_due
    if due is None:
        return text
    if due < now:
        what = "A support agent should have answered" if first else "It should have been resolved"
        return f"{text} {what} by {when(due, now, zone)}; it is overdue."
    what = "A support agent should answer" if first else "It should be resolved"
    return f"{text} {what} by {when(due, now, zone)} ({ahead(due, now)})."


def when(moment: datetime, now: datetime, zone: tuple[tzinfo, str] = (UTC, "UTC")) -> str:
    """`moment` as a person reads it, in their zone: "today at 14:00 your time",
    "tomorrow at 09:30 UTC", "Mon 7 Dec at 10:00 your time"; "today" and "tomorrow"
    are the user's days, not the server's."""
    moment, now = moment.astimezone(zone[0]), now.astimezone(zone[0])
    days = (moment.date() - now.date()).days
    clock = f"{moment:%H:%M} {zone[1]}"
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days == -1:
        return f"yesterday at {clock}"
    return f"{moment.strftime('%a')} {moment.day} {moment.strftime('%b')} at {clock}"


def ahead(moment: datetime, now: datetime) -> str:
    """How long until `moment`, roughly: minutes under two hours, hours under two days."""
    seconds = int((moment - now).total_seconds())
    for unit, size, from_seconds in (("day", 86400, 2 * 86400), ("hour", 3600, 2 * 3600)):
        if seconds >= from_seconds:
            return f"in about {round(seconds / size)} {unit}s"
    minutes = round(seconds / 60)
    return f"in about {minutes} minutes" if minutes > 1 else "in a minute"


def ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


class TicketStatusHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        number = ctx.parse.entity("ticket_number")
        replies = (self._one(ctx, number),) if number is not None else self._mine(ctx)
        state = ctx.state
        if state.flow in HANDOFF_FLOWS:
            # Asked in the middle of preparing a ticket: answer, then keep that question.
            if state.offered:
                return Outcome((*replies, ChoicesReply(BACK_TO_TICKET, state.offered)), state)
            return Outcome((*replies, TextReply(ASK_NEW_SUMMARY)), state)
        if state.flow in (Flow.GUIDED_FIX, Flow.FIX_ANSWER):
            # In the middle of a guided fix: answer, and keep the step's question open.
            if state.offered:
                return Outcome((*replies, ChoicesReply(BACK_TO_FIX, state.offered)), state)
            return Outcome((*replies, TextReply(BACK_TO_FIX_TYPED)), state)
        return Outcome(replies, ctx.state.idle(fallbacks=0))

    @staticmethod
    def _one(ctx: TurnContext, number: str) -> Reply:
        valid = number.isascii() and number.isdigit() and len(number) < 10
        ticket = ctx.tickets.get(int(number)) if valid else None
        if ticket is None or not ticket.belongs_to(
            ctx.conversation.channel, ctx.conversation.user_id, ctx.conversation.email
        ):
            return TextReply(f"I couldn't find ticket #{number} among your tickets.")
        text = describe(ticket, ctx.sla, timezone=ctx.conversation.timezone)
        return TicketReply(text, ticket.id, ticket.status)

    @staticmethod
    def _mine(ctx: TurnContext) -> tuple[Reply, ...]:
        tickets = ctx.tickets.for_user(
            ctx.conversation.channel, ctx.conversation.user_id, ctx.conversation.email
        )
        if not tickets:
            return (TextReply('You have no tickets with us. Say "talk to a human" to open one.'),)
        zone = ctx.conversation.timezone
        listed = tuple(
            TicketReply(describe(t, ctx.sla, timezone=zone), t.id, t.status)
            for t in tickets[:MAX_LISTED]
        )
        noun = "ticket" if len(tickets) == 1 else "tickets"
        return (TextReply(f"You have {len(tickets)} {noun}:"), *listed)
