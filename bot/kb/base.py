"""The `KnowledgeBase` extension point: what the engine needs from any KB backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.kb.articles import Article


@dataclass(frozen=True)
class SearchHit:
    article_id: str
    title: str
    score: float
    matched_terms: int = 0
    query_terms: int = 0
    # A calibrated close call: the next hit scored almost as well, so a person should
    # pick rather than be shown this one as the answer.
    close_to_next: bool = False

    @property
    def coverage(self) -> float:
        """Share of the query's content words the article contains (0..1)."""
        return self.matched_terms / self.query_terms if self.query_terms else 0.0


class KnowledgeBase(Protocol):
    def search(self, text: str, limit: int = 3) -> list[SearchHit]:
        """Best articles for free user text; must never raise on any input."""
        ...

    def get(self, article_id: str) -> Article | None: ...
