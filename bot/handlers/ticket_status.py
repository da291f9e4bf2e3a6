"""Answer "status of ticket 12" and "my tickets" — only ever with the asker's own tickets."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.handlers.base import Outcome, TurnContext
from bot.tickets import Ticket
from bot.types import Reply, TextReply, TicketReply

MAX_LISTED = 5


def describe(ticket: Ticket, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return (
        f"Ticket #{ticket.id} \u201c{ticket.subject}\u201d is {ticket.status} "
        f"(priority {ticket.priority}, tier {ticket.tier}), opened {ago(ticket.created_at, now)}."
    )


def ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


class TicketStatusHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        state = ctx.state.idle(fallbacks=0)
        number = ctx.parse.entity("ticket_number")
        if number is not None:
            return Outcome((self._one(ctx, number),), state)
        return Outcome(self._mine(ctx), state)

    @staticmethod
    def _one(ctx: TurnContext, number: str) -> Reply:
        ticket = ctx.tickets.get(int(number)) if number.isdigit() and len(number) < 10 else None
        if ticket is None or not ticket.belongs_to(
            ctx.conversation.channel, ctx.conversation.user_id
        ):
            return TextReply(f"I couldn't find ticket #{number} among your tickets.")
        return TicketReply(describe(ticket), ticket.id, ticket.status)

    @staticmethod
    def _mine(ctx: TurnContext) -> tuple[Reply, ...]:
        tickets = ctx.tickets.for_user(ctx.conversation.channel, ctx.conversation.user_id)
        if not tickets:
            return (TextReply('You have no tickets with us. Say "talk to a human" to open one.'),)
        listed = tuple(TicketReply(describe(t), t.id, t.status) for t in tickets[:MAX_LISTED])
        noun = "ticket" if len(tickets) == 1 else "tickets"
        return (TextReply(f"You have {len(tickets)} {noun}:"), *listed)
