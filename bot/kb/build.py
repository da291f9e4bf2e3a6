"""Full builds: every article file into a new generation, switched in atomically.

A full build runs when there is no index yet, when the schema or the encoder changed,
when asked (`tier0 kb index --rebuild`), or when the update journal has grown long;
everything else is an update (`bot.kb.update`). Parsing is most of the work (about
0.7 ms an article, YAML and Markdown), so a large KB is parsed by one process per
core while this one feeds tantivy. Articles whose text is unchanged keep their
vectors from the previous generation; with `embed=False` (a server starting) the
rest are left to `bot.kb.update.embed_missing` in the background, and until they are
all embedded searches rank by BM25 alone, so a server on a new 100,000-article KB
answers within a minute instead of after the twenty it takes to embed it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tantivy

from bot.kb.articles import Article, ArticleError, article_entries, parse_article
from bot.kb.documents import SCHEMA_VERSION, schema, to_document
from bot.kb.generations import (
    FILES,
    MANIFEST,
    WORDS,
    new_generation,
    switch_to,
    write_json,
)
from bot.kb.semantic import EmbeddingTexts, embed, embedding_texts, text_digest
from bot.kb.state import FileRecord, IndexState, read_article_vectors, remember_state
from bot.kb.vectors import ArticleRows, flatten_rows, write_vectors
from nlu.encoder import SentenceEncoder

PROGRESS_EVERY = 10_000  # files between progress messages
PARALLEL_FROM = 2_000  # files; fewer are parsed faster than worker processes start
CHUNK = 500  # files a worker parses per task
EMBED_CHUNK = 4_096  # articles embedded between progress messages
WRITER_HEAP = 128_000_000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class IndexReport:
    articles: int
    errors: tuple[str, ...]
    seconds: float
    rebuilt: bool  # whether anything was written (a full build or an update)
    full: bool = False  # a full build rather than an update
    changed: int = 0  # files added, changed or removed by an update
    missing_vectors: int = 0  # articles still to embed (searches use BM25 until then)


def article_stats(kb_dir: Path) -> dict[str, os.stat_result]:
    """Every article file's path relative to `kb_dir` (POSIX) and stat, in one walk."""
    prefix = len(os.path.join(str(kb_dir), ""))
    found = {}
    for entry in article_entries(kb_dir):
        try:
            found[entry.path[prefix:].replace(os.sep, "/")] = entry.stat()
        except OSError:  # removed while we walked
            continue
    return found


def read_file(kb_dir: Path, relative_path: str) -> tuple[FileRecord, Article | None]:
    """Parse one article file into its record (with the error, when it has one)."""
    path = kb_dir / relative_path
    try:
        stat = path.stat()
        data = path.read_bytes()
    except OSError as error:
        return FileRecord(0, 0, "", error=f"{path}:1: cannot read file: {error}"), None
    sha = hashlib.sha256(data).hexdigest()[:24]
    try:
        article = parse_article(path, data.decode("utf-8"))
    except UnicodeDecodeError as error:
        message = f"{path}:1: cannot read file: not UTF-8 text ({error.reason})"
        return FileRecord(stat.st_size, stat.st_mtime_ns, sha, error=message), None
    except ArticleError as error:
        return FileRecord(stat.st_size, stat.st_mtime_ns, sha, error=str(error)), None
    record = FileRecord(stat.st_size, stat.st_mtime_ns, sha, article.id, "", text_digest(article))
    return record, article


def duplicate(record: FileRecord, article: Article, first: Path) -> FileRecord:
    """The record of a file whose article's id an earlier file (`first`) already has."""
    line = article.field_lines.get("id", 1)
    message = f"{article.path}:{line}: duplicate id {article.id!r} (already used by {first})"
    return FileRecord(record.size, record.mtime_ns, record.sha, error=message)


def _read_chunk(kb_dir: Path, paths: list[str]) -> list[tuple[FileRecord, Article | None]]:
    return [read_file(kb_dir, path) for path in paths]


