"""KB search over the on-disk index (tantivy BM25 and article vectors).

Each app server searches its data dir's index read-only; `bot.kb.sync.build_index`
keeps it current (full builds switch generations, updates extend the current one,
see `bot.kb.generations`). A search checks two small files first (`CURRENT` and the
generation's `UPDATED`) and reopens or catches up when another process wrote, so a
rebuild by `tier0 kb index`, the watcher or another server is visible at once.

With the sentence encoder installed and every article embedded, a search ranks by
meaning first: similarity plus `LEXICAL_WEIGHT` times the BM25 score relative to the
query's best, so an exact term (an error code, a product name) still tips a close
call. On StackFAQ dev BM25 added nothing measurable to the vectors at weights up to
0.2 (MRR@10 0.972 at 0.2, 0.973 at 0), and cost a point at 0.3; 0.2 is kept for the
words embeddings blur. While a full build's articles are still being embedded (see
`bot.kb.build`), searches rank by BM25 alone.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from bot.kb.articles import Article, ArticleCache
from bot.kb.base import SearchFilters, SearchHit
from bot.kb.build import IndexReport
from bot.kb.documents import FIELD_BOOSTS, SEARCH_FIELDS, analyzer, article_words, from_document
from bot.kb.generations import (
    WORDS,
    current_generation,
    last_update,
    read_json,
    read_manifest,
    read_updates,
)
from bot.kb.query import STOP_WORDS, search_terms
from bot.kb.semantic import query_text
from bot.kb.snippets import Sentences, make_snippet, sentences_of
from bot.kb.spelling import Speller
from bot.kb.sync import build_index
from bot.kb.synonyms import SYNONYMS_FILE, Synonyms
from bot.kb.vectors import ArticleRows, LiveVectors, VectorSet, flatten_rows, group_rows
from nlu.encoder import SentenceEncoder, vocabulary_words

__all__ = ["IndexReport", "TantivyKnowledgeBase", "build_index", "current_generation"]

log = logging.getLogger(__name__)

LEXICAL_WEIGHT = 0.2
CANDIDATES = 20  # from each side, before fusion
# An article found by meaning alone must be at least this similar. On StackFAQ dev
# 0.6 keeps 99.5 % of the right top answers, and lets through 3.3 % of unrelated
# questions (CLINC150 val) against that KB, 0.2 % against the shipped one.
MIN_SIMILARITY = 0.6
# Calibrated on the fused score by benchmarks/kb_calibrate.py (docs/search.md has the
# tables) with two sets of questions, StackFAQ dev (625 paraphrases of titles) and
# tests/bot/kb_questions.yml (131 realistic chat questions about the shipped KB),
# against 1,000 unrelated CLINC150 texts. Below ANSWER_FLOOR nothing is relevant: 0.45
# is the highest floor that keeps every right first answer on both sets; it drops 62 %
# of the unrelated texts against the shipped KB (its sample questions are short chat
# sentences, which unrelated chat resembles), 66 % against StackFAQ's. A top hit less
# than CLOSE_CALL_MARGIN ahead of the next is a close call, answered with choices: 7 %
# of the shipped-KB questions (the others right first 92.6 % of the time), 6 % of
# StackFAQ's (the right article among the choices for 97.5 %; the others right 96.9 %).
ANSWER_FLOOR = 0.45
CLOSE_CALL_MARGIN = 0.05
DOCUMENT_CACHE = 1024  # indexed articles a snapshot keeps: the popular ones, mostly


@dataclass(frozen=True, eq=False)
class _Snapshot:
    """One generation as of one update, opened: swapped whole, so a search never mixes
    two of them. Its caches hold what searches read of the few articles they return."""

    generation: Path
    update: int
    index: tantivy.Index
    searcher: tantivy.Searcher
    vectors: LiveVectors | None  # None: no encoder, or not every article embedded yet
    speller: Speller
    synonyms: Synonyms
    synonyms_stamp: tuple[int, int] | None
    documents: OrderedDict[str, Article | None] = field(default_factory=OrderedDict)
    addresses: dict[str, tantivy.DocAddress] = field(default_factory=dict)  # from BM25 hits
    terms: dict[str, frozenset[str]] = field(default_factory=dict)
    sentences: dict[str, Sentences] = field(default_factory=dict)  # for snippets


class TantivyKnowledgeBase:
    """Search over the on-disk index; articles are read from the KB directory."""

    def __init__(
        self, kb_dir: Path, index_dir: Path, encoder: SentenceEncoder | None = None
    ) -> None:
        self._kb_dir = kb_dir
        self._index_dir = index_dir
        self._encoder = encoder
        self._analyzer = analyzer()
        self._reopen = threading.Lock()
        self._cache_lock = threading.Lock()  # the snapshot's caches, shared by threads
        self._last_warning = ""
        self._files = ArticleCache(limit=DOCUMENT_CACHE)  # `get` parses a changed file again
        self._all_vectors: LiveVectors | None = None  # embedded so far, complete or not
        self._snapshot = self._open()

    # -- opening and catching up ------------------------------------------------------

    def _open(self) -> _Snapshot:
        generation = current_generation(self._index_dir)
        if generation is None:
            raise FileNotFoundError(
                f"no search index in {self._index_dir}; run `tier0 kb index` to build it"
            )
        manifest = read_manifest(self._index_dir) or {}
        update = last_update(generation)  # read first: tantivy's commit is at least as new
        index = tantivy.Index.open(str(generation))
        index.config_reader(reload_policy="Manual")
        vectors = None
        if self._encoder is not None and manifest.get("encoder") == self._encoder.identity:
            base = VectorSet.load(generation)
            vectors = LiveVectors.of(base) if base is not None else None
        words = read_json(generation / WORDS)
        speller = Speller(words if isinstance(words, dict) else {}, vocabulary_words() | STOP_WORDS)
        if vectors is not None and update:
            vectors = _with_journal(vectors, read_updates(generation, 0, update))
        for meta, _ in read_updates(generation, 0, update):
            speller.apply(meta["words"])
        self._all_vectors = vectors
        return self._snapshot_of(generation, update, index, speller)

    def _snapshot_of(
        self, generation: Path, update: int, index: tantivy.Index, speller: Speller
    ) -> _Snapshot:
        searcher = index.searcher()
        vectors = self._all_vectors
        complete = vectors is not None and len(vectors) >= searcher.num_docs
        synonyms, stamp = self._synonyms()
        return _Snapshot(
            generation,
            update,
            index,
            searcher,
            vectors if complete else None,
            speller,
            synonyms,
            stamp,
        )

    def _synonyms(self) -> tuple[Synonyms, tuple[int, int] | None]:
        return Synonyms.load(self._kb_dir), _stamp(self._kb_dir / SYNONYMS_FILE)

    def _caught_up(self, snapshot: _Snapshot) -> _Snapshot:
        """`snapshot` with the updates written since it was taken applied."""
        upto = last_update(snapshot.generation)
        if upto == snapshot.update:
            return snapshot
        updates = list(read_updates(snapshot.generation, snapshot.update, upto))
        for meta, _ in updates:
            snapshot.speller.apply(meta["words"])
        if self._all_vectors is not None:
            self._all_vectors = _with_journal(self._all_vectors, updates)
        snapshot.index.reload()
        return self._snapshot_of(snapshot.generation, upto, snapshot.index, snapshot.speller)

    def _refresh(self) -> _Snapshot:
        """The current snapshot, reopened or caught up when the index changed."""
        snapshot = self._snapshot
        generation = current_generation(self._index_dir)
        stale = generation not in (snapshot.generation, None) or (
            last_update(snapshot.generation) != snapshot.update
        )
        if not stale:
            if _stamp(self._kb_dir / SYNONYMS_FILE) == snapshot.synonyms_stamp:
                return snapshot
            with self._reopen:
                if self._snapshot is snapshot:  # not caught up by another thread meanwhile
                    synonyms, stamp = self._synonyms()
                    self._snapshot = replace(snapshot, synonyms=synonyms, synonyms_stamp=stamp)
                return self._snapshot
        with self._reopen:
            if current_generation(self._index_dir) != self._snapshot.generation:
                self._snapshot = self._open()
            else:
                self._snapshot = self._caught_up(self._snapshot)
            return self._snapshot

    def _current(self) -> _Snapshot:
        try:
            return self._refresh()
        except (OSError, ValueError, KeyError) as error:  # keep serving what was there
            if str(error) != self._last_warning:  # once, not on every search
                self._last_warning = str(error)
                log.warning("search index unavailable, searching the last one read: %s", error)
            return self._snapshot

    # -- the KnowledgeBase interface --------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        """The article with this id, parsed from its file (guided fix and links too)."""
        indexed = self._document(self._current(), article_id)
        if indexed is None:
            return None
        parsed = self._files.parse(indexed.path)
        return parsed if isinstance(parsed, Article) and parsed.id == article_id else None

    @property
    def article_count(self) -> int:
        return int(self._current().searcher.num_docs)

    def browse(
        self, offset: int = 0, limit: int = 100, category: str | None = None
    ) -> list[Article]:
        """Indexed articles by category, then title: one page of the KB's table of
        contents, or of one category's articles."""
        snapshot = self._current()
        query = (
            tantivy.Query.term_query(snapshot.index.schema, "category", category)
            if category
            else tantivy.Query.all_query()
        )
        result = snapshot.searcher.search(
            query,
            limit,
            count=False,
            order_by_field="listing",
            offset=offset,
            order=tantivy.Order.Asc,
        )
        return [from_document(snapshot.searcher.doc(a), self._kb_dir) for _, a in result.hits]

    @property
    def semantic(self) -> bool:
        """Whether searches rank by meaning (an encoder, and every article embedded)."""
        return self._current().vectors is not None and self._encoder is not None

    def search(
        self, text: str, limit: int = 3, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        snapshot = self._current()
        terms = search_terms(text)
        corrected = snapshot.speller.suggest(text) or text
        query_stems = self._stems(" ".join(search_terms(corrected)))
        # The words as typed, as corrected, and their synonyms: one OR query over all.
        words = dict.fromkeys([text, corrected, *snapshot.synonyms.expand(corrected)])
        lexical: dict[str, float] = {}
        if terms:
            lexical = self._lexical(snapshot, search_terms(" ".join(words)), max(limit, CANDIDATES))
        semantic = snapshot.vectors is not None and self._encoder is not None
        if semantic and query_text(text):
            exact = self._exact_match(snapshot, lexical, query_stems)
            fused = self._fused(snapshot, text, lexical)
            ranked = [item for item in fused if item[1] >= ANSWER_FLOOR or item[0] == exact]
        else:
            ranked = sorted(lexical.items(), key=lambda item: -item[1])
        hits = []
        for article_id, score in ranked:
            article = self._document(snapshot, article_id)
            if article is None or (filters is not None and not filters.admits(article)):
                continue
            matched = len(query_stems & self._terms_of(snapshot, article))
            snippet = make_snippet(
                article, query_stems, self._stem, self._sentences_of(snapshot, article)
            )
            hits.append(
                SearchHit(
                    article.id, article.title, score, matched, len(query_stems), snippet=snippet
                )
            )
            if len(hits) == limit:
                break
        if semantic and len(hits) > 1 and hits[0].score - hits[1].score < CLOSE_CALL_MARGIN:
            hits[0] = replace(hits[0], close_to_next=True)
        return hits

    def did_you_mean(self, text: str) -> str | None:
        """`text` with the words the KB does not know replaced by ones it does, or None."""
        return self._current().speller.suggest(text)

    # -- ranking ----------------------------------------------------------------------

    def _exact_match(
        self, snapshot: _Snapshot, lexical: dict[str, float], stems: frozenset[str]
    ) -> str | None:
        """The best BM25 hit when it contains every word of the query, else None.

        The vectors know nothing of an error code or a product token: a query made of
        such words, all in one article, is answered however low its similarity.
        """
        if not lexical or not stems:
            return None
        best = max(lexical, key=lexical.__getitem__)
        article = self._document(snapshot, best)
        if article is None or not stems <= self._terms_of(snapshot, article):
            return None
        return best

    def _lexical(self, snapshot: _Snapshot, terms: list[str], limit: int) -> dict[str, float]:
        """BM25 scores of the best `limit` articles for `terms`."""
        try:
            query = snapshot.index.parse_query(
                " ".join(terms), list(SEARCH_FIELDS), field_boosts=FIELD_BOOSTS
            )
            result = snapshot.searcher.search(query, limit)
            scores = {}
            for score, address in result.hits:
                article_id = str(snapshot.searcher.doc(address).get_first("id"))
                snapshot.addresses[article_id] = address
                scores[article_id] = score
        except (ValueError, OSError) as error:  # a bad query: no lexical hits
            log.warning("search failed for %d terms: %s", len(terms), error)
            return {}
        return scores

    def _fused(
        self, snapshot: _Snapshot, text: str, lexical: dict[str, float]
    ) -> list[tuple[str, float]]:
        """Similarity, plus `LEXICAL_WEIGHT` x BM25 relative to the best BM25 score."""
        vectors = snapshot.vectors
        assert vectors is not None and self._encoder is not None
        query = self._encoder.encode_one(query_text(text))
        similar = {
            article_id: similarity
            for article_id, similarity in vectors.nearest(query, CANDIDATES)
            if similarity >= MIN_SIMILARITY
        }
        similar |= vectors.similarity(query, (i for i in lexical if i not in similar))
        top = max(lexical.values(), default=0.0) or 1.0
        fused = {
            article_id: similarity + LEXICAL_WEIGHT * lexical.get(article_id, 0.0) / top
            for article_id, similarity in similar.items()
        }
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    # -- the indexed articles a search reads ------------------------------------------

    def _document(self, snapshot: _Snapshot, article_id: str) -> Article | None:
        """The indexed part of an article, from the snapshot's small LRU cache."""
        with self._cache_lock:
            return self._document_locked(snapshot, article_id)

    def _document_locked(self, snapshot: _Snapshot, article_id: str) -> Article | None:
        documents = snapshot.documents
        if article_id in documents:
            documents.move_to_end(article_id)
            return documents[article_id]
        address = snapshot.addresses.pop(article_id, None)
        if address is None:
            query = tantivy.Query.term_query(snapshot.index.schema, "id", article_id)
            hits = snapshot.searcher.search(query, 1).hits
            address = hits[0][1] if hits else None
        article = None
        if address is not None:
            article = from_document(snapshot.searcher.doc(address), self._kb_dir)
        documents[article_id] = article
        if len(documents) > DOCUMENT_CACHE:
            stale, _ = documents.popitem(last=False)
            snapshot.terms.pop(stale, None)
            snapshot.sentences.pop(stale, None)
        if len(snapshot.addresses) > 4 * DOCUMENT_CACHE:
            snapshot.addresses.clear()
        return article

    def _stems(self, text: str) -> frozenset[str]:
        return frozenset(self._analyzer.analyze(text))

    @functools.lru_cache(maxsize=50_000)  # noqa: B019 - one KB object per process
    def _stem(self, word: str) -> str:
        stems = self._analyzer.analyze(word)
        return stems[0] if stems else word

    def _terms_of(self, snapshot: _Snapshot, article: Article) -> frozenset[str]:
        found = snapshot.terms.get(article.id)
        if found is None:
            found = snapshot.terms[article.id] = self._stems(article_words(article))
        return found

    def _sentences_of(self, snapshot: _Snapshot, article: Article) -> Sentences:
        found = snapshot.sentences.get(article.id)
        if found is None:
            found = snapshot.sentences[article.id] = sentences_of(article, self._stem)
        return found


def _with_journal(
    vectors: LiveVectors, updates: Iterable[tuple[dict[str, Any], dict[str, np.ndarray]]]
) -> LiveVectors:
    """`vectors` after the journal entries `updates`, folded into one change."""
    removed: set[str] = set()
    added: ArticleRows = {}
    for meta, arrays in updates:
        for article_id in meta["removed_vectors"]:
            removed.add(article_id)
            added.pop(article_id, None)
        for article_id, rows in group_rows(
            arrays["ids"], arrays["digests"], arrays["vectors"]
        ).items():
            removed.discard(article_id)
            added[article_id] = rows
    if not removed and not added:
        return vectors
    ids, digests, stacked = flatten_rows(added, vectors.base.codes.shape[1])
    return vectors.with_changes(removed, ids, digests, stacked)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns
