"""Answer a question or a problem report from the knowledge base.

A reported problem whose best article carries a guided fix starts that fix; anything
else gets the article card and "was this helpful?". Text the classifier found out of
scope is still answered when the KB matches it clearly, since a user's wording often
falls outside the training data while the article is right there.
"""

from __future__ import annotations

from bot.dialogue.state import Flow
from bot.handlers.base import Event, Outcome, TurnContext
from bot.handlers.common import FEEDBACK_CHOICES, fallback
from bot.handlers.guided_fix import start_fix
from bot.intents import OUT_OF_SCOPE, REPORT_PROBLEM
from bot.kb.base import SearchHit
from bot.redact import redact
from bot.types import ArticleReply, ChoicesReply

# For out-of-scope text: how much of the query the article must cover to be trusted.
MIN_COVERAGE_OUT_OF_SCOPE = 0.6
MIN_MATCHED_TERMS_OUT_OF_SCOPE = 2
# A fix-bearing hit this close to the top score is preferred for a problem report.
FIX_PREFERENCE_RATIO = 0.8


def _confident(hit: SearchHit) -> bool:
    return (
        hit.coverage >= MIN_COVERAGE_OUT_OF_SCOPE
        and hit.matched_terms >= MIN_MATCHED_TERMS_OUT_OF_SCOPE
    )


class KbAnswerHandler:
    def handle(self, ctx: TurnContext) -> Outcome:
        hits = ctx.kb.search(ctx.text, limit=3)
        if ctx.parse.intent == OUT_OF_SCOPE and not (hits and _confident(hits[0])):
            return fallback(ctx, "out_of_scope")
        if not hits:
            return fallback(ctx, "no_article")
        state = ctx.state.evolve(
            problem=redact(ctx.text), problem_intent=ctx.parse.intent, fallbacks=0
        )
        if ctx.parse.intent == REPORT_PROBLEM:
            fix_hit = self._fix_candidate(ctx, hits)
            if fix_hit is not None:
                return start_fix(ctx, ctx.kb.get(fix_hit.article_id), state)  # type: ignore[arg-type]
        best = hits[0]
        article = ctx.kb.get(best.article_id)
        if article is None:
            return fallback(ctx, "no_article")
        card = ArticleReply(article.summary, article.id, article.title, ctx.article_url(article.id))
        question = ChoicesReply("Was this helpful?", FEEDBACK_CHOICES)
        event = Event("article_shown", {"article_id": article.id, "score": round(best.score, 3)})
        new_state = state.with_article_shown(article.id, article.title).idle(
            flow=Flow.FEEDBACK, article_id=article.id
        )
        return Outcome((card, question), new_state, (event,))

    @staticmethod
    def _fix_candidate(ctx: TurnContext, hits: list[SearchHit]) -> SearchHit | None:
        top = hits[0].score
        for hit in hits:
            article = ctx.kb.get(hit.article_id)
            if article and article.guided_fix and article.guided_fix.steps:
                return hit if hit.score >= top * FIX_PREFERENCE_RATIO else None
        return None
