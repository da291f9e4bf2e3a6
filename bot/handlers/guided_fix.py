"""Walk the user through an article's guided fix, one step at a time.

Every answer is recorded as a `StepRecord` (and an event), so the ticket that may
follow tells the agent exactly which steps were tried and how they went.
"""

from __future__ import annotations

from dataclasses import replace

from bot.dialogue.state import DialogueState, Flow, StepRecord
from bot.handlers.base import Event, Outcome, TurnContext
from bot.handlers.common import FIX_CHOICES, fallback, offer_handoff
from bot.intents import AFFIRM
from bot.kb.articles import Article, link_articles
from bot.types import ArticleReply, ChoicesReply, Reply, TextReply

EXHAUSTED = "I'm sorry, those steps didn't fix it."


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
    intro = TextReply("Let's try to fix it together, one step at a time.")
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
        step = article.guided_fix.steps[state.step]
        fixed = ctx.parse.intent == AFFIRM
        record = StepRecord(
            article.id, state.step + 1, step.title, "fixed" if fixed else "not_fixed"
        )
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
