"""How an article is stored in the tantivy index, and read back for ranking and snippets.

A searcher holds no parsed articles: at 100,000 articles they would take more memory
than the rest of the server. What ranking, filters and snippets need (title,
headings, tags, body, category, products, versions, summary) is stored in the
index's compressed document store and read for the few articles a search returns;
`TantivyKnowledgeBase.get` parses the file itself for everything else (the guided
fix, links).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tantivy

from bot.kb.articles import Article

SCHEMA_VERSION = 4
SEARCH_FIELDS = ("title", "headings", "tags", "body", "questions")
# Sample questions weigh as much as the body: on the shipped-KB questions BM25 alone
# went from 67.9 % to 75.6 % right first with them (80.2 % at 2.0, but then 87.8 %
# instead of 90.1 % with the vectors on).
FIELD_BOOSTS = {"title": 3.0, "tags": 2.0, "headings": 1.5, "body": 1.0, "questions": 1.0}
SEPARATOR = "\n"  # between the headings (and the tags) of one field


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("path", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("headings", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("tags", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("questions", tokenizer_name="en_stem")
    builder.add_text_field("category", stored=True, tokenizer_name="raw")
    builder.add_bytes_field("meta", stored=True, indexed=False)
    builder.add_text_field("listing", fast=True, tokenizer_name="raw")  # browse order
    # Every word unstemmed, for the speller: tantivy counts the articles that use each
    # (`Searcher.terms_with_prefix`), in Rust, as it indexes; Python never counts them.
    builder.add_text_field("words", tokenizer_name="default", index_option="basic")
    return builder.build()


def analyzer() -> tantivy.TextAnalyzer:
    """The same analysis as tantivy's `en_stem`, to compare query and article terms."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def to_document(article: Article, relative_path: str) -> tantivy.Document:
    meta = {
        "summary": article.summary,
        "products": list(article.products),
        "versions": list(article.versions),
        "audience": article.audience,
        "questions": list(article.questions),
    }
    return tantivy.Document(
        id=article.id,
        path=relative_path,
        title=article.title,
        headings=SEPARATOR.join(article.headings),
        tags=SEPARATOR.join(article.tags),
        body=article.body,
        questions=SEPARATOR.join(article.questions),
        category=article.category or "",
        meta=json.dumps(meta).encode(),
        words=article_words(article),
        listing=f"{article.category or ''}\x1f{article.title.casefold()}\x1f{article.id}",
    )


def from_document(document: tantivy.Document, kb_dir: Path) -> Article:
    """The indexed part of an article: enough to filter, rank and cut a snippet."""
    fields: dict[str, Any] = document.to_dict()

    def first(name: str) -> str:
        values = fields.get(name) or [""]
        return str(values[0])

    meta = json.loads(bytes(fields["meta"][0])) if fields.get("meta") else {}
    return Article(
        id=first("id"),
        title=first("title"),
        body=first("body"),
        path=kb_dir / first("path"),
        category=first("category") or None,
        tags=tuple(t for t in first("tags").split(SEPARATOR) if t),
        products=tuple(meta.get("products") or ()),
        versions=tuple(meta.get("versions") or ()),
        audience=meta.get("audience"),
        summary=meta.get("summary") or "",
        questions=tuple(meta.get("questions") or ()),
        headings=tuple(h for h in first("headings").split(SEPARATOR) if h),
    )


def word_analyzer() -> tantivy.TextAnalyzer:
    """tantivy's `default` tokenizer, which the `words` field is indexed with."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .build()
    )


_WORDS = word_analyzer()


def indexed_words(article: Article) -> set[str]:
    """The distinct words of the article as its `words` field holds them (the speller's)."""
    return set(_WORDS.analyze(article_words(article)))


def article_words(article: Article) -> str:
    """Every indexed word of an article, for the speller and the exact-match test."""
    return " ".join((article.title, *article.headings, *article.tags, article.body))
