"""The transcript carried to its chat thread (Slack, Teams), every bot line once.

A turn's replies, an agent's answer, a ticket's news: all are lines of the
conversation's transcript (bot/ticket_updates.py `tell_user` writes the last two), and
all reach the chat by one path. Each `channel_threads` row keeps `delivered_seq`, how
far its transcript was sent. A sender claims the lines after it under the row lock
(`claimed_seq`, `claimed_until`), posts them outside any transaction (SQLite's
write lock is not held across a network call), then moves the cursor and releases
the claim; finding more lines by then, it goes again. A second sender meanwhile
sees the claim and leaves the lines to the first, so two servers never post one
line twice. A crash during a claim is retried when it expires (at worst a line is
posted twice, never lost).

Each channel supplies how a stored line looks there (`render`), how to post it
(`post`) and which failures are final (`permanent`); the connector sends a turn's
own replies right after the engine's call, and `DeliveryLoop` sends the rest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store import Store

log = logging.getLogger(__name__)

# Longer than a batch can take (each post times out after 10 s): a claim that ran
# out mid-batch would let a second sender post the same lines.
CLAIM_FOR = timedelta(minutes=5)
DELIVER_EVERY = 1.0  # seconds between the loop's passes
RECEIPTS_KEPT = timedelta(days=2)  # Slack retries for minutes, the Bot Framework less
PRUNE_EVERY = 3600  # passes between two prunings of old receipts


@dataclass(frozen=True)
class Destination:
    """Where a thread's messages go, as its `channel_threads` row says."""

    address: str  # Slack channel id / Teams conversation id
    thread_ts: str  # Slack: the thread to post in
    service_url: str | None  # Teams: the Bot Connector to post to


Render = Callable[[str, dict[str, Any]], Any]  # (conversation id, stored payload) → message
Post = Callable[[Destination, Any], None]


@dataclass(frozen=True)
class Line:
    seq: int
    message: Any  # None: a line the user sent, nothing to post


@dataclass(frozen=True)
class Claim:
    destination: Destination
    lines: tuple[Line, ...]
    until: datetime  # also the claim's identity: `_finish` releases only its own


def now_utc() -> datetime:
    return datetime.now(UTC)


class ThreadDelivery:
    def __init__(
        self,
        store: Store,
        channel: str,
        render: Render,
        post: Post,
        permanent: Callable[[Exception], bool],
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.store = store
        self.channel = channel
        self._render, self._post, self._permanent = render, post, permanent
        self._clock = clock

    def deliver(self, conversation_id: str) -> int:
        """Post every line not yet in the conversation's thread; the number posted."""
        posted = 0
        while (claim := self._claim(conversation_id)) is not None:
            through, sent, failed = self._send(conversation_id, claim)
            posted += sent
            self._finish(conversation_id, through, claim.until)
            if failed:  # the loop tries again later
                break
        return posted

    def deliver_pending(self) -> int:
        with self.store.transaction() as tx:
            behind = tx.threads_behind(self.channel)
        return sum(self.deliver(conversation_id) for conversation_id in behind)

    def _claim(self, conversation_id: str) -> Claim | None:
        now = self._clock()
        with self.store.transaction() as tx:
            thread = tx.channel_thread_of(conversation_id, lock=True)
            if thread is None or (thread.claimed_until and thread.claimed_until > now):
                return None  # not a chat thread, or another sender has it
            rows = tx.messages(conversation_id, thread.delivered_seq)
            if not rows:
                return None
            thread.claimed_seq, thread.claimed_until = rows[-1].seq, now + CLAIM_FOR
            lines = tuple(Line(r.seq, self._line(conversation_id, r)) for r in rows)
            destination = Destination(thread.address, thread.thread_ts, thread.service_url)
            return Claim(destination, lines, thread.claimed_until)

    def _line(self, conversation_id: str, row: Any) -> Any:
        if row.sender != "bot":
            return None
        return self._render(conversation_id, row.payload or {"type": row.kind, "text": row.text})

    def _send(self, conversation_id: str, claim: Claim) -> tuple[int, int, bool]:
        """(seq delivered through, lines posted, whether a retryable failure stopped it)."""
        through, sent = claim.lines[0].seq - 1, 0
        for line in claim.lines:
            if line.message is not None:
                try:
                    self._post(claim.destination, line.message)
                    sent += 1
                except Exception as error:  # the connector boundary: the platform or network
                    if not self._permanent(error):
                        log.warning("%s delivery of %s#%d failed, will retry: %s",
                                    self.channel, conversation_id, line.seq, error)  # fmt: skip
                        return through, sent, True
                    log.error("%s refused %s#%d, skipped: %s",
                              self.channel, conversation_id, line.seq, error)  # fmt: skip
            through = line.seq
        return through, sent, False

    def _finish(self, conversation_id: str, through: int, until: datetime) -> None:
        """Move the cursor; release the claim only if it is still ours (it ran out and
        another sender took it: that one releases its own)."""
        with self.store.transaction() as tx:
            thread = tx.channel_thread_of(conversation_id, lock=True)
            assert thread is not None
            thread.delivered_seq = max(thread.delivered_seq, through)
            if thread.claimed_until == until:
                thread.claimed_until = None


class DeliveryLoop:
    """A daemon thread: `deliver_pending` every `every` seconds until `stopping` is set
    (the assistant's own event, so `Assistant.close` ends it)."""

    def __init__(
        self, delivery: ThreadDelivery, stopping: threading.Event, every: float = DELIVER_EVERY
    ) -> None:
        self._delivery = delivery
        self._stopping = stopping
        self._every = every
        name = f"tier0-{delivery.channel}-delivery"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> DeliveryLoop:
        self._thread.start()
        return self

    def _run(self) -> None:
        passes = 0
        while not self._stopping.wait(self._every):
            passes += 1
            try:
                self._delivery.deliver_pending()
                if passes % PRUNE_EVERY == 1:
                    with self._delivery.store.transaction() as tx:
                        tx.prune_receipts(now_utc() - RECEIPTS_KEPT)
            except Exception:  # the database may be back next round
                log.exception("%s delivery pass failed", self._delivery.channel)
