"""Hand the conversation to the human tiers as a ticket that needs no re-telling.

Before the ticket is created the bot asks only for what it does not know yet: a
one-line summary (unless the user already stated the problem), who is affected
(impact) and how urgent it is (unless the user's words said so: "production is
down", "I'm blocked"), then shows the ticket it will open, with the priority and the
tier these give (`bot.routing`), for the user to send, correct or cancel. The ticket
carries the transcript, the steps tried with their outcomes and the articles shown
with their feedback. One ticket per conversation: asking again points at the ticket
already open.
"""

from __future__ import annotations

import re
from dataclasses import asdict

from bot.dialogue.state import DialogueState, Flow, StepRecord
from bot.handlers.base import Event, Outcome, TurnContext
from bot.handlers.common import looks_like_question
from bot.intents import AFFIRM, DENY, HANDOFF_ANSWER, REQUEST_HUMAN
from bot.redact import redact
from bot.tickets import DONE, TicketDraft, impact_and_urgency
from bot.types import Choice, ChoicesReply, TextReply, TicketReply

ASK_SUMMARY = "Sure, I'll pass this to our support team. In one line, what do you need help with?"
ASK_NEW_SUMMARY = "OK. In one line, what should the ticket say?"
DECLINED = 'OK. If you change your mind, just say "talk to a human".'
ASK_IMPACT = "Who is affected?"
ASK_URGENCY = "How urgent is it?"
IMPACT_CHOICES = (
    Choice("handoff:impact:low", "Only me"),
    Choice("handoff:impact:medium", "My team or several people"),
    Choice("handoff:impact:high", "Everyone, or a production system"),
)
URGENCY_CHOICES = (
    Choice("handoff:urgency:low", "It can wait a few days"),
    Choice("handoff:urgency:medium", "Today would be good"),
    Choice("handoff:urgency:high", "Now: I'm blocked"),
)
CONFIRM_CHOICES = (
    Choice("handoff:send", "Send it"),
    Choice("handoff:edit", "Change the summary"),
    Choice("handoff:cancel", "Cancel"),
)
LABELS = {choice.id.rsplit(":", 1)[1]: choice.label for choice in IMPACT_CHOICES}
URGENCY_LABELS = {choice.id.rsplit(":", 1)[1]: choice.label for choice in URGENCY_CHOICES}
# Typed answers to "who is affected?" and "how urgent is it?", first match wins: the
# negated and "only me" phrases before the words they contain ("not urgent", "nobody
# else, just me").
TYPED_LEVELS = {
    "impact": (
        (
            "low",
            re.compile(r"(?i)\b(only me|just me|nobody else|no one else|not everyone|me alone)\b"),
        ),
        (
            "high",
            re.compile(
                r"(?i)\b(every(one|body)|all|whole|entire|company|production|prod|customers|nobody)\b"
            ),
        ),
        ("medium", re.compile(r"(?i)\b(team|several|some|group|department|few|colleagues|us)\b")),
        ("low", re.compile(r"(?i)\b(me|myself|only|just|one|single)\b")),
    ),
    "urgency": (
        (
            "low",
            re.compile(
                r"(?i)\b(not (that |very |really )?(urgent|critical|pressing)|no rush|no hurry|"
                r"can wait|whenever)\b"
            ),
        ),
        (
            "high",
            re.compile(
                r"(?i)\b(now|immediately|blocked|blocking|urgent|asap|critical|right away)\b"
            ),
        ),
        ("medium", re.compile(r"(?i)\b(today|soon|hours?|this afternoon|tonight)\b")),
        ("low", re.compile(r"(?i)\b(wait|later|days?|weeks?)\b")),
    ),
}
# Typed at "Shall I send it?": the buttons' words, and the usual ways to say them.
TYPED_CONFIRM = (
    ("send", re.compile(r"(?i)^\W*(send( it)?|yes,? send( it)?|submit|go ahead|open it)\W*$")),
    ("cancel", re.compile(r"(?i)^\W*(cancel|never ?mind|forget it|don'?t send( it)?|stop)\W*$")),
    ("edit", re.compile(r"(?i)^\W*(change|edit)( the| my)?( summary| ticket| it)?\W*$")),
)
# "Never mind" at any handoff question: the ticket is not wanted after all.
CANCEL = re.compile(r"(?i)^\W*(cancel|never ?mind|forget it|stop|no,? thanks?)\W*$")
ASKED_FOR_A_PERSON = "Asked to talk to a person"
BACK_TO_TICKET = "Shall we go on with your new ticket?"


class HandoffHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        state = with_step_handed_off(ctx, ctx.state)
        if state.ticket_id is not None:
            earlier = ctx.tickets.get(state.ticket_id)
            if earlier is None or earlier.status not in DONE:
                return self._already_open(ctx, state.ticket_id)
            # That ticket was resolved and the problem is back: a new ticket.
            state = state.evolve(ticket_id=None, impact=None, urgency=None)
        flow, intent = state.flow, ctx.parse.intent
        if flow == Flow.HANDOFF_OFFER and intent == DENY:
            return self._declined(state)
        asking = flow in (Flow.HANDOFF_SUMMARY, Flow.HANDOFF_IMPACT, Flow.HANDOFF_URGENCY)
        level_named = flow in (Flow.HANDOFF_IMPACT, Flow.HANDOFF_URGENCY) and (
            self._answer(ctx, "impact" if flow == Flow.HANDOFF_IMPACT else "urgency") is not None
        )  # "not urgent" reads as a "no", but it answers the question
        if asking and not level_named and (intent == DENY or CANCEL.match(ctx.text)):
            return self._declined(state)
        if flow == Flow.HANDOFF_SUMMARY and intent == REQUEST_HUMAN:
            # Asked for a person again instead of a summary: don't ask a third time.
            return self._next(ctx, state.evolve(problem=state.problem or ASKED_FOR_A_PERSON))
        if flow == Flow.HANDOFF_SUMMARY:
            return self._next(ctx, state.evolve(problem=ctx.text))
        if flow in (Flow.HANDOFF_IMPACT, Flow.HANDOFF_URGENCY):
            return self._level(ctx, state, "impact" if flow == Flow.HANDOFF_IMPACT else "urgency")
        if flow == Flow.HANDOFF_CONFIRM:
            return self._confirmed(ctx, state)
        return start_handoff(ctx, state)

    def _next(self, ctx: TurnContext, state: DialogueState) -> Outcome:
        """Ask for the first thing still missing, or show the ticket for confirmation.

        A guided fix that escalates with a priority has settled impact and urgency
        for the user: those questions are not asked.
        """
        said_impact, said_urgency = impact_and_urgency(" ".join(self._user_words(ctx)))
        state = state.evolve(
            impact=state.impact or said_impact, urgency=state.urgency or said_urgency
        )
        preset = state.escalate_priority is not None
        if state.impact is None and not preset:
            return self._ask(state, ASK_IMPACT, IMPACT_CHOICES, Flow.HANDOFF_IMPACT)
        if state.urgency is None and not preset:
            return self._ask(state, ASK_URGENCY, URGENCY_CHOICES, Flow.HANDOFF_URGENCY)
        draft = self._draft(ctx, state)
        lead = f"Here is the ticket I'll open for our support team: \u201c{draft.subject}\u201d. "
        if preset:
            how = f"The guided fix sets it to priority {draft.priority}"
        else:
            how = (
                f"Affected: {LABELS[state.impact or 'medium'].lower()}; urgency: "
                f"{URGENCY_LABELS[state.urgency or 'medium'].lower()}. "
                f"That makes it priority {draft.priority}"
            )
        summary = f"{lead}{how}, for tier {draft.tier}. Shall I send it?"
        return self._ask(state, summary, CONFIRM_CHOICES, Flow.HANDOFF_CONFIRM)

    @staticmethod
    def _ask(
        state: DialogueState,
        text: str,
        choices: tuple[Choice, ...],
        flow: Flow,
        *,
        retried: bool = False,
    ) -> Outcome:
        """Ask a handoff question; `retried` marks a question asked again after an
        answer we did not understand (a second one takes the middle level)."""
        asked = state.idle(flow=flow, offered=choices, fallbacks=1 if retried else 0)
        return Outcome((ChoicesReply(text, choices),), asked)

    def _level(self, ctx: TurnContext, state: DialogueState, name: str) -> Outcome:
        """An answer to "who is affected?" or "how urgent is it?": a button or words."""
        level = self._answer(ctx, name)
        if level is None and ctx.parse.intent != REQUEST_HUMAN and state.fallbacks == 0:
            question, choices, flow = (
                (ASK_IMPACT, IMPACT_CHOICES, Flow.HANDOFF_IMPACT)
                if name == "impact"
                else (ASK_URGENCY, URGENCY_CHOICES, Flow.HANDOFF_URGENCY)
            )
            text = f"Sorry, I didn't get that. {question}"
            return self._ask(state, text, choices, flow, retried=True)
        # Not understood twice, or "just get me a human": the middle level, then on.
        return self._next(ctx, state.evolve(fallbacks=0, **{name: level or "medium"}))

    @staticmethod
    def _answer(ctx: TurnContext, name: str) -> str | None:
        picked = ctx.parse.entity("handoff")
        if picked is not None and picked.startswith(f"{name}:"):
            return picked.split(":", 1)[1]
        if ctx.parse.intent == HANDOFF_ANSWER or looks_like_question(ctx.text):
            return None
        for level, pattern in TYPED_LEVELS[name]:
            if pattern.search(ctx.text):
                return level
        return None

    @staticmethod
    def _declined(state: DialogueState) -> Outcome:
        """No ticket after all; the answers given so far are forgotten."""
        forgotten = state.idle(
            fallbacks=0,
            offered=(),
            impact=None,
            urgency=None,
            escalate_tier=None,
            escalate_priority=None,
        )
        return Outcome((TextReply(DECLINED),), forgotten)

    def _confirmed(self, ctx: TurnContext, state: DialogueState) -> Outcome:
        picked = ctx.parse.entity("handoff")
        intent = ctx.parse.intent
        if picked is None:
            picked = next((a for a, pattern in TYPED_CONFIRM if pattern.match(ctx.text)), None)
        if picked == "send" or intent in (AFFIRM, REQUEST_HUMAN):
            return self._create(ctx, state)
        if picked == "cancel" or intent == DENY:
            return self._declined(state)
        if picked == "edit":
            return Outcome(
                (TextReply(ASK_NEW_SUMMARY),),
                state.idle(flow=Flow.HANDOFF_SUMMARY, offered=()),
            )
        # Anything else typed here is taken as a better summary.
        return self._next(ctx, state.evolve(problem=ctx.text))

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
    def _user_words(ctx: TurnContext) -> list[str]:
        # Only the user's words say how bad it is: a bot step that mentions "security"
        # must not make every ticket past it a P1.
        return [str(m.get("text", "")) for m in ctx.transcript() if m.get("sender") == "user"]

    @staticmethod
    def _category(ctx: TurnContext, state: DialogueState) -> str | None:
        """The category of the article the conversation was last about, for routing."""
        for shown in reversed(state.articles_shown):
            article = ctx.kb.get(shown.article_id)
            if article is not None and article.category:
                return article.category
        return None

    def _draft(self, ctx: TurnContext, state: DialogueState) -> TicketDraft:
        subject = redact(" ".join((state.problem or ctx.text).split()))
        priority = state.escalate_priority or ctx.routing.priority(
            state.impact or "medium", state.urgency or "medium"
        )
        intent = state.problem_intent or ctx.parse.intent
        tier, queue = ctx.routing.route(
            priority=priority,
            category=self._category(ctx, state),
            product=state.entities.get("product"),
            intent=intent,
        )
        tier = state.escalate_tier or tier
        return TicketDraft(
            channel=ctx.conversation.channel,
            user_id=ctx.conversation.user_id,
            email=ctx.conversation.email,
            conversation_id=ctx.conversation.id,
            subject=subject[:200],
            intent=intent,
            entities={
                **state.entities,
                **({"impact": state.impact} if state.impact else {}),
                **({"urgency": state.urgency} if state.urgency else {}),
                **(
                    {}
                    if state.escalate_priority or state.impact or state.urgency
                    else {"impact": "medium", "urgency": "medium"}
                ),
            },
            transcript=ctx.transcript(),
            steps_tried=[asdict(step) for step in state.steps_tried],
            articles=[asdict(article) for article in state.articles_shown],
            priority=priority,
            tier=tier,
            queue=queue,
        )

    def _create(self, ctx: TurnContext, state: DialogueState) -> Outcome:
        ticket = ctx.tickets.create(self._draft(ctx, state))
        reply = TicketReply(
            f"I've opened ticket #{ticket.id} for our support team (priority {ticket.priority}). "
            f"They can see everything we tried, so you won't have to repeat yourself. "
            f'Ask me "status of ticket {ticket.id}" any time.',
            ticket.id,
            ticket.status,
        )
        event = Event("ticket_created", {"ticket_id": ticket.id, "priority": ticket.priority})
        done = state.idle(ticket_id=ticket.id, fallbacks=0, offered=())
        return Outcome((reply,), done, (event,))


def with_step_handed_off(ctx: TurnContext, state: DialogueState) -> DialogueState:
    """Asked for a person in the middle of a guided fix: the step they were on goes
    into the ticket's steps tried, as handed off."""
    if state.flow not in (Flow.GUIDED_FIX, Flow.FIX_ANSWER) or not state.article_id:
        return state
    article = ctx.kb.get(state.article_id)
    fix = article.guided_fix if article is not None else None
    index = fix.index_of(state.step_id) if fix is not None and state.step_id else None
    if article is None or fix is None or index is None:
        return state
    step = fix.steps[index]
    record = StepRecord(article.id, index + 1, step.title, "handed_off", None, step.id)
    return state.evolve(steps_tried=(*state.steps_tried, record))


def start_handoff(ctx: TurnContext, state: DialogueState) -> Outcome:
    """Begin preparing a ticket: the summary first, unless the problem is known."""
    if state.problem:
        return HandoffHandler()._next(ctx, state)
    return Outcome((TextReply(ASK_SUMMARY),), state.idle(flow=Flow.HANDOFF_SUMMARY))
