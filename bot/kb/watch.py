"""Rebuild the search index when an article file is added, changed or removed.

A KB editor saves a file and expects the bot to know it at once, without a restart.
Polling the files' names, sizes and modification times every half second costs a
few `stat` calls per article and works on every file system (inotify does not see
changes made through a network mount or a container volume). A rebuild is
incremental where it matters: unchanged articles keep their vectors (see
`bot.kb.index.build_index`), so one edit is re-embedded alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from bot.kb.articles import article_files
from bot.kb.synonyms import SYNONYMS_FILE

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


def kb_signature(kb_dir: Path) -> Signature:
    """Every article file's (and the synonyms file's) relative path, size and mtime (ns)."""
    entries = []
    synonyms = kb_dir / SYNONYMS_FILE
    for path in [*article_files(kb_dir), *([synonyms] if synonyms.exists() else [])]:
        try:
            stat = path.stat()
        except OSError:  # removed between listing and stat: the next poll sees it
            continue
        entries.append((str(path.relative_to(kb_dir)), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))


class KbWatcher:
    """A daemon thread that calls `rebuild` whenever the KB's files change."""

    def __init__(self, kb_dir: Path, rebuild: Callable[[], object], interval: float = 0.5) -> None:
        self._kb_dir = kb_dir
        self._rebuild = rebuild
        self._interval = interval
        self._stop = threading.Event()
        self._seen = kb_signature(kb_dir)
        self._thread = threading.Thread(target=self._run, name="tier0-kb-watch", daemon=True)

    def start(self) -> KbWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            current = kb_signature(self._kb_dir)
            if current == self._seen:
                continue
            self._seen = current
            try:
                self._rebuild()
            except Exception:  # keep watching: the next save may fix what broke this one
                log.exception("rebuilding the search index after a KB change failed")
