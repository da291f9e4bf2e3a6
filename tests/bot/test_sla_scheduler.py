"""The SLA scheduler against a real database: each warning and breach recorded once,
a breach escalating as its policy says, however often and from however many servers
it runs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.sla import parse_sla
from bot.sla.scheduler import check_slas
from bot.store import Store

# Round the clock, so the expected times are plain arithmetic.
POLICIES = parse_sla(
    {
        "policies": {
            "P1": {
                "first_response": "1h",
                "resolution": "4h",
                "calendar": "24x7",
                "escalate_to": 3,
            },
            "P2": {
                "first_response": "2h",
                "resolution": "8h",
                "calendar": "24x7",
                "escalate_to": 2,
            },
            "P3": {"first_response": "8h", "resolution": "40h", "calendar": "24x7"},
        }
    }
)
OPENED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make_ticket(store: Store, priority: str, status: str = "new", tier: int = 1) -> int:
    with store.transaction() as tx:
        row = tx.add_ticket(
            channel="web",
            user_id="u",
            subject="s",
            status=status,
            priority=priority,
            tier=tier,
            created_at=OPENED,
            updated_at=OPENED,
        )
        return int(row.id)


def kinds(store: Store, ticket_id: int) -> list[str]:
    with store.transaction() as tx:
        return [event.kind for event in tx.sla_events(ticket_id)]


def tier(store: Store, ticket_id: int) -> int:
    with store.transaction() as tx:
        row = tx.ticket(ticket_id)
        assert row is not None
        return int(row.tier)


def test_warnings_and_breaches_are_recorded_once_and_escalate(database_url: str) -> None:
    store = Store.from_url(database_url)
    p2 = make_ticket(store, "P2")
    p3 = make_ticket(store, "P3")
    resolved = make_ticket(store, "P1", status="resolved")
    # 1 h in: P2's 2 h first response is half used; nothing to record.
    assert check_slas(store, POLICIES, OPENED + timedelta(hours=1)) == []
    # 1 h 30 in: 75 % of P2's first response.
    notices = check_slas(store, POLICIES, OPENED + timedelta(hours=1, minutes=30))
    assert [(n.ticket_id, n.kind) for n in notices] == [(p2, "first_response_warning")]
    assert check_slas(store, POLICIES, OPENED + timedelta(hours=1, minutes=40)) == []
    # 2 h 01 in: P2 breached, escalated from tier 1 to 2; P3 untouched.
    notices = check_slas(store, POLICIES, OPENED + timedelta(hours=2, minutes=1))
    assert [(n.ticket_id, n.kind, n.escalated_to) for n in notices] == [
        (p2, "first_response_breached", 2)
    ]
    assert tier(store, p2) == 2 and tier(store, p3) == 1
    with store.transaction() as tx:
        [change] = [e for e in tx.ticket_events(p2) if e.kind == "change"]
        assert (change.actor, change.data["to"], change.data["sla"]) == (
            "system",
            2,
            "first_response_breached",
        )
    # 9 h in: P3's 8 h first response breached too (its policy does not escalate).
    notices = check_slas(store, POLICIES, OPENED + timedelta(hours=9))
    assert [(n.ticket_id, n.kind, n.escalated_to) for n in notices] == [
        (p2, "resolution_breached", None),  # already at tier 2
        (p3, "first_response_breached", None),
    ]
    assert kinds(store, p2) == [
        "first_response_warning",
        "first_response_breached",
        "resolution_breached",
    ]
    assert kinds(store, p3) == ["first_response_breached"], "no warning once breached"
    assert kinds(store, resolved) == [], "resolved tickets are not checked"
    store.close()


def test_servers_checking_together_record_and_escalate_once(database_url: str) -> None:
    store = Store.from_url(database_url)
    ticket = make_ticket(store, "P1")
    late = OPENED + timedelta(hours=5)
    results: list[int] = []

    def check() -> None:
        own = Store.from_url(database_url, upgrade=False)  # another server's connection
        try:
            results.append(len(check_slas(own, POLICIES, late)))
        finally:
            own.close()

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kinds(store, ticket)) == ["first_response_breached", "resolution_breached"]
    assert sum(results) == 2, "each event once across the four servers"
    assert tier(store, ticket) == 3
    store.close()
