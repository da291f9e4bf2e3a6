"""The helpdesk outbox: tickets carried to an external `TicketSystem`, and back.

A ticket is created in Tier0's store in the user's turn, with a delivery row in the
same transaction, so the user has a reference at once and nothing is lost if the
helpdesk is down. `HelpdeskSync.deliver_due` sends what is due:

- a delivery is claimed with a guarded UPDATE (several servers may drain one
  outbox), then sent outside any transaction;
- every attempt carries the delivery's idempotency key, and a retry first asks the
  helpdesk whether an earlier attempt got through (`find`), so a timeout after the
  helpdesk created the ticket never makes a second one;
- a failure waits 2, 4, 8 ... seconds (with jitter, at most `max_backoff`), or as
  long as the helpdesk's Retry-After said, and never less than the system's
  `retry_floor` (Jira's search lags behind its writes); a rejection (bad credentials, a refused
  field) waits the longest, since it needs an admin, and is logged as an error.

`poll_statuses` asks the helpdesk for the status of delivered tickets and applies
each change with `change_status`, which tells the user in their conversation.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.helpdesk import (
    ExternalTicket,
    TicketSystem,
    TicketSystemError,
    TicketSystemRejected,
    TicketSystemUnavailable,
)
from bot.store import Store
from bot.store.models import TicketDeliveryRow
from bot.ticket_updates import change_status, tell_user
from bot.tickets import Ticket, ticket_from_row

log = logging.getLogger(__name__)

BASE_BACKOFF = 2.0  # seconds before the first retry
MAX_BACKOFF = 900.0  # never wait more than 15 minutes between attempts
CLAIM_FOR = timedelta(minutes=2)  # how long a claimed delivery is this worker's
BATCH = 50


def now_utc() -> datetime:
    return datetime.now(UTC)


def unexpected(error: Exception) -> str:
    """An adapter's unexpected failure (a body of the wrong shape, say), named by its
    type only: its message may quote what it choked on, credentials included."""
    return f"unexpected answer from the helpdesk ({type(error).__name__})"


@dataclass
class SyncReport:
    delivered: list[int] = field(default_factory=list)  # ticket ids
    failed: list[int] = field(default_factory=list)
    status_changes: list[tuple[int, str]] = field(default_factory=list)


def backoff(attempts: int, base: float, ceiling: float, jitter: Callable[[], float]) -> float:
    """Seconds before attempt `attempts + 1`: exponential, jittered by ±20 %."""
    return min(ceiling, base * 2 ** max(0, attempts - 1)) * (0.8 + 0.4 * jitter())


class HelpdeskSync:
    """Delivers the outbox to one ticket system and polls its statuses back."""

    def __init__(
        self,
        store: Store,
        system: TicketSystem,
        *,
        clock: Callable[[], datetime] = now_utc,
        base_backoff: float = BASE_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.system = system
        self._clock = clock
        self._base = base_backoff
        self._max = max_backoff
        self._jitter = jitter

    # delivery ---------------------------------------------------------------------
    def deliver_due(self, limit: int = BATCH) -> SyncReport:
        """Send every delivery that is due (up to `limit`); returns what happened.

        Each delivery is claimed just before it is sent, never a batch ahead: a claim
        that lapsed while earlier ones were being sent would let a second server
        send the same ticket.
        """
        report = SyncReport()
        with self.store.transaction() as tx:
            due = [row.id for row in tx.due_deliveries(self._clock(), limit)]
        for delivery_id in due:
            claimed = self._claim(delivery_id)
            if claimed is None:
                continue  # another server took it, or it is no longer due
            ticket_id, ok = self._deliver(delivery_id, *claimed)
            (report.delivered if ok else report.failed).append(ticket_id)
        return report

    def _claim(self, delivery_id: int) -> tuple[Ticket, str, bool] | None:
        """(the ticket, its key, whether an attempt was made before), or None.

        The claim counts as an attempt: if this process dies after the helpdesk
        created the ticket, the next attempt asks `find` before creating again.
        """
        now = self._clock()
        with self.store.transaction() as tx:
            row = tx.delivery(delivery_id)
            if row is None or row.state != "pending" or row.next_attempt_at > now:
                return None
            tried_before = row.attempts > 0
            if not tx.claim_delivery(row, now + CLAIM_FOR):
                return None
            ticket_row = tx.ticket(row.ticket_id)
            assert ticket_row is not None
            return ticket_from_row(ticket_row), row.idempotency_key, tried_before

    def _deliver(
        self, delivery_id: int, ticket: Ticket, key: str, tried_before: bool
    ) -> tuple[int, bool]:
        try:
            found = self.system.find(key) if tried_before else None
            external = found or self.system.create(ticket, key)
        except TicketSystemError as error:
            self._failed(delivery_id, error)
            return ticket.id, False
        except Exception as error:  # an answer the adapter did not expect: retry later
            self._failed(delivery_id, TicketSystemUnavailable(unexpected(error)))
            return ticket.id, False
        self._arrived(delivery_id, external)
        return ticket.id, True

    def _arrived(self, delivery_id: int, external: ExternalTicket) -> None:
        with self.store.transaction() as tx:
            row = tx.delivery(delivery_id)
            assert row is not None
            row.state = "delivered"
            row.external_key = external.key
            row.external_url = external.url
            row.external_status = external.status
            row.delivered_at = self._clock()
            row.last_error = None
            ticket = tx.ticket(row.ticket_id)
            if ticket is not None and ticket.conversation_id is not None:
                data = {"ticket_id": ticket.id, "system": row.system, "key": external.key}
                tx.add_event(ticket.conversation_id, "ticket_delivered", data)
        log.info("ticket #%d delivered to %s as %s", row.ticket_id, row.system, external.key)

    def _failed(self, delivery_id: int, error: TicketSystemError) -> None:
        rejected = isinstance(error, TicketSystemRejected)
        with self.store.transaction() as tx:
            row = tx.delivery(delivery_id)
            assert row is not None
            if rejected:
                wait = self._max
            else:
                asked = error.retry_after if isinstance(error, TicketSystemUnavailable) else None
                wait = (
                    asked
                    if asked is not None
                    else backoff(row.attempts, self._base, self._max, self._jitter)
                )
            wait = max(wait, float(getattr(self.system, "retry_floor", 0.0)))
            row.next_attempt_at = self._clock() + timedelta(seconds=min(wait, self._max))
            row.last_error = str(error)[:2000]
            attempts, ticket_id = row.attempts, row.ticket_id
        level = logging.ERROR if rejected else logging.WARNING
        log.log(
            level,
            "ticket #%d not delivered to %s (attempt %d, next in %.0fs): %s",
            ticket_id,
            self.system.name,
            attempts,
            wait,
            error,
        )

    # status polling ---------------------------------------------------------------
    def poll_statuses(self, min_age: timedelta = timedelta(0), limit: int = BATCH) -> SyncReport:
        """Ask the helpdesk for delivered tickets' statuses; apply and announce changes."""
        report = SyncReport()
        now = self._clock()
        with self.store.transaction() as tx:
            rows = [(r.id, r.external_key) for r in tx.deliveries_to_poll(now - min_age, limit)]
        for delivery_id, key in rows:
            try:
                external = self.system.get(key or "")
            except Exception as error:  # this ticket waits for the next round, not the rest
                reason = str(error) if isinstance(error, TicketSystemError) else unexpected(error)
                log.warning("polling %s ticket %s failed: %s", self.system.name, key, reason)
                self._polled(delivery_id)
                continue
            change = self._apply(delivery_id, external)
            if change is not None:
                report.status_changes.append(change)
        return report

    def _polled(self, delivery_id: int) -> None:
        with self.store.transaction() as tx:
            row = tx.delivery(delivery_id)
            if row is not None:
                row.polled_at = self._clock()

    def _apply(self, delivery_id: int, external: ExternalTicket | None) -> tuple[int, str] | None:
        """Apply what changed in the helpdesk since the last poll, and only that: a
        change an agent made in Tier0 is not undone by the helpdesk's older status."""
        now = self._clock()
        with self.store.transaction() as tx:
            row: TicketDeliveryRow | None = tx.delivery(delivery_id)
            assert row is not None
            row.polled_at = now
            ticket = tx.ticket(row.ticket_id)
            if ticket is None:
                return None
            status = external.status if external is not None else "closed"
            if status == row.external_status:
                return None
            row.external_status = status
            data = {"deleted": True} if external is None else {"key": external.key}
            if external is not None and external.key != row.external_key:  # merged
                row.external_key, row.external_url = external.key, external.url
                tell_user(
                    tx,
                    ticket,
                    f"Your ticket #{ticket.id} was merged with another one by the support "
                    "team; you will hear about it here.",
                )
            if change_status(tx, ticket, status, "helpdesk", now, data):
                return ticket.id, status
        return None


class SyncThread:
    """A daemon thread: deliver every `deliver_every` s, poll every `poll_every` s."""

    def __init__(self, sync: HelpdeskSync, deliver_every: float, poll_every: float) -> None:
        self.sync = sync
        self._deliver_every = deliver_every
        self._poll_every = poll_every
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tier0-helpdesk", daemon=True)

    def start(self) -> SyncThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)

    def _run(self) -> None:
        last_poll = 0.0
        while not self._stop.is_set():
            try:
                self.sync.deliver_due()
                monotonic = time.monotonic()
                if self._poll_every > 0 and monotonic - last_poll >= self._poll_every:
                    self.sync.poll_statuses(timedelta(seconds=self._poll_every))
                    last_poll = monotonic
            except Exception:  # the database or the helpdesk may be back next round
                log.exception("helpdesk sync failed")
            self._wake.wait(self._deliver_every)
            self._wake.clear()
