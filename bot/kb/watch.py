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
import os
import threading
from collections.abc import Callable
from pathlib import Path

from bot.kb.articles import article_entries
from bot.kb.synonyms import SYNONYMS_FILE

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


def kb_signature(kb_dir: Path) -> Signature:
    """Every article file's (and the synonyms file's) relative path, size and mtime (ns)."""
    entries = []
    synonyms = kb_dir / SYNONYMS_FILE
    for path, stat in [
        *((entry.path, _stat(entry.stat)) for entry in article_entries(kb_dir)),
        (str(synonyms), _stat(synonyms.stat)),
    ]:
        if stat is not None:
            entries.append((os.path.relpath(path, kb_dir), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))


def _stat(stat: Callable[[], os.stat_result]) -> os.stat_result | None:
    try:
        return stat()
    except OSError:  # removed between listing and stat (or no synonyms file): next poll
        return None


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