def read_files(kb_dir: Path, paths: list[str]) -> Iterator[tuple[FileRecord, Article | None]]:
    """`read_file` for each path, in order; by a process per core for a large KB."""
    workers = min(os.cpu_count() or 1, 4)
    if len(paths) < PARALLEL_FROM or workers < 2:
        yield from (read_file(kb_dir, path) for path in paths)
        return
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    # "spawn": forking a server's threads (ONNX Runtime's, the watcher) is unsafe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for results in pool.map(_read_chunk, [kb_dir] * len(chunks), chunks):
            yield from results


def full_build(
    kb_dir: Path,
    index_dir: Path,
    encoder: SentenceEncoder | None,
    previous: IndexState | None,
    *,
    embed_now: bool,
    progress: Progress,
) -> tuple[IndexReport, IndexState]:
    """Build a new generation from every file in `kb_dir` and switch to it."""
    started = time.perf_counter()
    if not kb_dir.is_dir():
        raise FileNotFoundError(f"knowledge base directory {kb_dir} does not exist")
    paths = sorted(article_stats(kb_dir))
    progress(f"reading {len(paths)} article files")
    generation = new_generation(index_dir)
    index = tantivy.Index(schema(), path=str(generation))
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    known: ArticleRows = {}
    if previous is not None and encoder is not None and previous.encoder == encoder.identity:
        known = read_article_vectors(previous.generation)
    files: dict[str, FileRecord] = {}
    owners: dict[str, str] = {}
    vectors: ArticleRows = {}
    to_embed: list[tuple[str, str, EmbeddingTexts]] = []  # id, digest, texts
    for done, (path, (record, article)) in enumerate(
        zip(paths, read_files(kb_dir, paths), strict=True), start=1
    ):
        if article is not None and article.id in owners:
            record, article = duplicate(record, article, kb_dir / owners[article.id]), None
        files[path] = record
        if article is not None:
            owners[article.id] = path
            writer.add_document(to_document(article, path))
            reused = known.get(article.id)
            if reused is not None and reused[0] == record.text_digest:
                vectors[article.id] = reused
            elif encoder is not None and embed_now:
                to_embed.append((article.id, record.text_digest, embedding_texts(article)))
        if done % PROGRESS_EVERY == 0:
            progress(f"indexed {done} of {len(paths)} files")
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    # tantivy counted the articles that use each word as it indexed (no deletions yet).
    words = dict(index.searcher().terms_with_prefix("words", ""))
    if encoder is not None and to_embed:
        for start in range(0, len(to_embed), EMBED_CHUNK):
            chunk = to_embed[start : start + EMBED_CHUNK]
            computed = embed([texts for _, _, texts in chunk], encoder)
            for (article_id, digest, _), rows in zip(chunk, computed, strict=True):
                vectors[article_id] = (digest, rows.astype(np.float16))
            progress(f"embedded {min(start + EMBED_CHUNK, len(to_embed))} of {len(to_embed)}")
    known.clear()
    manifest = {
        "schema": SCHEMA_VERSION,
        "encoder": encoder.identity if encoder is not None else None,
        "built_at": time.time(),
        "articles": len(owners),
    }
    if encoder is not None:
        write_vectors(generation, *flatten_rows(vectors, encoder.dimension))
    write_json(generation / FILES, {path: r.to_json() for path, r in files.items()})
    write_json(generation / WORDS, words)
    write_json(generation / MANIFEST, manifest)  # last: a generation with it is whole
    digests = {article_id: digest for article_id, (digest, _) in vectors.items()}
    vectors.clear()
    state = IndexState(generation, 0, manifest, files, digests)
    switch_to(index_dir, generation)
    remember_state(state)
    missing = state.missing_count if encoder is not None else 0
    report = IndexReport(
        state.articles,
        state.errors(),
        time.perf_counter() - started,
        rebuilt=True,
        full=True,
        changed=len(paths),
        missing_vectors=missing,
    )
    return report, state
