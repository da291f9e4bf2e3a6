"""Walk the user through an article's guided fix: answers, skip, back and start over.

Every answer is recorded as a `StepRecord` (and an event), so the ticket that may
follow tells the agent exactly which steps were tried, which answers were given and
how they went. The position is kept by step id in the conversation state, so the
fix resumes where it was however much later the user comes back, restart or not.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.dialogue.commands import BACK, RESTART, SKIP, fix_command
from bot.dialogue.state import DialogueState
from bot.handlers.base import Event, Outcome, TurnContext
from bot.handlers.common import fallback
from bot.handlers.fix_steps import (
    Move,
    arrive,
    branch_for_value,
    go,
    question_of,
    record,
    step_replies,
    waiting_state,
)
from bot.intents import AFFIRM, DENY, FIX_ANSWER
from bot.kb.articles import Article
from bot.kb.collect_formats import describe, read_answer
from bot.kb.fixes import ACTION, COLLECT, NEXT, RESOLVED, Branch, GuidedFix, Step, Target
from bot.types import ArticleReply, TextReply

INTRO = (
    "Let's try to fix it together, one step at a time. "
    'You can say "skip", "back" or "start over" at any step.'
)
FIRST_STEP = "This is the first step."
NOT_AN_ANSWER = "Sorry, I didn't catch which one."


def start_fix(ctx: TurnContext, article: Article, state: DialogueState) -> Outcome:
    card = ArticleReply(article.summary, article.id, article.title, ctx.article_url(article.id))
    started = state.with_article_shown(article.id, article.title).idle(article_id=article.id)
    events = (
        Event("article_shown", {"article_id": article.id}),
        Event("fix_started", {"article_id": article.id}),
    )
    return arrive(ctx, article, started, 0, Move((card, TextReply(INTRO)), events))


def current_index(fix: GuidedFix, state: DialogueState) -> int | None:
    """The waiting step, by id (edits may move steps); by position for older states."""
    if state.step_id is not None:
        return fix.index_of(state.step_id)
    return state.step if 0 <= state.step < len(fix.steps) else None


class GuidedFixHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        state = ctx.state
        article = ctx.kb.get(state.article_id or "")
        fix = article.guided_fix if article is not None else None
        index = current_index(fix, state) if fix is not None and fix.runnable else None
        if article is None or fix is None or index is None:
            # The article changed or vanished under a running fix: don't guess a step.
            return fallback(replace(ctx, state=state.idle()), "fix_gone")
        command = fix_command(ctx.parse.text) if ctx.parse.intent != FIX_ANSWER else None
        if command == BACK:
            return self._back(ctx, article, fix, state)
        if command == RESTART:
            event = Event("fix_restarted", {"article_id": article.id, "from_step": index + 1})
            # Starting over means answering again: values this fix collects are forgotten.
            asked = {s.collect for s in fix.steps if s.kind == COLLECT}
            kept = {k: v for k, v in state.entities.items() if k not in asked}
            restarted = state.evolve(trail=(), fallbacks=0, entities=kept)
            return arrive(ctx, article, restarted, 0, Move(events=(event,)))
        if command == SKIP:
            state, event = record(state, article, index, "skipped")
            target = _skip_target(fix.steps[index])
            return go(ctx, article, state, index, target, Move(events=(event,)))
        step = fix.steps[index]
        if step.kind == ACTION:
            return self._action(ctx, article, state, index)
        return self._answer(ctx, article, state, index, step)

    @staticmethod
    def _action(ctx: TurnContext, article: Article, state: DialogueState, index: int) -> Outcome:
        step = article.guided_fix.steps[index]  # type: ignore[union-attr]
        fixed = ctx.parse.intent == AFFIRM
        state, event = record(state, article, index, "fixed" if fixed else "not_fixed")
        target = Target(RESOLVED) if fixed else step.then or Target(NEXT)
        return go(ctx, article, state, index, target, Move(events=(event,)))

    def _answer(
        self, ctx: TurnContext, article: Article, state: DialogueState, index: int, step: Step
    ) -> Outcome:
        """A check's answer or a collect step's value, typed or clicked."""
        branch = _picked(ctx, step)
        value: str | None = branch.label if branch is not None else None
        if step.kind == COLLECT and branch is None:
            value = read_answer(ctx.parse.text, step.format, step.pattern)
            if value is not None and step.branches:
                branch = branch_for_value(step, value)
        target = branch.target if branch is not None else None
        if step.kind == COLLECT and value is not None and not step.branches:
            target = step.then or Target(NEXT)
        if target is None or value is None:
            return self._again(ctx, article, state, index, step)
        if step.kind == COLLECT and step.collect:
            state = state.evolve(entities={**state.entities, step.collect: value})
        state, event = record(state, article, index, "answered", value)
        return go(ctx, article, state, index, target, Move(events=(event,)))

    @staticmethod
    def _again(
        ctx: TurnContext, article: Article, state: DialogueState, index: int, step: Step
    ) -> Outcome:
        """Not an answer to this step: say what would be, and ask again."""
        if step.kind == COLLECT and not step.branches:
            lead = f"That doesn't look like {describe(step.format, step.pattern)}."
        else:
            lead = NOT_AN_ANSWER
        hint = ' (or say "skip" to go on without it)'
        replies = step_replies(ctx, article, index, state.trail)
        again = replace(replies[-1], text=f"{lead} {question_of(step)}{hint}")
        event = Event("fix_unclear", {"article_id": article.id, "step_id": step.id})
        fix = article.guided_fix
        assert fix is not None
        return Outcome((again,), waiting_state(state, fix, index), (event,))

    @staticmethod
    def _back(ctx: TurnContext, article: Article, fix: GuidedFix, state: DialogueState) -> Outcome:
        """The step before this one on the path taken (its earlier answer stays recorded)."""
        if not state.trail:
            replies = (TextReply(FIRST_STEP), *step_replies(ctx, article, 0))
            return Outcome(replies, waiting_state(state, fix, 0))
        previous = fix.index_of(state.trail[-1])
        if previous is None:  # the article was edited under us: start again
            return arrive(ctx, article, state.evolve(trail=()), 0)
        event = Event("fix_back", {"article_id": article.id, "to_step": previous + 1})
        back = state.evolve(trail=state.trail[:-1])
        replies = step_replies(ctx, article, previous, back.trail)
        return Outcome(replies, waiting_state(back, fix, previous), (event,))


def _skip_target(step: Step) -> Target:
    """Skipping passes on as "no" would: the next step in order, or the action's Then."""
    return step.then if step.kind == ACTION and step.then else Target(NEXT)


