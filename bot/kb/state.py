"""What the index holds, as a writer needs it: every file's record, every vector's digest.

A writer (a full build, an update, the background embedder) starts from the current
generation's files (`files.json`, `vectors.npz`) and applies the
update journal on top (see `bot.kb.generations`). The result is cached per process
by (generation, last update), so a server applying one edit after another reads the
journal once, not once an edit.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.kb.generations import (
    FILES,
    MANIFEST,
    last_update,
    read_json,
    read_updates,
)
from bot.kb.vectors import ArticleRows, group_rows, read_vector_digests, read_vectors


@dataclass(frozen=True)
class FileRecord:
    """One article file as indexed: how it looked, and the article (or error) it gave."""

    size: int
    mtime_ns: int
    sha: str  # of the file's bytes
    article_id: str = ""  # "" when the file did not give an article
    error: str = ""  # `file:line: problem` when it did not
    text_digest: str = ""  # of the text its vector is embedded from

    def to_json(self) -> list[object]:
        return [self.size, self.mtime_ns, self.sha, self.article_id, self.error, self.text_digest]

    @classmethod
    def from_json(cls, value: list[Any]) -> FileRecord:
        size, mtime_ns, sha, article_id, error, text_digest = value
        return cls(
            int(size), int(mtime_ns), str(sha), str(article_id), str(error), str(text_digest)
        )


class IndexState:
    """A generation as of one update: mutable only by the writer holding the index lock.

    Keeps what every update asks (which file owns an id, which files failed, which
    articles lack a vector) current as entries are applied: at 100,000 files a scan
    of them all would be most of an update's time.
    """

    def __init__(
        self,
        generation: Path,
        update: int,
        manifest: dict[str, Any],
        files: dict[str, FileRecord],
        vector_digests: dict[str, str] | None = None,  # id: digest of the texts embedded
    ) -> None:
        self.generation = generation
        self.update = update
        self.manifest = manifest
        self.files = files
        self.vector_digests = vector_digests or {}
        self.owners: dict[str, str] = {}  # article id: relative path of its file
        self._errors: dict[str, str] = {}  # relative path: `file:line: problem`
        self._missing: set[str] = set()  # ids of articles without an up-to-date vector
        for path, record in files.items():
            self._add(path, record)

    def _add(self, path: str, record: FileRecord) -> None:
        if record.article_id:
            self.owners[record.article_id] = path
            if self.vector_digests.get(record.article_id) != record.text_digest:
                self._missing.add(record.article_id)
        if record.error:
            self._errors[path] = record.error

    def _remove(self, path: str) -> None:
        record = self.files.pop(path, None)
        if record is None:
            return
        if record.article_id and self.owners.get(record.article_id) == path:
            del self.owners[record.article_id]
            self._missing.discard(record.article_id)
        self._errors.pop(path, None)

    @property
    def encoder(self) -> str | None:
        value = self.manifest.get("encoder")
        return str(value) if value else None

    @property
    def missing_count(self) -> int:
        return len(self._missing)

    def missing_vectors(self, limit: int | None = None) -> list[str]:
        """Ids of up to `limit` articles with no vector (or one of an older text)."""
        return list(itertools.islice(self._missing, limit))

    def errors(self) -> tuple[str, ...]:
        return tuple(self._errors[path] for path in sorted(self._errors))

    def errors_by_path(self) -> dict[str, str]:
        return dict(self._errors)

    @property
    def articles(self) -> int:
        return len(self.owners)

    def apply(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """One journal entry (see `bot.kb.update.apply_changes`)."""
        for article_id in meta["removed_vectors"]:
            self.vector_digests.pop(article_id, None)
        for article_id, digest in zip(arrays["ids"], arrays["digests"], strict=True):
            self.vector_digests[str(article_id)] = str(digest)
            self._missing.discard(str(article_id))
        for path, value in meta["files"].items():
            self._remove(path)
            if value is not None:
                record = FileRecord.from_json(value)
                self.files[path] = record
                self._add(path, record)


def load_state(generation: Path) -> IndexState | None:
    """The generation's state with its journal applied, or None when it is unreadable."""
    manifest = read_json(generation / MANIFEST)
    files = read_json(generation / FILES)
    if not isinstance(manifest, dict) or not isinstance(files, dict):
        return None
    digests = read_vector_digests(generation)
    try:
        records = {path: FileRecord.from_json(value) for path, value in files.items()}
    except (TypeError, ValueError):
        return None
    state = IndexState(generation, 0, manifest, records, digests)
    upto = last_update(generation)
    try:
        for meta, arrays in read_updates(generation, 0, upto):
            state.apply(meta, arrays)
    except (OSError, ValueError, KeyError):
        return None  # a damaged journal: the caller rebuilds the generation
    state.update = upto
    return state


_cache: dict[Path, IndexState] = {}
_cache_lock = threading.Lock()


def cached_state(generation: Path) -> IndexState | None:
    """`load_state`, reusing this process's copy when no other process wrote since.

    Only for a writer under the index lock; it owns the returned object until then.
    """
    with _cache_lock:
        known = _cache.get(generation)
        upto = last_update(generation)
        if known is not None and known.update <= upto:
            try:
                for meta, arrays in read_updates(generation, known.update, upto):
                    known.apply(meta, arrays)
                known.update = upto
                return known
            except (OSError, ValueError, KeyError):
                pass
        state = load_state(generation)
        _cache.clear()
        if state is not None:
            _cache[generation] = state
        return state


def remember_state(state: IndexState) -> None:
    """Make `state` (a full build's, just written) the process's cached copy."""
    with _cache_lock:
        _cache.clear()
        _cache[state.generation] = state


def read_article_vectors(generation: Path) -> ArticleRows:
    """Every article's vectors in `generation`, the journal applied: for a full build to
    reuse them (read then, not kept: 77 MB at 100,000 articles)."""
    stored = read_vectors(generation)
    rows = group_rows(*stored) if stored is not None else {}
    try:
        for meta, arrays in read_updates(generation, 0, last_update(generation)):
            for article_id in meta["removed_vectors"]:
                rows.pop(article_id, None)
            rows |= group_rows(arrays["ids"], arrays["digests"], arrays["vectors"])
    except (OSError, ValueError, KeyError):
        pass  # a damaged journal: what the base file holds is still right
    return rows
