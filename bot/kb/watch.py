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

from bot.kb.synonyms import SYNONYMS_FILE

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


def kb_signature(kb_dir: Path) -> Signature:
    """Every article file's (and the synonyms file's) relative path, size and mtime (ns).

    The same files as `article_files`, walked with `os.scandir`: its entries know
    whether they are files without a system call, so a poll costs one `stat` a file.
    """
    entries: list[tuple[str, int, int]] = []
    pending = [kb_dir]
    while pending:
        directory = pending.pop()
        try:
            listing = list(os.scandir(directory))
        except OSError:  # removed while we walked: the next poll sees it
            continue
        for entry in listing:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                    continue
                is_article = entry.name.endswith(".md") and not entry.name.startswith(".")
                if (is_article or entry.path == str(kb_dir / SYNONYMS_FILE)) and entry.is_file():
                    stat = entry.stat()
                    relative = os.path.relpath(entry.path, kb_dir)
                    entries.append((relative, stat.st_size, stat.st_mtime_ns))
            except OSError:
                continue
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
