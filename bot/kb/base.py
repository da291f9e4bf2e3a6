"""The `KnowledgeBase` extension point: what the engine needs from any KB backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.kb.articles import Article
from bot.kb.snippets import Snippet


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
    snippet: Snippet | None = None  # the passage that matched, with its words marked

    @property
    def coverage(self) -> float:
        """Share of the query's content words the article contains (0..1)."""
        return self.matched_terms / self.query_terms if self.query_terms else 0.0


@dataclass(frozen=True)
class SearchFilters:
    """Restrict a search to articles of a category, or for a product or version.

    An article that lists no products (or versions) applies to all of them; a version
    matches itself and its point releases ("1.2" matches an article for "1.2.3", and
    an article for "1.2" matches "1.2.3").
    """

    category: str | None = None
    product: str | None = None
    version: str | None = None

    def admits(self, article: Article) -> bool:
        if self.category is not None and article.category != self.category:
            return False
        products = {p.lower() for p in article.products}
        if self.product is not None and products and self.product.lower() not in products:
            return False
        if self.version is not None and article.versions:
            return any(_same_release(self.version, v) for v in article.versions)
        return True


def _same_release(wanted: str, listed: str) -> bool:
    short, long = sorted((wanted.strip().lower(), listed.strip().lower()), key=len)
    return long == short or long.startswith(short + ".")


class KnowledgeBase(Protocol):
    def search(
        self, text: str, limit: int = 3, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        """Best articles for free user text; must never raise on any input."""
        ...

    def did_you_mean(self, text: str) -> str | None:
        """`text` spelt with the KB's words, or None when it already is."""
        ...

    def get(self, article_id: str) -> Article | None: ...
