"""Updates: the article files that changed, applied to the current generation in place.

An edit must be searchable within a second at 100,000 articles, where a full build
takes most of a minute. So a change touches only its own files: each is parsed, its
old document deleted from tantivy by path and the new one added (one commit, atomic
for every searcher), its vector embedded, and the rest recorded as one journal entry
(`bot.kb.generations`) that searchers in every process apply on their next search.

Ids stay unique as in a full build: a file claiming an id another file already has
is reported and left out, and when that other file goes, the files that wanted its
id are read again. `embed_missing` embeds, in the background, the articles a full
build left without a vector (see `bot.kb.build`), a chunk at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from bot.kb.articles import Article, article_entries
from bot.kb.build import IndexReport, duplicate, read_file, relative
from bot.kb.documents import article_words, from_document, to_document
from bot.kb.generations import current_generation, write_update
from bot.kb.semantic import embed, embedding_texts
from bot.kb.spelling import words_of
from bot.kb.state import FileRecord, IndexState, cached_state
from bot.locks import file_lock
from nlu.encoder import SentenceEncoder

log = logging.getLogger(__name__)

WRITER_HEAP = 16_000_000
EMBED_BATCH = 256  # articles a background round embeds (the encoder runs 64 texts at a time)


def changed_paths(kb_dir: Path, state: IndexState, paths: Iterable[str] | None) -> list[str]:
    """Relative paths of article files whose size, mtime or presence differs from `state`.

    `paths` (relative, from a file watcher) limits the check to them; None checks
    every file in `kb_dir` and every file the index knows.
    """
    if paths is None:
        candidates = {relative(entry.path, kb_dir) for entry in article_entries(kb_dir)}
        candidates |= set(state.files)
    else:
        candidates = {path for path in paths if path.endswith(".md")}
    changed = []
    for path in sorted(candidates):
        record = state.files.get(path)
        try:
            stat = (kb_dir / path).stat()
        except OSError:
            if record is not None:
                changed.append(path)
            continue
        if record is None or (record.size, record.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            changed.append(path)
    return changed


class _Batch:
    """One update being assembled: the journal entry and the tantivy operations."""

    def __init__(self, state: IndexState, kb_dir: Path, index: tantivy.Index) -> None:
        self.state = state
        self.kb_dir = kb_dir
        self.schema = index.schema
        self.searcher = index.searcher()
        self.files: dict[str, FileRecord | None] = {}
        self.words: Counter[str] = Counter()
        self.removed: set[str] = set()  # paths whose document goes
        self.added: dict[str, Article] = {}  # path: article to index
        self.claims: dict[str, str | None] = {}  # id: path, this batch's changes to owners

    def indexed_article(self, path: str) -> Article | None:
        return indexed_article(self.searcher, self.schema, path, self.kb_dir)

    def drop(self, path: str) -> None:
        """Take `path`'s article (if it had one) out of the index."""
        record = self.state.files.get(path)
        if record is None or not record.article_id or path in self.removed:
            return
        old = self.indexed_article(path)
        if old is not None:
            self.words.subtract(words_of(article_words(old)))
        self.removed.add(path)
        if self.owner(record.article_id) == path:
            self.claims[record.article_id] = None

    def owner(self, article_id: str) -> str | None:
        """The path of the file that has `article_id`, with this batch's changes."""
        if article_id in self.claims:
            return self.claims[article_id]
        return self.state.owners.get(article_id)

    def read(self, path: str) -> None:
        """Index `path` as it is now: gone, broken, or an article."""
        if not (self.kb_dir / path).exists():
            self.drop(path)
            self.files[path] = None
            return
        record, article = read_file(self.kb_dir, path)
        old = self.state.files.get(path)
        if old is not None and old.sha == record.sha and not old.error:  # touched, not changed
            self.files[path] = replace(old, size=record.size, mtime_ns=record.mtime_ns)
            return
        self.drop(path)
        first = self.owner(article.id) if article is not None else None
        if article is not None and first not in (None, path):
            record, article = duplicate(record, article, self.kb_dir / str(first)), None
        self.files[path] = record
        if article is not None:
            self.claims[article.id] = path
            self.added[path] = article
            self.words.update(words_of(article_words(article)))


