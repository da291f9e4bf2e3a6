"""The on-disk search index (tantivy) behind the `KnowledgeBase` interface.

Each app server keeps its own read-only copy in its data dir; `ensure_index` rebuilds
it when the KB content changed (a fingerprint in `manifest.json`), and the search
side reloads when the manifest changes, so `tier0 index` becomes visible to a
running server without a restart.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import tantivy

from bot.kb.articles import Article, article_files, load_articles
from bot.kb.base import SearchHit
from bot.kb.query import search_terms
from bot.locks import file_lock

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
SEARCH_FIELDS = ("title", "headings", "tags", "body")
FIELD_BOOSTS = {"title": 3.0, "tags": 2.0, "headings": 1.5, "body": 1.0}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("headings", tokenizer_name="en_stem")
    builder.add_text_field("tags", tokenizer_name="en_stem")
    builder.add_text_field("body", tokenizer_name="en_stem")
    builder.add_text_field("category", stored=True, tokenizer_name="raw")
    return builder.build()


def _analyzer() -> tantivy.TextAnalyzer:
    """The same analysis as tantivy's `en_stem`, to compare query and article terms."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def kb_fingerprint(kb_dir: Path) -> str:
    """Hash of every article file's name and bytes: changes whenever the KB does."""
    digest = hashlib.sha256(f"schema={SCHEMA_VERSION}".encode())
    for path in article_files(kb_dir):
        digest.update(str(path.relative_to(kb_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class IndexReport:
    articles: int
    errors: tuple[str, ...]
    seconds: float
    rebuilt: bool


def read_manifest(index_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((index_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _document(article: Article) -> tantivy.Document:
    return tantivy.Document(
        id=article.id,
        title=article.title,
        headings=" \n".join(article.headings),
        tags=" ".join(article.tags),
        body=article.body,
        category=article.category or "",
    )


def build_index(kb_dir: Path, index_dir: Path, *, force: bool = False) -> IndexReport:
    """(Re)build the index from `kb_dir` unless it is already current.

    Bad articles are reported in `errors` and skipped; they never stop indexing.
    Runs under a file lock so two processes starting together do not both write.
    """
    started = time.perf_counter()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(index_dir.parent / "index.lock"):
        fingerprint = kb_fingerprint(kb_dir)
        manifest = read_manifest(index_dir)
        if not force and manifest and manifest.get("fingerprint") == fingerprint:
            return IndexReport(int(str(manifest.get("articles", 0))), (), 0.0, rebuilt=False)
        loaded = load_articles(kb_dir)
        shutil.rmtree(index_dir, ignore_errors=True)
        index_dir.mkdir(parents=True)
        index = tantivy.Index(_schema(), path=str(index_dir))
        writer = index.writer(heap_size=64_000_000, num_threads=1)
        for article in loaded.articles:
            writer.add_document(_document(article))
        writer.commit()
        writer.wait_merging_threads()
        manifest_data = {
            "schema": SCHEMA_VERSION,
            "fingerprint": fingerprint,
            "articles": len(loaded.articles),
            "built_at": time.time(),
        }
        (index_dir / MANIFEST).write_text(json.dumps(manifest_data))
    return IndexReport(
        len(loaded.articles),
        tuple(str(e) for e in loaded.errors),
        time.perf_counter() - started,
        rebuilt=True,
    )


class TantivyKnowledgeBase:
    """Search over the on-disk index, articles served from the parsed KB directory."""

    def __init__(self, kb_dir: Path, index_dir: Path) -> None:
        self._kb_dir = kb_dir
        self._index_dir = index_dir
        self._analyzer = _analyzer()
        self._manifest_mtime = -1.0
        self._index: tantivy.Index | None = None
        self._articles: dict[str, Article] = {}
        self._article_terms: dict[str, frozenset[str]] = {}
        self._refresh()

    def _refresh(self) -> None:
        """Reopen the index and reload articles when `tier0 index` rebuilt it."""
        try:
            mtime = (self._index_dir / MANIFEST).stat().st_mtime
        except OSError:
            mtime = -1.0
        if mtime == self._manifest_mtime and self._index is not None:
            return
        if mtime < 0:
            raise FileNotFoundError(
                f"no search index in {self._index_dir}; run `tier0 index` to build it"
            )
        self._index = tantivy.Index.open(str(self._index_dir))
        self._articles = {a.id: a for a in load_articles(self._kb_dir).articles}
        self._article_terms = {}
        self._manifest_mtime = mtime

    @property
    def articles(self) -> Sequence[Article]:
        return tuple(self._articles.values())

    def get(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def search(self, text: str, limit: int = 3) -> list[SearchHit]:
        terms = search_terms(text)
        if not terms:
            return []
        try:
            self._refresh()
            assert self._index is not None
            query = self._index.parse_query(
                " ".join(terms), list(SEARCH_FIELDS), field_boosts=FIELD_BOOSTS
            )
            searcher = self._index.searcher()
            result = searcher.search(query, limit)
        except (ValueError, OSError) as error:  # a bad query or a vanished index: no hits
            log.warning("search failed for %d terms: %s", len(terms), error)
            return []
        query_stems = self._stems(" ".join(terms))
        hits = []
        for score, address in result.hits:
            article_id = searcher.doc(address)["id"][0]
            article = self._articles.get(article_id)
            if article is None:
                continue
            matched = len(query_stems & self._terms_of(article))
            hits.append(SearchHit(article.id, article.title, score, matched, len(query_stems)))
        return hits

    def _stems(self, text: str) -> frozenset[str]:
        return frozenset(self._analyzer.analyze(text))

    def _terms_of(self, article: Article) -> frozenset[str]:
        if article.id not in self._article_terms:
            words = " ".join((article.title, *article.headings, *article.tags, article.body))
            self._article_terms[article.id] = self._stems(words)
        return self._article_terms[article.id]
