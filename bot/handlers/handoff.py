"""Hand the conversation to the human tiers as a ticket that needs no re-telling.

The ticket carries the transcript, what the user said the problem was, the steps
tried with their outcomes and the articles shown with their feedback. One ticket per
conversation: asking again points at the ticket already open.
"""

from __future__ import annotations

from dataclasses import asdict

from bot.dialogue.state import DialogueState, Flow
from bot.handlers.base import Event, Outcome, TurnContext
from bot.intents import DENY, REQUEST_HUMAN
from bot.redact import redact
from bot.tickets import TicketDraft, impact_and_urgency
from bot.types import TextReply, TicketReply

ASK_SUMMARY = "Sure, I'll pass this to our support team. In one line, what do you need help with?"
DECLINED = 'OK. If you change your mind, just say "talk to a human".'


class HandoffHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        state = ctx.state
        if state.ticket_id is not None:
            return self._already_open(ctx, state.ticket_id)
        if state.flow == Flow.HANDOFF_OFFER and ctx.parse.intent == DENY:
            return Outcome((TextReply(DECLINED),), state.idle(fallbacks=0))
        if state.flow == Flow.HANDOFF_SUMMARY and ctx.parse.intent != REQUEST_HUMAN:
            return self._create(ctx, state.evolve(problem=ctx.text))
        if state.problem:
            return self._create(ctx, state)
        return Outcome((TextReply(ASK_SUMMARY),), state.idle(flow=Flow.HANDOFF_SUMMARY))

    def _already_open(self, ctx: TurnContext, ticket_id: int) -> Outcome:
        ticket = ctx.tickets.get(ticket_id)
        status = ticket.status if ticket else "new"
        reply = TicketReply(
            f"You already have ticket #{ticket_id} open from this conversation; "
            "a support agent will answer there.",
            ticket_id,
            status,
        )
        return Outcome((reply,), ctx.state.idle(fallbacks=0))

    @staticmethod
    def _category(ctx: TurnContext, state: DialogueState) -> str | None:
        """The category of the article the conversation was last about, for routing."""
        for shown in reversed(state.articles_shown):
            article = ctx.kb.get(shown.article_id)
            if article is not None and article.category:
                return article.category
        return None

    def _create(self, ctx: TurnContext, state: DialogueState) -> Outcome:
        subject = redact(" ".join((state.problem or ctx.text).split()))
        # Only the user's words say how bad it is: a bot step that mentions "security"
        # must not make every ticket past it a P1.
        transcript = ctx.transcript()
        user_words = [str(m.get("text", "")) for m in transcript if m.get("sender") == "user"]
        impact, urgency = impact_and_urgency(" ".join(user_words))
        priority = ctx.routing.priority(impact or "medium", urgency or "medium")
        tier, queue = ctx.routing.route(
            priority=priority,
            category=self._category(ctx, state),
            product=state.entities.get("product"),
            intent=state.problem_intent or ctx.parse.intent,
        )
        ticket = ctx.tickets.create(
            TicketDraft(
                channel=ctx.conversation.channel,
                user_id=ctx.conversation.user_id,
                conversation_id=ctx.conversation.id,
                subject=subject[:200],
                intent=state.problem_intent or ctx.parse.intent,
                entities=dict(state.entities),
                transcript=transcript,
                steps_tried=[asdict(step) for step in state.steps_tried],
                articles=[asdict(article) for article in state.articles_shown],
                priority=priority,
                tier=tier,
                queue=queue,
            )
        )
        reply = TicketReply(
            f"I've opened ticket #{ticket.id} for our support team (priority {ticket.priority}). "
            f"They can see everything we tried, so you won't have to repeat yourself. "
            f'Ask me "status of ticket {ticket.id}" any time.',
            ticket.id,
            ticket.status,
        )
        event = Event("ticket_created", {"ticket_id": ticket.id, "priority": ticket.priority})
        return Outcome((reply,), state.idle(ticket_id=ticket.id, fallbacks=0), (event,))
