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
import os
import stat
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import tantivy

from bot.kb.articles import Article
from bot.kb.build import IndexReport, article_stats, duplicate, read_file
from bot.kb.documents import from_document, indexed_words, to_document
from bot.kb.generations import current_generation, write_update
from bot.kb.semantic import embed, embedding_texts
from bot.kb.state import FileRecord, IndexState, cached_state
from bot.kb.vectors import ArticleRows, flatten_rows
from bot.locks import file_lock
from nlu.encoder import SentenceEncoder

log = logging.getLogger(__name__)

WRITER_HEAP = 16_000_000
EMBED_BATCH = 256  # articles a background round embeds (the encoder runs 64 texts at a time)


def safe_path(path: str) -> str | None:
    """`path` (relative to the KB, from a watcher) as a clean POSIX path, or None when it
    is absolute or climbs out of the KB (`..`): nothing outside the KB is ever read."""
    pure = PurePosixPath(path.replace("\\", "/"))
    if pure.is_absolute() or not pure.parts or ".." in pure.parts:
        return None
    return pure.as_posix()


def _article_stat(path: Path) -> os.stat_result | None:
    """The file's stat when it is a regular file (symlinks followed), else None."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found if stat.S_ISREG(found.st_mode) else None


def changed_paths(kb_dir: Path, state: IndexState, paths: Iterable[str] | None) -> list[str]:
    """Relative paths of article files whose size, mtime or presence differs from `state`.

    `paths` (relative, from a file watcher) limits the check to them; None checks
    every file in `kb_dir` and every file the index knows (0.5 s at 100,000 files).
    """
    if paths is None:
        found = article_stats(kb_dir)
        candidates = set(found) | set(state.files)
    else:
        candidates = {p for p in map(safe_path, paths) if p is not None and p.endswith(".md")}
        found = {path: s for path in candidates if (s := _article_stat(kb_dir / path))}
    changed = []
    for path in sorted(candidates):
        record = state.files.get(path)
        now = found.get(path)
        if now is None:
            if record is not None:
                changed.append(path)
        elif record is None or (record.size, record.mtime_ns) != (now.st_size, now.st_mtime_ns):
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
        self.removed: dict[str, str] = {}  # path: id of the document that goes
        self.added: dict[str, Article] = {}  # path: article to index
        self.claims: dict[str, str | None] = {}  # id: path, this batch's changes to owners

    def owner(self, article_id: str) -> str | None:
        """The path of the file that has `article_id`, with this batch's changes."""
        if article_id in self.claims:
            return self.claims[article_id]
        return self.state.owners.get(article_id)

    def take(self, path: str) -> tuple[FileRecord, Article | None] | None:
        """See what became of `path`, and drop its old document if it changed.

        Returns the file's new record and article to `place` once every changed file
        was taken (so a renamed file finds its id free), or None when the file is gone
        or was only touched.
        """
        if _article_stat(self.kb_dir / path) is None:
            self._drop(path)
            self.files[path] = None
            return None
        record, article = read_file(self.kb_dir, path)
        old = self.state.files.get(path)
        if old is not None and old.sha == record.sha and not old.error:  # touched, not changed
            self.files[path] = replace(old, size=record.size, mtime_ns=record.mtime_ns)
            return None
        self._drop(path)
        return record, article

    def place(self, path: str, record: FileRecord, article: Article | None) -> None:
        """Index `path`'s new article, unless another file already has its id."""
        first = self.owner(article.id) if article is not None else None
        if article is not None and first not in (None, path):
            record, article = duplicate(record, article, self.kb_dir / str(first)), None
        self.files[path] = record
        if article is not None:
            self.claims[article.id] = path
            self.added[path] = article
            self.words.update(indexed_words(article))

    def freed(self) -> list[str]:
        """Ids this batch took from a file and gave to none."""
        return sorted(i for i, path in self.claims.items() if path is None)

    def wanting(self, article_id: str) -> list[str]:
        """Files left out because another file had `article_id`, in path order."""
        errors = self.state.errors_by_path()
        errors.update({p: r.error for p, r in self.files.items() if r is not None})
        marker = f"duplicate id {article_id!r}"
        return sorted(path for path, error in errors.items() if marker in error)

    def _drop(self, path: str) -> None:
        record = self.state.files.get(path)
        if record is None or not record.article_id or path in self.removed:
            return
        old = indexed_article(self.searcher, self.schema, path, self.kb_dir)
        if old is not None:
            self.words.subtract(indexed_words(old))
        self.removed[path] = record.article_id
        if self.owner(record.article_id) == path:
            self.claims[record.article_id] = None


def apply_changes(
    kb_dir: Path,
    state: IndexState,
    encoder: SentenceEncoder | None,
    paths: list[str],
) -> IndexReport:
    """Apply the changed files `paths` to `state`'s generation (under the index lock).

    Safe to repeat after a crash between tantivy's commit and the journal entry: every
    path written is deleted from tantivy first, so nothing is indexed twice.
    """
    started = time.perf_counter()
    index = tantivy.Index.open(str(state.generation))
    batch = _Batch(state, kb_dir, index)
    taken = {path: found for path in paths if (found := batch.take(path)) is not None}
    for path, (record, article) in taken.items():
        batch.place(path, record, article)
    for article_id in batch.freed():  # files that wanted an id this batch freed
        for path in batch.wanting(article_id):
            if batch.owner(article_id) is not None:
                break
            batch.place(path, *read_file(kb_dir, path))
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    for path in {*batch.removed, *batch.added}:
        writer.delete_documents_by_term("path", path)
    for path, article in batch.added.items():
        writer.add_document(to_document(article, path))
    arrays = _new_vectors(state, batch, encoder)
    kept = {article.id for article in batch.added.values()}
    meta: dict[str, Any] = {
        "files": {p: (r.to_json() if r is not None else None) for p, r in batch.files.items()},
        "words": {w: d for w, d in batch.words.items() if d},
        "removed_vectors": sorted(set(batch.removed.values()) - kept),
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
    """Vectors for the batch's new articles whose texts changed (the others keep theirs)."""
    if encoder is None:
        return journal_arrays({}, 0)
    to_embed: list[tuple[str, Article]] = []
    for path, article in batch.added.items():
        record = batch.files[path]
        assert record is not None
        if state.vector_digests.get(article.id) != record.text_digest:
            to_embed.append((record.text_digest, article))
    computed = embed([embedding_texts(article) for _, article in to_embed], encoder)
    rows: ArticleRows = {
        article.id: (digest, vectors)
        for (digest, article), vectors in zip(to_embed, computed, strict=True)
    }
    return journal_arrays(rows, encoder.dimension)


def journal_arrays(rows: ArticleRows, dimension: int) -> dict[str, np.ndarray]:
    """Articles' vectors as a journal entry stores them: a row each, with id and digest."""
    ids, digests, vectors = flatten_rows(rows, dimension)
    return {
        "ids": np.array(ids, dtype=str),
        "digests": np.array(digests, dtype=str),
        "vectors": vectors,
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
            paths = state.owners
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
            fresh: ArticleRows = {
                a.id: (texts[a.id], vectors)
                for a, vectors in zip(articles, computed, strict=True)
                if a.id in paths and state.files[paths[a.id]].text_digest == texts[a.id]
            }
            arrays = journal_arrays(fresh, encoder.dimension)
            meta: dict[str, Any] = {"files": {}, "words": {}, "removed_vectors": []}
            number = state.update + 1
            write_update(generation, number, meta, **arrays)
            state.apply(meta, arrays)
            state.update = number
            done += len(fresh)
    return done
