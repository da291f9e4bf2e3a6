"""Showing guided-fix steps and moving between them: the runner's half without answers.

`arrive` is the one way onto a step. It shows the step and sets the state to wait for
its answer, except where no question is needed: an outcome step ends the fix, and a
collect step whose value the user already gave (an entity from an earlier message)
is filled from it and passed, so nobody is asked twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialogue.state import DialogueState, Flow, StepRecord
from bot.handlers.base import Event, Outcome, TurnContext
from bot.handlers.common import FIX_CHOICES, offer_handoff
from bot.handlers.fix_answers import catch_all
from bot.handlers.handoff import start_handoff
from bot.intents import FIX_CHOICE_PREFIX
from bot.kb.articles import Article, link_articles
from bot.kb.collect_formats import read_answer
from bot.kb.fixes import (
    ACTION,
    COLLECT,
    ESCALATE,
    NEXT,
    OUTCOME,
    RESOLVED,
    Branch,
    GuidedFix,
    Step,
    Target,
)
from bot.types import ArticleReply, Choice, ChoicesReply, Reply, TextReply

EXHAUSTED = "I'm sorry, those steps didn't fix it."
GLAD = "Great, glad that fixed it! Anything else I can help with?"
ESCALATING = "This one needs a support agent, so I'll open a ticket for them."
HUMAN = Choice("human", "Talk to a human")
# Collect formats that are also NLU entity types, whose values the NLU normalised.
ENTITY_FORMATS = frozenset({"version", "os", "email", "error_code"})
INTRO = (
    "Let's try to fix it together, one step at a time. "
    'You can say "skip", "back" or "start over" at any step.'
)


@dataclass(frozen=True)
class Move:
    """Replies and events gathered while passing steps that need no answer."""

    replies: tuple[Reply, ...] = ()
    events: tuple[Event, ...] = ()

    def then(self, *replies: Reply, events: tuple[Event, ...] = ()) -> Move:
        return Move((*self.replies, *replies), (*self.events, *events))


def is_linear(fix: GuidedFix) -> bool:
    """Only actions in a row: "Step 2 of 5" is then true on every path."""
    return all(s.kind == ACTION and s.then is None for s in fix.steps)


def step_heading(fix: GuidedFix, index: int, trail: tuple[str, ...]) -> str:
    """ "Step 2 of 5" where that is true on every path; a branching fix has no such
    count (paths differ, and answered steps are passed), so its steps show their title."""
    step = fix.steps[index]
    if is_linear(fix):
        return f"Step {index + 1} of {len(fix.steps)}: **{step.title}**"
    return f"**{step.title}**"


def branch_choices(step: Step) -> tuple[Choice, ...]:
    picks = tuple(Choice(f"{FIX_CHOICE_PREFIX}{i}", b.label) for i, b in enumerate(step.branches))
    return (*picks, HUMAN)


def question_of(step: Step) -> str:
    if step.question:
        return step.question
    if step.kind == COLLECT:
        return f"What is the {(step.collect or 'answer').replace('_', ' ')}?"
    return "Did that fix it?"


def step_replies(
    ctx: TurnContext, article: Article, index: int, trail: tuple[str, ...] = ()
) -> tuple[Reply, ...]:
    """The step's instructions and its question, as the user sees them."""
    fix = article.guided_fix
    assert fix is not None
    step = fix.steps[index]
    text = f"{step_heading(fix, index, trail)}\n\n{step.body}".rstrip()
    instructions = TextReply(link_articles(text, ctx.article_url))
    if step.kind == ACTION:
        return instructions, ChoicesReply("Did that fix it?", FIX_CHOICES)
    if step.branches:
        return instructions, ChoicesReply(question_of(step), branch_choices(step))
    return instructions, TextReply(question_of(step))


def waiting_state(state: DialogueState, fix: GuidedFix, index: int) -> DialogueState:
    step = fix.steps[index]
    flow = Flow.GUIDED_FIX if step.kind == ACTION else Flow.FIX_ANSWER
    return state.evolve(flow=flow, step=index, step_id=step.id, fallbacks=0)


def record(
    state: DialogueState, article: Article, index: int, outcome: str, answer: str | None = None
) -> tuple[DialogueState, Event]:
    """The step's outcome, kept for the ticket and logged as an event."""
    step = article.guided_fix.steps[index] if article.guided_fix else None
    assert step is not None
    entry = StepRecord(article.id, index + 1, step.title, outcome, answer, step.id)
    data = {"article_id": article.id, "step": index + 1, "step_id": step.id, "outcome": outcome}
    if answer is not None:
        data["answer"] = answer
    return state.evolve(steps_tried=(*state.steps_tried, entry)), Event("fix_step", data)


