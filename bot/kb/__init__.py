"""The knowledge base: articles on disk, their guided fixes, lint, and the search index."""

from bot.kb.articles import Article, ArticleError, GuidedFix, Step, load_articles, parse_article
from bot.kb.base import KnowledgeBase, SearchHit

__all__ = [
    "Article",
    "ArticleError",
    "GuidedFix",
    "KnowledgeBase",
    "SearchHit",
    "Step",
    "load_articles",
    "parse_article",
]
