"""Answer a question or a problem report from the knowledge base.

A confident top hit: a reported problem whose article carries a guided fix starts that
fix; anything else gets the article card (its summary and a link) and "was this
helpful?". A close call (the KB marks it, see `bot.kb.index`): up to three articles to
pick from, and a way to a human; the pick is then answered as a confident hit.
Nothing relevant: say so, and after a second miss offer a human. Text the classifier
found out of scope is still answered when the KB matches it clearly, since a user's
wording often falls outside the training data while the article is right there.
"""

from __future__ import annotations

from dataclasses import replace

from bot.dialogue.state import DialogueState, Flow
from bot.handlers.base import Event, Outcome, TurnContext
from bot.handlers.common import FEEDBACK_CHOICES, fallback
from bot.handlers.fix_steps import start_fix
from bot.intents import ARTICLE_CHOICE_PREFIX, CHOOSE_ARTICLE, OUT_OF_SCOPE, REPORT_PROBLEM
from bot.kb.articles import Article
from bot.kb.base import SearchHit
from bot.redact import redact
from bot.types import ArticleReply, Choice, ChoicesReply, TextReply

# For out-of-scope text: how much of the query the article must cover to be trusted.
MIN_COVERAGE_OUT_OF_SCOPE = 0.6
MIN_MATCHED_TERMS_OUT_OF_SCOPE = 2
# A fix-bearing hit this close to the top score is preferred for a problem report.
FIX_PREFERENCE_RATIO = 0.8
CLOSE_CALL_CHOICES = 3
PICK_ONE = "I found a few articles that might help. Which one fits best?"
NONE_OF_THESE = Choice("human", "None of these, talk to a human")


def _confident(hit: SearchHit) -> bool:
    return (
        hit.coverage >= MIN_COVERAGE_OUT_OF_SCOPE
        and hit.matched_terms >= MIN_MATCHED_TERMS_OUT_OF_SCOPE
    )


class KbAnswerHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        if ctx.parse.intent == CHOOSE_ARTICLE:
            return self._picked(ctx)
        hits = ctx.kb.search(ctx.text, limit=CLOSE_CALL_CHOICES)
        if ctx.parse.intent == OUT_OF_SCOPE and not (hits and _confident(hits[0])):
            return fallback(ctx, "out_of_scope")
        if not hits:
            return self._nothing_found(ctx)
        state = ctx.state.evolve(
            problem=redact(ctx.text), problem_intent=ctx.parse.intent, fallbacks=0
        )
        if ctx.parse.intent == REPORT_PROBLEM:
            fix_hit = self._fix_candidate(ctx, hits)
            if fix_hit is not None and not hits[0].close_to_next:
                return start_fix(ctx, ctx.kb.get(fix_hit.article_id), state)  # type: ignore[arg-type]
        if hits[0].close_to_next:
            return self._offer(hits, state)
        article = ctx.kb.get(hits[0].article_id)
        if article is None:
            return fallback(ctx, "no_article")
        return self._answer(ctx, article, state, hits[0].score)

    @staticmethod
    def _nothing_found(ctx: TurnContext) -> Outcome:
        outcome = fallback(ctx, "no_article")
        suggestion = ctx.kb.did_you_mean(ctx.text)
        if suggestion is None:
            return outcome
        hint = TextReply(f'I found nothing for that. Did you mean "{suggestion}"?')
        return replace(outcome, replies=(hint, *outcome.replies))

    def _offer(self, hits: list[SearchHit], state: DialogueState) -> Outcome:
        choices = tuple(Choice(ARTICLE_CHOICE_PREFIX + h.article_id, h.title) for h in hits)
        event = Event("articles_offered", {"article_ids": [h.article_id for h in hits]})
        reply = ChoicesReply(PICK_ONE, (*choices, NONE_OF_THESE))
        return Outcome((reply,), state.idle(), (event,))

    def _picked(self, ctx: TurnContext) -> Outcome:
        picked = next((e.value for e in ctx.parse.entities if e.type == "article"), "")
        article = ctx.kb.get(picked)
        if article is None:
            return fallback(ctx, "no_article")
        state = ctx.state.evolve(fallbacks=0)
        fix = article.guided_fix
        if state.problem_intent == REPORT_PROBLEM and fix is not None and fix.runnable:
            return start_fix(ctx, article, state)
        return self._answer(ctx, article, state, None)

    @staticmethod
    def _answer(
        ctx: TurnContext, article: Article, state: DialogueState, score: float | None
    ) -> Outcome:
        card = ArticleReply(article.summary, article.id, article.title, ctx.article_url(article.id))
        question = ChoicesReply("Was this helpful?", FEEDBACK_CHOICES)
        data: dict[str, object] = {"article_id": article.id}
        if score is not None:
            data["score"] = round(score, 3)
        event = Event("article_shown", data)
        new_state = state.with_article_shown(article.id, article.title).idle(
            flow=Flow.FEEDBACK, article_id=article.id
        )
        return Outcome((card, question), new_state, (event,))

    @staticmethod
    def _fix_candidate(ctx: TurnContext, hits: list[SearchHit]) -> SearchHit | None:
        top = hits[0].score
        for hit in hits:
            article = ctx.kb.get(hit.article_id)
            if article and article.guided_fix and article.guided_fix.runnable:
                return hit if hit.score >= top * FIX_PREFERENCE_RATIO else None
        return None
