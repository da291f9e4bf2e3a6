"""Update the search index when an article file is added, changed or removed.

A KB editor saves a file and expects the bot to know it at once, without a restart.
The watcher hears of changes from the operating system (inotify on Linux, through
`watchfiles`), so an idle KB of 100,000 files costs nothing, and hands the changed
paths to `bot.kb.sync.build_index`, which updates only those articles. Network
mounts and some container volumes deliver no such events: there `polling=True`
(`TIER0_KB_WATCH_POLL=1`) compares the files' sizes and modification times every
`interval` seconds instead. Either way the whole KB is checked again every
`RESCAN_SECONDS`, in case an event was lost (inotify's queue can overflow).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import watchfiles

from bot.kb.synonyms import SYNONYMS_FILE

log = logging.getLogger(__name__)

RESCAN_SECONDS = 300.0
SETTLE_MS = 50  # quiet time after the last event before the changes are handed over
WAKE_MS = 250  # the watching thread wakes this often with no event, to see `stop()`

# Called with the changed files' paths relative to the KB, or None for "check all".
OnChange = Callable[[list[str] | None], object]


def _is_kb_file(change: watchfiles.Change, path: str) -> bool:
    name = os.path.basename(path)
    return (name.endswith(".md") and not name.startswith(".")) or name == SYNONYMS_FILE


class KbWatcher:
    """A daemon thread that calls `on_change` whenever the KB's files change."""

    def __init__(
        self,
        kb_dir: Path,
        on_change: OnChange,
        interval: float = 0.5,
        *,
        polling: bool = False,
    ) -> None:
        self._kb_dir = kb_dir
        self._on_change = on_change
        self._interval = interval
        self._polling = polling
        self._stop = threading.Event()
        self._watching = threading.Event()
        self.ready = threading.Event()  # set once the first full check is done
        self._thread = threading.Thread(target=self._run, name="tier0-kb-watch", daemon=True)

    def start(self) -> KbWatcher:
        self._thread.start()
        self._watching.wait(timeout=5)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            self._watch(polling=self._polling)
        except Exception:  # e.g. the OS's limit of watches reached: poll instead
            if self._stop.is_set() or self._polling:
                log.exception("watching the KB for changes failed; edits need a restart")
                return
            log.exception("watching the KB for change events failed; polling it instead")
            try:
                self._watch(polling=True)
            except Exception:
                log.exception("polling the KB for changes failed; edits need a restart")
        finally:
            self._watching.set()

    def _watch(self, *, polling: bool) -> None:
        changes = watchfiles.watch(
            self._kb_dir,
            watch_filter=_is_kb_file,
            debounce=1000,
            step=SETTLE_MS,
            stop_event=self._stop,
            force_polling=polling,
            poll_delay_ms=max(10, int(self._interval * 1000)),
            rust_timeout=WAKE_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        )
        last_scan = float("-inf")
        for batch in changes:
            if not self._watching.is_set():  # the first wake-up: events are being queued now
                self._watching.set()
            if time.monotonic() - last_scan >= RESCAN_SECONDS:
                # Also the first time round: files saved between the index's build and
                # the start of watching are caught here.
                last_scan = time.monotonic()
                self._hand_over(None)
                self.ready.set()
            elif batch:
                # The path of the link, not of what it points to: the index knows files
                # by their names in the KB (bot.kb.update.safe_path refuses the rest).
                kb = os.path.abspath(self._kb_dir)
                paths = sorted({os.path.relpath(os.path.abspath(p), kb) for _, p in batch})
                self._hand_over([Path(p).as_posix() for p in paths])

    def _hand_over(self, paths: list[str] | None) -> None:
        try:
            self._on_change(paths)
        except Exception:  # keep watching: the next save may fix what broke this one
            log.exception("updating the search index after a KB change failed")