def apply_changes(
    kb_dir: Path,
    state: IndexState,
    encoder: SentenceEncoder | None,
    paths: list[str],
) -> IndexReport:
    """Apply the changed files `paths` to `state`'s generation (under the index lock)."""
    started = time.perf_counter()
    index = tantivy.Index.open(str(state.generation))
    batch = _Batch(state, kb_dir, index)
    pending = list(paths)
    seen: set[str] = set()
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        record = state.files.get(path)
        gone = record.article_id if record is not None else ""
        batch.read(path)
        if gone and batch.owner(gone) is None:  # files that wanted the freed id: read again
            pending += [
                other
                for other, error in state.errors_by_path().items()
                if f"duplicate id {gone!r}" in error and other not in seen
            ]
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    for path in batch.removed:
        writer.delete_documents_by_term("path", path)
    for path, article in batch.added.items():
        writer.add_document(to_document(article, path))
    arrays = _new_vectors(state, batch, encoder)
    removed_ids = [state.files[p].article_id for p in batch.removed]
    meta: dict[str, Any] = {
        "files": {p: (r.to_json() if r is not None else None) for p, r in batch.files.items()},
        "words": {w: d for w, d in batch.words.items() if d},
        "removed_vectors": sorted(set(removed_ids) - set(arrays["ids"].tolist())),
    }
    writer.commit()
    writer.wait_merging_threads()
    number = state.update + 1
    write_update(state.generation, number, meta, **arrays)
    state.apply(meta, arrays)
    state.update = number
    return IndexReport(
        state.articles,
        state.errors(),
        time.perf_counter() - started,
        rebuilt=True,
        changed=len(batch.files),
        missing_vectors=state.missing_count if encoder is not None else 0,
    )


def _new_vectors(
    state: IndexState, batch: _Batch, encoder: SentenceEncoder | None
) -> dict[str, np.ndarray]:
    """The vectors of the batch's new articles: reused when their text is unchanged."""
    ids: list[str] = []
    digests: list[str] = []
    vectors: list[np.ndarray | None] = []
    to_embed: list[tuple[int, Article]] = []
    if encoder is not None:
        for path, article in batch.added.items():
            record = batch.files[path]
            assert record is not None
            known = state.vectors.get(article.id)
            ids.append(article.id)
            digests.append(record.text_digest)
            reuse = known is not None and known[0] == record.text_digest
            vectors.append(known[1] if known is not None and reuse else None)
            if not reuse:
                to_embed.append((len(vectors) - 1, article))
        computed = embed([embedding_texts(article) for _, article in to_embed], encoder)
        for (i, _), vector in zip(to_embed, computed, strict=True):
            vectors[i] = vector
    dimension = encoder.dimension if encoder is not None else 0
    return {
        "ids": np.array(ids, dtype=str),
        "digests": np.array(digests, dtype=str),
        "vectors": (
            np.stack(vectors).astype(np.float16)
            if vectors
            else np.zeros((0, dimension), np.float16)
        ),
    }


def indexed_article(
    searcher: tantivy.Searcher, schema: tantivy.Schema, path: str, kb_dir: Path
) -> Article | None:
    """The indexed part of the article from file `path` (relative), or None."""
    hits = searcher.search(tantivy.Query.term_query(schema, "path", path), 1).hits
    return from_document(searcher.doc(hits[0][1]), kb_dir) if hits else None


def embed_missing(
    kb_dir: Path,
    index_dir: Path,
    encoder: SentenceEncoder,
    stop: threading.Event | None = None,
) -> int:
    """Embed the articles without a vector, `EMBED_BATCH` at a time; returns how many.

    The texts are read and the vectors written under the index lock; the embedding
    itself runs outside it, so an edit saved meanwhile is indexed at once. A vector
    whose article changed while it was computed is dropped (the update embedded the
    new text itself).
    """
    lock = index_dir.parent / "index.lock"
    done = 0
    while stop is None or not stop.is_set():
        with file_lock(lock):
            generation = current_generation(index_dir)
            state = cached_state(generation) if generation is not None else None
            if state is None or state.encoder != encoder.identity:
                return done
            wanted = state.missing_vectors(EMBED_BATCH)
            if not wanted:
                return done
            paths = dict(state.owners)
            index = tantivy.Index.open(str(generation))
            searcher = index.searcher()
            found = (indexed_article(searcher, index.schema, paths[i], kb_dir) for i in wanted)
            articles = [article for article in found if article is not None]
            if not articles:  # the index lacks them: only a full build can help
                return done
            texts = {a.id: state.files[paths[a.id]].text_digest for a in articles}
        computed = embed([embedding_texts(article) for article in articles], encoder)
        with file_lock(lock):
            if current_generation(index_dir) != generation:
                continue  # a full build replaced the generation: start over on the new one
            state = cached_state(generation)
            if state is None:
                return done
            paths = state.owners
            fresh = [
                (a.id, texts[a.id], vector)
                for a, vector in zip(articles, computed, strict=True)
                if a.id in paths and state.files[paths[a.id]].text_digest == texts[a.id]
            ]
            arrays = {
                "ids": np.array([f[0] for f in fresh], dtype=str),
                "digests": np.array([f[1] for f in fresh], dtype=str),
                "vectors": np.array([f[2] for f in fresh], dtype=np.float16).reshape(
                    len(fresh), encoder.dimension
                ),
            }
            meta: dict[str, Any] = {"files": {}, "words": {}, "removed_vectors": []}
            number = state.update + 1
            write_update(generation, number, meta, **arrays)
            state.apply(meta, arrays)
            state.update = number
            done += len(fresh)
    return done
