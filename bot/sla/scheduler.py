"""The SLA scheduler: records warnings and breaches, and escalates breached tickets.

Every `interval` seconds a server checks the open tickets against their priority's
target (`bot.sla.policy`). A target `warn_at` used up is recorded once as a warning,
a missed one once as a breach; a breach moves the ticket to the target's
`escalate_to` tier when that is higher than its own. "Once" holds with several app
servers running the scheduler against one database: each record is a row unique per
ticket and kind, and only the server whose insert succeeded escalates.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.sla.config import SlaPolicies
from bot.store import Store
from bot.tickets import ticket_clock, ticket_from_row, ticket_sla

log = logging.getLogger(__name__)

PAGE = 500  # open tickets read per query


@dataclass(frozen=True)
class SlaNotice:
    """What one check recorded for one ticket."""

    ticket_id: int
    kind: str  # first_response_warning | first_response_breached | resolution_...
    escalated_to: int | None = None


def check_slas(store: Store, policies: SlaPolicies, now: datetime) -> list[SlaNotice]:
    """Check every open ticket at `now`; returns what was newly recorded."""
    notices: list[SlaNotice] = []
    after = 0
    while True:
        with store.transaction() as tx:
            rows = tx.open_tickets(after_id=after, limit=PAGE)
            for row in rows:
                ticket = ticket_from_row(row)
                try:
                    status = ticket_sla(ticket, policies, now)
                except ValueError as error:  # one bad ticket must not stop the others
                    log.warning("ticket #%d: SLA not computed: %s", ticket.id, error)
                    continue
                target = policies.for_priority(ticket.priority)
                answered = ticket_clock(ticket).first_response_at is not None
                running = "resolution" if answered else "first_response"
                kinds = []
                running_breached = (
                    status.first_response_breached
                    if running == "first_response"
                    else status.resolution_breached
                )
                if status.warning and not running_breached:  # a breach needs no warning
                    kinds.append(f"{running}_warning")
                if status.first_response_breached:
                    kinds.append("first_response_breached")
                if status.resolution_breached:
                    kinds.append("resolution_breached")
                for kind in kinds:
                    data = {"priority": ticket.priority, "tier": ticket.tier, "at": now.isoformat()}
                    if not tx.record_sla_event(ticket.id, kind, data):
                        continue
                    escalated = None
                    to = target.escalate_to
                    if (
                        kind.endswith("_breached")
                        and to is not None
                        and tx.raise_tier(ticket.id, to)
                    ):
                        escalated = to
                        change = {"field": "tier", "from": ticket.tier, "to": to, "sla": kind}
                        tx.add_ticket_event(ticket.id, "change", "system", None, change, now)
                    notices.append(SlaNotice(ticket.id, kind, escalated))
        if len(rows) < PAGE:
            return notices
        after = rows[-1].id


class SlaScheduler:
    """A daemon thread that runs `check_slas` every `interval` seconds."""

    def __init__(
        self,
        store: Store,
        policies: SlaPolicies,
        interval: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._policies = policies
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tier0-sla", daemon=True)

    def start(self) -> SlaScheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                for notice in check_slas(self._store, self._policies, self._clock()):
                    log.info(
                        "ticket #%d: %s%s",
                        notice.ticket_id,
                        notice.kind.replace("_", " "),
                        f", escalated to tier {notice.escalated_to}" if notice.escalated_to else "",
                    )
            except Exception:  # the next round tries again; the database may be back
                log.exception("checking SLAs failed")
