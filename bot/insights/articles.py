"""Unhelpful articles: the articles users marked "not helpful", with how often each was
shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from bot.insights.common import Db, _ratio, _session, _shown_article
from bot.store.models import EventRow, FeedbackRow


@dataclass(frozen=True)
class ArticleFeedback:
    article_id: str
    not_helpful: int
    helpful: int
    shown: int  # article_shown events in the window
    unhelpful_ratio: float  # not_helpful / (helpful + not_helpful)


def unhelpful_articles(db: Db, since: datetime, limit: int = 50) -> list[ArticleFeedback]:
    """Articles marked "not helpful" in the window, the most often first."""
    session = _session(db)
    not_helpful = func.sum(case((FeedbackRow.helpful.is_(False), 1), else_=0))
    helpful = func.sum(case((FeedbackRow.helpful.is_(True), 1), else_=0))
    counted = session.execute(
        select(FeedbackRow.article_id, not_helpful, helpful)
        .where(FeedbackRow.created_at >= since, FeedbackRow.article_id != "")
        .group_by(FeedbackRow.article_id)
        .having(not_helpful > 0)
        .order_by(not_helpful.desc(), helpful, FeedbackRow.article_id)
        .limit(limit)
    ).all()
    article = _shown_article()
    shown = dict(
        session.execute(
            select(article, func.count())
            .where(
                EventRow.type == "article_shown",
                EventRow.created_at >= since,
                article.in_([row[0] for row in counted]),
            )
            .group_by(article)
        ).all()
    )
    return [
        ArticleFeedback(
            article_id, int(bad), int(good), int(shown.get(article_id, 0)), _ratio(bad, bad + good)
        )
        for article_id, bad, good in counted
    ]
