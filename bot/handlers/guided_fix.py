"""Walk the user through an article's guided fix, one step at a time.

Every answer is recorded as a `StepRecord` (and an event), so the ticket that may
follow tells the agent exactly which steps were tried and how they went.
"""

from __future__ import annotations

from dataclasses import replace

from bot.dialogue.commands import BACK, RESTART, SKIP, fix_command
from bot.dialogue.state import DialogueState, Flow, StepRecord
from bot.handlers.base import Event, Outcome, TurnContext
from bot.handlers.common import FIX_CHOICES, fallback, offer_handoff
from bot.intents import AFFIRM
from bot.kb.articles import Article, link_articles
from bot.types import ArticleReply, ChoicesReply, Reply, TextReply

EXHAUSTED = "I'm sorry, those steps didn't fix it."
INTRO = (
    "Let's try to fix it together, one step at a time. "
    'You can say "skip", "back" or "start over" at any step.'
)
FIRST_STEP = "This is the first step."


def step_replies(ctx: TurnContext, article: Article, index: int) -> tuple[Reply, ...]:
    assert article.guided_fix is not None
    steps = article.guided_fix.steps
    step = steps[index]
    body = f"Step {index + 1} of {len(steps)}: **{step.title}**\n\n{step.body}".rstrip()
    return TextReply(link_articles(body, ctx.article_url)), ChoicesReply(
        "Did that fix it?", FIX_CHOICES
    )


def start_fix(ctx: TurnContext, article: Article, state: DialogueState) -> Outcome:
    card = ArticleReply(article.summary, article.id, article.title, ctx.article_url(article.id))
    intro = TextReply(INTRO)
    new_state = state.with_article_shown(article.id, article.title).idle(
        flow=Flow.GUIDED_FIX, article_id=article.id, step=0
    )
    events = (
        Event("article_shown", {"article_id": article.id}),
        Event("fix_started", {"article_id": article.id}),
    )
    return Outcome((card, intro, *step_replies(ctx, article, 0)), new_state, events)


class GuidedFixHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        state = ctx.state
        article = ctx.kb.get(state.article_id or "")
        if (
            article is None
            or article.guided_fix is None
            or state.step >= len(article.guided_fix.steps)
        ):
            # The article changed or vanished under a running fix: don't guess a step.
            return fallback(replace(ctx, state=state.idle()), "fix_gone")
        command = fix_command(ctx.parse.text)
        if command == BACK:
            return self._back(ctx, article, state)
        if command == RESTART:
            event = Event("fix_restarted", {"article_id": article.id, "from_step": state.step + 1})
            replies = step_replies(ctx, article, 0)
            return Outcome(replies, state.evolve(step=0, fallbacks=0), (event,))
        step = article.guided_fix.steps[state.step]
        fixed = ctx.parse.intent == AFFIRM and command is None
        outcome = "skipped" if command == SKIP else "fixed" if fixed else "not_fixed"
        record = StepRecord(article.id, state.step + 1, step.title, outcome)
        state = state.evolve(steps_tried=(*state.steps_tried, record), fallbacks=0)
        event = Event(
            "fix_step", {"article_id": article.id, "step": record.step, "outcome": record.outcome}
        )
        if fixed:
            done = Event("fix_resolved", {"article_id": article.id, "step": record.step})
            reply = TextReply("Great, glad that fixed it! Anything else I can help with?")
            return Outcome((reply,), state.idle(), (event, done))
        next_step = state.step + 1
        if next_step < len(article.guided_fix.steps):
            replies = step_replies(ctx, article, next_step)
            return Outcome(replies, state.evolve(step=next_step), (event,))
        reply, state = offer_handoff(state, EXHAUSTED)
        exhausted = Event("fix_exhausted", {"article_id": article.id})
        return Outcome((reply,), state, (event, exhausted))

    @staticmethod
    def _back(ctx: TurnContext, article: Article, state: DialogueState) -> Outcome:
        """The step before this one again (its earlier answer stays in the record)."""
        if state.step == 0:
            replies = (TextReply(FIRST_STEP), *step_replies(ctx, article, 0))
            return Outcome(replies, state.evolve(fallbacks=0))
        previous = state.step - 1
        event = Event("fix_back", {"article_id": article.id, "to_step": previous + 1})
        replies = step_replies(ctx, article, previous)
        return Outcome(replies, state.evolve(step=previous, fallbacks=0), (event,))
