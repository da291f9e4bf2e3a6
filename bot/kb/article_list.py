"""The KB editor's article list: working drafts and reviews first, then the published
articles, searched and filtered. Read-only; the workflow is in bot/kb/editor.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.kb.article_text import decompose
from bot.kb.articles import CATEGORIES, Article
from bot.kb.base import KnowledgeBase, SearchFilters
from bot.store import Store
from bot.store.models import ArticleRevisionRow


@dataclass(frozen=True)
class Listed:
    """One line of the editor's article list."""

    article_id: str
    title: str
    category: str | None
    state: str  # draft | in_review | published
    published: bool  # whether a version is live (a draft may sit over a published one)
    updated_at: datetime | None
    author: str | None
    guided_fix: bool


class ArticleList:
    def __init__(self, store: Store, kb: KnowledgeBase) -> None:
        self._store, self._kb = store, kb

    def listing(
        self,
        query: str = "",
        *,
        state: str | None = None,
        category: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Listed]:
        """Articles for the editor's list: working copies first (newest first), then the
        published ones, by search rank when there is a query, else by category and title."""
        with self._store.transaction() as tx:
            working = self._working_copies(tx.session)
        rows = [w for w in working if state in (None, w.state)]
        if state in (None, "published"):
            shown = {w.article_id for w in working}
            rows += [self._listed(a) for a in self._published(query, category, offset + limit)]
            rows = [r for r in rows if r.state != "published" or r.article_id not in shown]
        if query:
            words = query.casefold().split()
            rows = [r for r in rows if r.state == "published" or _mentions(r, words)]
        if category:
            rows = [r for r in rows if r.category == category]
        return rows[offset : offset + limit]

    def _working_copies(self, session: Session) -> list[Listed]:
        latest = (
            select(ArticleRevisionRow.article_id, func.max(ArticleRevisionRow.version).label("v"))
            .group_by(ArticleRevisionRow.article_id)
            .subquery()
        )
        rows = session.scalars(
            select(ArticleRevisionRow)
            .join(
                latest,
                (ArticleRevisionRow.article_id == latest.c.article_id)
                & (ArticleRevisionRow.version == latest.c.v),
            )
            .where(ArticleRevisionRow.state != "published")
            .order_by(ArticleRevisionRow.updated_at.desc())
        ).all()
        listed = []
        for row in rows:
            meta, body = decompose(row.text)
            category = meta.get("category")
            listed.append(
                Listed(
                    row.article_id,
                    str(meta.get("title") or row.article_id),
                    category if category in CATEGORIES else None,
                    row.state,
                    self._kb.get(row.article_id) is not None,
                    row.updated_at,
                    row.author,
                    bool(re.search(r"^##\s+guided fix\s*$", body, re.I | re.M)),
                )
            )
        return listed

    def _published(self, query: str, category: str | None, limit: int) -> list[Article]:
        if query:
            filters = SearchFilters(category=category) if category else None
            hits = self._kb.search(query, limit=min(limit, 100), filters=filters)
            return [a for hit in hits if (a := self._kb.get(hit.article_id)) is not None]
        browse = getattr(self._kb, "browse", None)
        return list(browse(0, limit, category)) if browse is not None else []

    @staticmethod
    def _listed(article: Article) -> Listed:
        return Listed(
            article.id,
            article.title,
            article.category,
            "published",
            True,
            None,
            None,
            article.guided_fix is not None,
        )


def _mentions(row: Listed, words: list[str]) -> bool:
    haystack = f"{row.article_id} {row.title}".casefold()
    return all(word in haystack for word in words)
