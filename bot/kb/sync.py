"""Bring the index up to date with the KB directory: nothing, an update, or a full build.

The one entry point for every writer: a server starting, the file watcher, `tier0 kb
index`. It runs under a file lock beside the index, so of several processes sharing
a data dir one writes and the others find the work done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.kb.build import IndexReport, full_build
from bot.kb.documents import SCHEMA_VERSION
from bot.kb.generations import current_generation
from bot.kb.state import IndexState, cached_state
from bot.kb.update import apply_changes, changed_paths, embed_missing
from bot.locks import file_lock
from nlu.encoder import SentenceEncoder

# Updates applied to one generation before the next full build folds them in: the
# journal is read whole by every process that opens the index.
MAX_UPDATES = 1000


def build_index(
    kb_dir: Path,
    index_dir: Path,
    *,
    force: bool = False,
    encoder: SentenceEncoder | None = None,
    progress: Callable[[str], None] | None = None,
    embed: bool = True,
    paths: Iterable[str] | None = None,
) -> IndexReport:
    """Make the index match `kb_dir`: apply the files that changed, or build it whole.

    `paths` (relative to `kb_dir`, from the watcher) limits the check to those files.
    A full build happens when there is no index, the schema or `encoder` changed, the
    journal reached `MAX_UPDATES`, or `force`. With `embed` false, articles left
    without a vector are not embedded here (see `bot.kb.build`); the report counts them.
    Bad articles are reported in `errors` and skipped; they never stop indexing.
    """
    started = time.perf_counter()
    say = progress or (lambda message: None)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(index_dir.parent / "index.lock"):
        generation = current_generation(index_dir)
        state = cached_state(generation) if generation is not None else None
        if force or _needs_full_build(state, encoder):
            report, state = full_build(
                kb_dir, index_dir, encoder, state, embed_now=embed, progress=say
            )
            return report
        assert state is not None
        if not kb_dir.is_dir():
            raise FileNotFoundError(f"knowledge base directory {kb_dir} does not exist")
        changed = changed_paths(kb_dir, state, paths)
        if changed:
            report = apply_changes(kb_dir, state, encoder, changed)
        else:
            report = IndexReport(
                state.articles,
                state.errors(),
                0.0,
                rebuilt=False,
                missing_vectors=state.missing_count if encoder is not None else 0,
            )
    if embed and encoder is not None and report.missing_vectors:
        say(f"embedding {report.missing_vectors} articles")
        embed_missing(kb_dir, index_dir, encoder)
        report = IndexReport(
            report.articles,
            report.errors,
            time.perf_counter() - started,
            report.rebuilt,
            report.full,
            report.changed,
            0,
        )
    return report


def _needs_full_build(state: IndexState | None, encoder: SentenceEncoder | None) -> bool:
    if state is None or state.manifest.get("schema") != SCHEMA_VERSION:
        return True
    identity = encoder.identity if encoder is not None else None
    return state.encoder != identity or state.update >= MAX_UPDATES
