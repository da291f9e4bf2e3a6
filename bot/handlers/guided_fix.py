"""Walk the user through an article's guided fix: answers, skip, back and start over.

Every answer is recorded as a `StepRecord` (and an event), so the ticket that may
follow tells the agent exactly which steps were tried, which answers were given and
how they went. The position is kept by step id in the conversation state, so the
fix resumes where it was however much later the user comes back, restart or not.
"""

from __future__ import annotations

from dataclasses import replace

from bot.dialogue.commands import BACK, RESTART, SKIP, fix_command
from bot.dialogue.state import DialogueState
from bot.handlers.base import Event, Outcome, TurnContext
from bot.handlers.common import STILL_LOST, fallback, looks_like_question, offer_handoff
from bot.handlers.fix_answers import catch_all, picked_branch
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
from bot.handlers.kb_answer import KbAnswerHandler
from bot.intents import AFFIRM, ASK_HOWTO, FIX_ANSWER, REPORT_PROBLEM
from bot.kb.articles import Article
from bot.kb.collect_formats import describe, read_answer
from bot.kb.fixes import ACTION, COLLECT, NEXT, RESOLVED, GuidedFix, Step, Target
from bot.types import TextReply

FIRST_STEP = "This is the first step."
NOT_AN_ANSWER = "Sorry, I didn't catch which one."
CANNOT_SKIP = "This question decides what we try next, so I can't skip it."
CHANGED = "This guide was updated since we started, so let's go through it again from the start."
LEFT = "(I've left the guided fix for \u201c{title}\u201d; ask about it again to restart it.)"


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
        if article is None or fix is None or not fix.runnable:
            # The article vanished, or its fix no longer passes the linter.
            return fallback(replace(ctx, state=state.idle()), "fix_gone")
        if index is None:  # the waiting step was renamed or removed by an edit
            event = Event("fix_changed", {"article_id": article.id, "step_id": state.step_id})
            lead = TextReply(CHANGED)
            return arrive(ctx, article, state.evolve(trail=()), 0, Move((lead,), (event,)))
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
            target = _skip_target(fix.steps[index])
            if target is None:  # this question decides the way on: skipping cannot
                return self._again(ctx, article, state, index, fix.steps[index], CANNOT_SKIP)
            state, event = record(state, article, index, "skipped")
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
        if ctx.parse.intent != FIX_ANSWER and _new_request(ctx):
            return self._leave(ctx, article, state)  # asks something else: answer that
        branch = picked_branch(ctx.parse, step)
        value: str | None = branch.label if branch is not None else None
        if step.kind == COLLECT and branch is not None:  # stored as typed answers are
            value = read_answer(branch.label, step.format, None) or branch.label
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
        ctx: TurnContext,
        article: Article,
        state: DialogueState,
        index: int,
        step: Step,
        lead: str | None = None,
    ) -> Outcome:
        """Not an answer to this step: say what would be, and ask again; after two
        misses in a row, offer a person instead of asking a third time."""
        misses = state.fallbacks + 1
        event = Event("fix_unclear", {"article_id": article.id, "step_id": step.id})
        if misses >= 2 and lead is None:
            reply, offered = offer_handoff(state, STILL_LOST)
            return Outcome((reply,), offered.evolve(fallbacks=0), (event,))
        if lead is None and step.kind == COLLECT and (step.format or step.pattern):
            lead = f"That doesn't look like {describe(step.format, step.pattern)}."
        hint = "" if _skip_target(step) is None else ' (or say "skip" to go on without it)'
        replies = step_replies(ctx, article, index, state.trail)
        again = replace(replies[-1], text=f"{lead or NOT_AN_ANSWER} {question_of(step)}{hint}")
        fix = article.guided_fix
        assert fix is not None
        waiting = waiting_state(state, fix, index).evolve(fallbacks=misses if lead is None else 0)
        return Outcome((again,), waiting, (event,))

    @staticmethod
    def _leave(ctx: TurnContext, article: Article, state: DialogueState) -> Outcome:
        """Answer the new question; the fix is left (asking for it again restarts it)."""
        left = Event("fix_left", {"article_id": article.id, "step_id": state.step_id})
        outcome = KbAnswerHandler().handle(replace(ctx, state=state.idle(fallbacks=0)))
        note = TextReply(LEFT.format(title=article.title))
        return replace(outcome, replies=(note, *outcome.replies), events=(left, *outcome.events))

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


def _skip_target(step: Step) -> Target | None:
    """Where "skip" leads: on as "no" would for an action, `Then:` for a collect step;
    at a question whose answers branch, the catch-all answer ("Something else"), or
    nowhere: the next step in the file may belong to another branch."""
    if step.kind == ACTION:
        return step.then or Target(NEXT)
    if not step.branches:
        return step.then or Target(NEXT)
    fallback_answer = catch_all(step.branches)
    return fallback_answer.target if fallback_answer is not None else None


def _new_request(ctx: TurnContext) -> bool:
    """A message that asks something else rather than answering: "how do I ...?"."""
    return ctx.parse.intent in (ASK_HOWTO, REPORT_PROBLEM) and looks_like_question(ctx.text)