def _picked(ctx: TurnContext, step: Step) -> Branch | None:
    """The answer clicked, or the one the typed text names unambiguously."""
    clicked = ctx.parse.entity("fix")
    if clicked is not None:
        position = int(clicked) if clicked.isdigit() else -1
        return step.branches[position] if 0 <= position < len(step.branches) else None
    return match_branch(ctx.parse.text, ctx.parse.intent, step.branches)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w.]+", text.casefold())


def match_branch(text: str, intent: str | None, branches: tuple[Branch, ...]) -> Branch | None:
    """Typed text → an answer: its label, a number from the list, or yes/no by intent."""
    words = _words(text)
    if len(words) == 1 and words[0].isdigit() and 1 <= int(words[0]) <= len(branches):
        return branches[int(words[0]) - 1]
    exact = [b for b in branches if _words(b.label) == words]
    if exact:
        return exact[0]
    for polar, starts in ((AFFIRM, "yes"), (DENY, "no")):
        found = [b for b in branches if _words(b.label)[:1] == [starts]]
        if intent == polar and len(found) == 1:
            return found[0]
    said = set(words)
    partial = [b for b in branches if said and set(_words(b.label)) <= said]
    if len(partial) == 1:
        return partial[0]
    contained = [b for b in branches if said and said <= set(_words(b.label))]
    return contained[0] if len(contained) == 1 else None

