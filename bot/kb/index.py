"""The on-disk search index (tantivy) behind the `KnowledgeBase` interface.

Each app server keeps its own read-only copy in its data dir; `ensure_index` rebuilds
it when the KB content changed (a fingerprint in `manifest.json`), and `KbWatcher`
(bot/kb/watch.py) calls it when an article file changes. A build writes a new
generation directory beside the current one and then switches the `CURRENT` file to
it (an atomic rename), so a search sees the old index or the new one, never half of
one; the previous generation is kept for searches still reading it. Searchers reopen
when `CURRENT` names another generation, so a rebuild by `tier0 index`, the watcher
or another process is visible without a restart.

With the sentence encoder installed, the index also holds a vector per article
(`bot.kb.semantic`) and a search ranks by meaning first: similarity plus
`LEXICAL_WEIGHT` times the BM25 score relative to the query's best, so an exact term
(an error code, a product name) still tips a close call. On StackFAQ dev BM25 added
nothing measurable to the vectors at weights up to 0.2 (MRR@10 0.972 at 0.2, 0.973 at
0), and cost a point at 0.3; 0.2 is kept for the words embeddings blur.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import tantivy

from bot.kb.articles import Article, ArticleCache, article_files, load_articles
from bot.kb.base import SearchFilters, SearchHit
from bot.kb.query import STOP_WORDS, search_terms
from bot.kb.semantic import ArticleVectors, query_text, write_vectors
from bot.kb.snippets import Sentences, make_snippet, sentences_of
from bot.kb.spelling import Speller
from bot.kb.synonyms import SYNONYMS_FILE, Synonyms
from bot.locks import file_lock
from nlu.encoder import SentenceEncoder, vocabulary_words

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
CURRENT = "CURRENT"  # names the generation directory searches use
KEEP_GENERATIONS = 2  # the current one and the one before, for searches still on it
PROGRESS_EVERY = 1000  # articles between progress messages
SEARCH_FIELDS = ("title", "headings", "tags", "body")
FIELD_BOOSTS = {"title": 3.0, "tags": 2.0, "headings": 1.5, "body": 1.0}
LEXICAL_WEIGHT = 0.2
CANDIDATES = 20  # from each side, before fusion
# An article found by meaning alone must be at least this similar. On StackFAQ dev
# 0.6 keeps 99.5 % of the right top answers, and lets through 3.3 % of unrelated
# questions (CLINC150 val) against that KB, 0.2 % against the shipped one.
MIN_SIMILARITY = 0.6
# Calibrated on the fused score (docs/search.md has the tables) with two sets of
# questions: StackFAQ dev (625 paraphrases of titles) and tests/bot/kb_questions.yml
# (131 realistic chat questions about the shipped KB), against unrelated CLINC150
# texts. Below ANSWER_FLOOR nothing is relevant: it keeps 96 % of the right top answers
# to the shipped-KB questions (100 % on StackFAQ) and drops 77 % of unrelated texts. A
# top hit less than CLOSE_CALL_MARGIN ahead of the next is a close call, answered with
# choices: 6 % of StackFAQ questions (the right article among them for 97 %; the
# others right first 96.8 % of the time), about 17 % of the shipped-KB questions.
ANSWER_FLOOR = 0.4
CLOSE_CALL_MARGIN = 0.05


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
    """Hash of every article file's (and the synonyms file's) name and bytes: changes
    whenever the KB does."""
    digest = hashlib.sha256(f"schema={SCHEMA_VERSION}".encode())
    synonyms = kb_dir / SYNONYMS_FILE
    for path in [*article_files(kb_dir), *([synonyms] if synonyms.is_file() else [])]:
        digest.update(str(path.relative_to(kb_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class IndexReport:
    articles: int
    errors: tuple[str, ...]
    seconds: float
    rebuilt: bool


def current_generation(index_dir: Path) -> Path | None:
    """The generation directory `CURRENT` names, or None when there is none yet."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = index_dir / name
    return path if name and "/" not in name and path.is_dir() else None