def go(
    ctx: TurnContext,
    article: Article,
    state: DialogueState,
    index: int,
    target: Target,
    move: Move = Move(),
) -> Outcome:
    """Follow `target` from step `index`, with the current step pushed on the trail."""
    fix = article.guided_fix
    assert fix is not None
    current = fix.steps[index].id
    following = fix.resolve(index, target)
    if following is None:
        return finish(ctx, article, state, target, move)
    return arrive(ctx, article, state.evolve(trail=(*state.trail, current)), following, move)


def arrive(
    ctx: TurnContext, article: Article, state: DialogueState, index: int, move: Move = Move()
) -> Outcome:
    """Show step `index`, or pass it when it needs no answer."""
    fix = article.guided_fix
    assert fix is not None
    for _ in range(len(fix.steps) + 1):  # prefilled steps cannot loop for ever
        step = fix.steps[index]
        if step.kind == OUTCOME and step.outcome is not None:
            if step.body:
                text = f"**{step.title}**\n\n{step.body}"
                move = move.then(TextReply(link_articles(text, ctx.article_url)))
            state, event = record(state, article, index, step.outcome.kind)
            return finish(ctx, article, state, step.outcome, move.then(events=(event,)))
        known = _known_value(state, step)
        if known is None:
            break
        value, label, target = known
        state, event = record(state, article, index, "answered", value)
        said = f"You told me {_named(step)} already ({label}), so I'll go on from there."
        move = move.then(TextReply(said), events=(event,))
        following = fix.resolve(index, target)
        if following is None:
            return finish(ctx, article, state, target, move)
        state = state.evolve(trail=(*state.trail, step.id))
        index = following
    replies = (*move.replies, *step_replies(ctx, article, index, state.trail))
    return Outcome(replies, waiting_state(state, fix, index), move.events)


def _named(step: Step) -> str:
    name = (step.collect or "answer").replace("_", " ")
    return ENTITY_NAMES.get(name, f"the {name}")


ENTITY_NAMES = {"os": "your system", "email": "your email address"}


def _known_value(state: DialogueState, step: Step) -> tuple[str, str, Target] | None:
    """A collect step's value from what the user said before, how to show it, and
    where it leads."""
    if step.kind != COLLECT or not step.collect or step.collect not in state.entities:
        return None
    given = state.entities[step.collect]
    if step.format in ENTITY_FORMATS and step.format == step.collect:
        # The NLU normalised it already, by the same rules; "809" from "error 809" is
        # an error code even though "809" typed alone would not read as one.
        value = read_answer(given, "text", step.pattern)
    else:
        value = read_answer(given, step.format, step.pattern)
    if value is None:
        return None
    if not step.branches:
        return value, value, step.then or Target(NEXT)
    branch = branch_for_value(step, value)
    return (value, branch.label, branch.target) if branch is not None else None


def branch_for_value(step: Step, value: str) -> Branch | None:
    """The answer whose label is the value ("windows" → "Windows"), or a catch-all."""
    wanted = value.casefold()
    for branch in step.branches:
        if branch.label.casefold() == wanted:
            return branch
    return catch_all(step.branches)


def finish(
    ctx: TurnContext, article: Article, state: DialogueState, target: Target, move: Move
) -> Outcome:
    """The end of the fix: resolved, escalated to a ticket, or out of steps."""
    if target.kind == RESOLVED:
        done = Event("fix_resolved", {"article_id": article.id})
        solved = state.idle(problem=None, problem_intent=None)  # a new ticket needs new words
        return Outcome((*move.replies, TextReply(GLAD)), solved, (*move.events, done))
    if target.kind == ESCALATE:
        event = Event(
            "fix_escalated",
            {"article_id": article.id, "tier": target.tier, "priority": target.priority},
        )
        state = state.idle(escalate_tier=target.tier, escalate_priority=target.priority)
        handoff = start_handoff(ctx, state)
        replies = (*move.replies, TextReply(ESCALATING), *handoff.replies)
        return Outcome(replies, handoff.state, (*move.events, event, *handoff.events))
    reply, state = offer_handoff(state, EXHAUSTED)
    exhausted = Event("fix_exhausted", {"article_id": article.id})
    return Outcome((*move.replies, reply), state, (*move.events, exhausted))


def start_fix(ctx: TurnContext, article: Article, state: DialogueState) -> Outcome:
    card = ArticleReply(article.summary, article.id, article.title, ctx.article_url(article.id))
    started = state.with_article_shown(article.id, article.title).idle(article_id=article.id)
    events = (
        Event("article_shown", {"article_id": article.id}),
        Event("fix_started", {"article_id": article.id}),
    )
    return arrive(ctx, article, started, 0, Move((card, TextReply(INTRO)), events))