def read_manifest(index_dir: Path) -> dict[str, object] | None:
    generation = current_generation(index_dir)
    if generation is None:
        return None
    try:
        data = json.loads((generation / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _new_generation(index_dir: Path) -> Path:
    if (index_dir / "meta.json").exists() and not (index_dir / CURRENT).exists():
        shutil.rmtree(index_dir)  # an index from before generations: rebuild it whole
    index_dir.mkdir(parents=True, exist_ok=True)
    generation = index_dir / f"gen-{time.time_ns()}"
    generation.mkdir()
    return generation


def _switch_to(index_dir: Path, generation: Path) -> None:
    """Point `CURRENT` at `generation` atomically, then drop the oldest generations."""
    pending = index_dir / f".{CURRENT}.{generation.name}"
    pending.write_text(generation.name, encoding="utf-8")
    os.replace(pending, index_dir / CURRENT)
    generations = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    for old in generations[:-KEEP_GENERATIONS]:
        if old != generation:
            shutil.rmtree(old, ignore_errors=True)


def _document(article: Article) -> tantivy.Document:
    return tantivy.Document(
        id=article.id,
        title=article.title,
        headings=" \n".join(article.headings),
        tags=" ".join(article.tags),
        body=article.body,
        category=article.category or "",
    )


def build_index(
    kb_dir: Path,
    index_dir: Path,
    *,
    force: bool = False,
    encoder: SentenceEncoder | None = None,
    progress: Callable[[str], None] | None = None,
    cache: ArticleCache | None = None,
) -> IndexReport:
    """(Re)build the index from `kb_dir` unless it is already current.

    `progress` hears what a rebuild is doing (article counts, embedding), for a CLI;
    a `cache` (a server's, see `TantivyKnowledgeBase.article_cache`) parses only the
    files that changed since it last saw them.

    With an `encoder`, article vectors are stored too; an index built with another
    encoder (or none) is not current. Bad articles are reported in `errors` and
    skipped; they never stop indexing. Runs under a file lock so two processes
    starting together do not both write.
    """
    started = time.perf_counter()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(index_dir.parent / "index.lock"):
        fingerprint = kb_fingerprint(kb_dir)
        manifest = read_manifest(index_dir)
        identity = encoder.identity if encoder is not None else None
        current = manifest and manifest.get("fingerprint") == fingerprint
        if not force and current and manifest.get("encoder") == identity:
            return IndexReport(int(str(manifest.get("articles", 0))), (), 0.0, rebuilt=False)
        say = progress or (lambda message: None)
        loaded = load_articles(kb_dir, cache)
        say(f"read {len(loaded.articles)} articles ({len(loaded.errors)} skipped)")
        previous = current_generation(index_dir)
        generation = _new_generation(index_dir)
        index = tantivy.Index(_schema(), path=str(generation))
        writer = index.writer(heap_size=64_000_000, num_threads=1)
        for done, article in enumerate(loaded.articles, start=1):
            writer.add_document(_document(article))
            if done % PROGRESS_EVERY == 0:
                say(f"indexed {done} of {len(loaded.articles)} articles")
        writer.commit()
        writer.wait_merging_threads()
        if encoder is not None:
            same_encoder = bool(manifest) and manifest.get("encoder") == identity
            reusable = ArticleVectors.load(previous) if previous and same_encoder else None
            say("embedding the articles that changed")
            write_vectors(generation, loaded.articles, encoder, reusable)
        manifest_data = {
            "schema": SCHEMA_VERSION,
            "fingerprint": fingerprint,
            "articles": len(loaded.articles),
            "built_at": time.time(),
            "encoder": identity,
        }
        (generation / MANIFEST).write_text(json.dumps(manifest_data))
        _switch_to(index_dir, generation)
    return IndexReport(
        len(loaded.articles),
        tuple(str(e) for e in loaded.errors),
        time.perf_counter() - started,
        rebuilt=True,
    )


@dataclass(frozen=True, eq=False)
class _Snapshot:
    """One generation, opened: swapped whole, so a search never mixes two of them."""

    generation: Path
    index: tantivy.Index
    vectors: ArticleVectors | None
    articles: dict[str, Article]
    terms: dict[str, frozenset[str]]
    synonyms: Synonyms
    speller: Speller
    sentences: dict[str, Sentences] = field(default_factory=dict)  # for snippets


class TantivyKnowledgeBase:
    """Search over the on-disk index, articles served from the parsed KB directory."""

    def __init__(
        self, kb_dir: Path, index_dir: Path, encoder: SentenceEncoder | None = None
    ) -> None:
        self._kb_dir = kb_dir
        self._index_dir = index_dir
        self._encoder = encoder
        self._analyzer = _analyzer()
        self._reopen = threading.Lock()
        self.article_cache = ArticleCache()
        self._snapshot = self._open()

    def _open(self) -> _Snapshot:
        generation = current_generation(self._index_dir)
        if generation is None:
            raise FileNotFoundError(
                f"no search index in {self._index_dir}; run `tier0 index` to build it"
            )
        manifest = read_manifest(self._index_dir) or {}
        vectors = None
        if self._encoder is not None and manifest.get("encoder") == self._encoder.identity:
            vectors = ArticleVectors.load(generation)
        loaded = load_articles(self._kb_dir, self.article_cache)
        articles = {a.id: a for a in loaded.articles}
        index = tantivy.Index.open(str(generation))
        synonyms = Synonyms.load(self._kb_dir)
        known = vocabulary_words() | STOP_WORDS
        speller = Speller((_words(article) for article in articles.values()), known)
        return _Snapshot(generation, index, vectors, articles, {}, synonyms, speller)

    def _refresh(self) -> _Snapshot:
        """The current generation, reopened when a rebuild switched to another one."""
        snapshot = self._snapshot
        if current_generation(self._index_dir) in (snapshot.generation, None):
            return snapshot
        with self._reopen:
            if current_generation(self._index_dir) != self._snapshot.generation:
                self._snapshot = self._open()
            return self._snapshot

    def _current(self) -> _Snapshot:
        try:
            return self._refresh()
        except (OSError, ValueError) as error:  # keep serving what was there
            log.warning("search index unavailable: %s", error)
            return self._snapshot

    @property
    def articles(self) -> Sequence[Article]:
        return tuple(self._current().articles.values())

    def get(self, article_id: str) -> Article | None:
        return self._current().articles.get(article_id)

    @property
    def semantic(self) -> bool:
        """Whether searches rank by meaning (article vectors and an encoder are here)."""
        return self._snapshot.vectors is not None and self._encoder is not None

    def search(
        self, text: str, limit: int = 3, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        try:
            snapshot = self._refresh()
        except (OSError, ValueError) as error:  # a vanished or unreadable index: no hits
            log.warning("search index unavailable: %s", error)
            return []
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
            article = snapshot.articles.get(article_id)
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

    def _exact_match(
        self, snapshot: _Snapshot, lexical: dict[str, float], stems: frozenset[str]
    ) -> str | None:
        """The best BM25 hit when it contains every word of the query, else None.

        The vectors know nothing of an error code or a product token: a query made of
        such words, all in one article, is answered however low its similarity.
        """
        if not lexical:
            return None
        best = max(lexical, key=lexical.__getitem__)
        article = snapshot.articles.get(best)
        if article is None or not stems or not stems <= self._terms_of(snapshot, article):
            return None
        return best

    def did_you_mean(self, text: str) -> str | None:
        """`text` with the words the KB does not know replaced by ones it does, or None."""
        return self._current().speller.suggest(text)

    @staticmethod
    def _lexical(snapshot: _Snapshot, terms: list[str], limit: int) -> dict[str, float]:
        """BM25 scores of the best `limit` articles for `terms`."""
        try:
            query = snapshot.index.parse_query(
                " ".join(terms), list(SEARCH_FIELDS), field_boosts=FIELD_BOOSTS
            )
            searcher = snapshot.index.searcher()
            result = searcher.search(query, limit)
        except (ValueError, OSError) as error:  # a bad query: no lexical hits
            log.warning("search failed for %d terms: %s", len(terms), error)
            return {}
        return {searcher.doc(address)["id"][0]: score for score, address in result.hits}

    def _fused(
        self, snapshot: _Snapshot, text: str, lexical: dict[str, float]
    ) -> list[tuple[str, float]]:
        """Similarity, plus `LEXICAL_WEIGHT` x BM25 relative to the best BM25 score."""
        vectors = snapshot.vectors
        assert vectors is not None and self._encoder is not None
        similarities = vectors.similarities(self._encoder.encode_one(query_text(text)))
        rows = vectors.rows
        candidates = {
            vectors.ids[row]
            for row in vectors.best(similarities, CANDIDATES)
            if similarities[row] >= MIN_SIMILARITY
        }
        candidates |= {article_id for article_id in lexical if article_id in rows}
        top = max(lexical.values(), default=0.0) or 1.0
        fused = {
            article_id: float(similarities[rows[article_id]])
            + LEXICAL_WEIGHT * lexical.get(article_id, 0.0) / top
            for article_id in candidates
        }
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    def _stems(self, text: str) -> frozenset[str]:
        return frozenset(self._analyzer.analyze(text))

    @functools.lru_cache(maxsize=50_000)  # noqa: B019 - one KB object per process
    def _stem(self, word: str) -> str:
        stems = self._analyzer.analyze(word)
        return stems[0] if stems else word

    def _terms_of(self, snapshot: _Snapshot, article: Article) -> frozenset[str]:
        if article.id not in snapshot.terms:
            snapshot.terms[article.id] = self._stems(_words(article))
        return snapshot.terms[article.id]

    def _sentences_of(self, snapshot: _Snapshot, article: Article) -> Sentences:
        if article.id not in snapshot.sentences:
            snapshot.sentences[article.id] = sentences_of(article, self._stem)
        return snapshot.sentences[article.id]


def _words(article: Article) -> str:
    return " ".join((article.title, *article.headings, *article.tags, article.body))
