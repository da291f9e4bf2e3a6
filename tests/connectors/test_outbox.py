"""Nothing lost: tickets requested while the helpdesk is down arrive once it is back.

Users open tickets through the real engine (each conversation a full handoff); the
outbox delivers them to a real Request Tracker (behind a gate the test can shut, so
the port refuses connections as a stopped server's would) and to the Zendesk and
Jira fakes. Each user has their reference at once; once the helpdesk is back every
ticket exists exactly once; a reply lost after the helpdesk created the ticket does
not make a second one; status changes come back and are told to the user.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import Assistant, build_assistant
from bot.helpdesk import TicketSystem
from bot.outbox import HelpdeskSync
from bot.settings import Settings
from bot.store.models import TicketDeliveryRow
from connectors.helpdesks.http import JsonClient
from connectors.helpdesks.jira import JiraServiceManagement
from connectors.helpdesks.rt import RequestTracker
from connectors.helpdesks.zendesk import Zendesk
from tests.drivers import engine_driver, open_ticket
from tests.fakes.jira_server import FakeJira
from tests.fakes.tcp_gate import TcpGate
from tests.fakes.zendesk_server import FakeZendesk
from tests.rt_local import KEY_FIELD, QUEUE, RT_URL, auth, rt_token

USERS = 50


class Clock:
    """The outbox's clock, moved by the test instead of waiting for backoffs."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(minutes=1)  # after the tickets made now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def request_tickets(assistant: Assistant, count: int) -> list[tuple[Any, dict[str, Any]]]:
    """`count` users each ask for a human and send the ticket; (their chat, ticket reply)."""
    requested = []
    for number in range(count):
        send = engine_driver(assistant.engine, user=f"user-{number}")
        send({"text": "I need to talk to a human"})
        replies = send({"text": f"the label printer in room {number} jams on every page"})
        requested.append((send, open_ticket(send, replies)))
    return requested


def drain(sync: HelpdeskSync, clock: Clock, rounds: int = 12) -> None:
    for _ in range(rounds):
        sync.deliver_due()
        clock.advance(1000)  # past any backoff


def deliveries(assistant: Assistant) -> list[TicketDeliveryRow]:
    with assistant.store.transaction() as tx:
        rows = tx.session.query(TicketDeliveryRow).order_by(TicketDeliveryRow.id).all()
        tx.session.expunge_all()
        return rows


@pytest.fixture
def rt_gate() -> Iterator[TcpGate]:
    rt_token()  # skips (or fails under CI) without a local RT
    target = urllib.parse.urlsplit(RT_URL)
    gate = TcpGate(target.hostname or "127.0.0.1", target.port or 80)
    yield gate
    gate.shut()


def make_assistant(settings: Settings, system: TicketSystem) -> Assistant:
    return build_assistant(settings, ticket_system=system)


def test_fifty_tickets_while_rt_is_down_arrive_exactly_once(
    settings: Settings, rt_gate: TcpGate
) -> None:
    system = RequestTracker(rt_gate.url, rt_token(), queue=QUEUE, key_field=KEY_FIELD, timeout=5)
    assistant = make_assistant(settings, system)
    clock = Clock()
    sync = HelpdeskSync(assistant.store, system, clock=clock)
    try:
        requested = request_tickets(assistant, USERS)  # RT's port refuses connections
        references = [ticket["ticket_id"] for _, ticket in requested]
        assert len(set(references)) == USERS, "every user has their own reference at once"
        report = sync.deliver_due(limit=100)
        assert report.delivered == [] and len(report.failed) == USERS
        assert all(d.attempts == 1 and d.last_error for d in deliveries(assistant))

        rt_gate.open()  # RT is back
        drain(sync, clock)
        rows = deliveries(assistant)
        assert [r.state for r in rows] == ["delivered"] * USERS
        raw = JsonClient(RT_URL + "/REST/2.0", auth(rt_token()))
        for row in rows:  # each key is on exactly one RT ticket
            query = urllib.parse.urlencode(
                {"query": f"'CF.{{{KEY_FIELD}}}' = '{row.idempotency_key}'", "fields": "id"}
            )
            found = raw.request("GET", f"/tickets?{query}").body
            assert found["total"] == 1, row.idempotency_key
            assert str(found["items"][0]["id"]) == row.external_key
        assert len({r.external_key for r in rows}) == USERS
    finally:
        assistant.close()


@pytest.fixture
def zendesk_server() -> Iterator[FakeZendesk]:
    with FakeZendesk() as fake:
        yield fake


def test_fifty_tickets_while_zendesk_is_down_then_status_flows_back(
    settings: Settings, zendesk_server: FakeZendesk
) -> None:
    system = Zendesk(zendesk_server.url, "agent@example.com", "zd-token", timeout=5)
    assistant = make_assistant(settings, system)
    clock = Clock()
    sync = HelpdeskSync(assistant.store, system, clock=clock)
    try:
        zendesk_server.mode = "down"
        requested = request_tickets(assistant, USERS)
        assert len(sync.deliver_due(limit=100).failed) == USERS
        zendesk_server.mode = "drop"  # connections cut: still nothing delivered
        clock.advance(1000)
        assert len(sync.deliver_due(limit=100).failed) == USERS
        zendesk_server.mode = "up"
        drain(sync, clock)
        assert len(zendesk_server.tickets) == USERS
        external_ids = [t["external_id"] for t in zendesk_server.tickets.values()]
        assert len(set(external_ids)) == USERS

        _, ticket = requested[7]
        row = next(r for r in deliveries(assistant) if r.ticket_id == ticket["ticket_id"])
        zendesk_server.set_status(row.external_key or "", "solved")
        report = sync.poll_statuses()
        assert report.status_changes == [(ticket["ticket_id"], "resolved")]
        stored = assistant.engine.ticket(ticket["ticket_id"])
        assert stored is not None and stored.status == "resolved"
        view = assistant.engine.conversation(stored.conversation_id or "")
        told = [m for m in view.messages if m["sender"] == "bot" and "Update on" in m["text"]]
        assert told and "resolved" in told[-1]["text"]
        assert [e.status for e in stored.history if e.kind == "status"] == ["new", "resolved"]
        assert sync.poll_statuses(timedelta(hours=1)).status_changes == []  # polled just now
    finally:
        assistant.close()


def test_a_reply_lost_after_creation_makes_no_duplicate(settings: Settings) -> None:
    with FakeJira() as server:
        system = JiraServiceManagement(server.url, "bot@example.com", "jira-token", "1", "10")
        assistant = make_assistant(settings, system)
        clock = Clock()
        sync = HelpdeskSync(assistant.store, system, clock=clock)
        try:
            server.mode = "lose_reply"  # Jira creates the request, the answer never comes
            request_tickets(assistant, 3)
            assert len(sync.deliver_due().failed) == 3
            assert len(server.issues) == 3
            server.mode = "up"
            drain(sync, clock)
            assert len(server.issues) == 3, "the retry found the earlier requests"
            assert {r.state for r in deliveries(assistant)} == {"delivered"}
            assert len(server.requests_to("POST", "/rest/servicedeskapi/request")) == 3
        finally:
            assistant.close()


def test_backoff_grows_and_honours_retry_after(
    settings: Settings, zendesk_server: FakeZendesk
) -> None:
    system = Zendesk(zendesk_server.url, "agent@example.com", "zd-token", timeout=5)
    assistant = make_assistant(settings, system)
    clock = Clock()
    sync = HelpdeskSync(assistant.store, system, clock=clock, jitter=lambda: 0.5)
    try:
        zendesk_server.mode = "down"
        request_tickets(assistant, 1)
        waits = []
        for _ in range(5):
            before = clock.now
            sync.deliver_due()
            [row] = deliveries(assistant)
            waits.append((row.next_attempt_at - before).total_seconds())
            clock.now = row.next_attempt_at
        assert waits == [2, 4, 8, 16, 32]
        zendesk_server.mode = "throttle"
        zendesk_server.retry_after = 42
        before = clock.now
        sync.deliver_due()
        [row] = deliveries(assistant)
        assert (row.next_attempt_at - before).total_seconds() == 42
        assert "429" in (row.last_error or "")
        clock.advance(41)
        assert sync.deliver_due().failed == [], "not due before the Retry-After"
    finally:
        assistant.close()


def test_a_rejected_delivery_waits_the_longest_and_recovers(
    settings: Settings, zendesk_server: FakeZendesk
) -> None:
    wrong = Zendesk(zendesk_server.url, "agent@example.com", "wrong-token", timeout=5)
    assistant = make_assistant(settings, wrong)
    clock = Clock()
    try:
        request_tickets(assistant, 1)
        HelpdeskSync(assistant.store, wrong, clock=clock).deliver_due()
        [row] = deliveries(assistant)
        assert "401" in (row.last_error or "") and row.state == "pending"
        assert (row.next_attempt_at - clock.now).total_seconds() == 900
        fixed = Zendesk(zendesk_server.url, "agent@example.com", "zd-token", timeout=5)
        clock.advance(900)
        assert HelpdeskSync(assistant.store, fixed, clock=clock).deliver_due().delivered
    finally:
        assistant.close()


def test_two_workers_never_send_the_same_ticket(
    settings: Settings, zendesk_server: FakeZendesk
) -> None:
    system = Zendesk(zendesk_server.url, "agent@example.com", "zd-token", timeout=5)
    assistant = make_assistant(settings, system)
    clock = Clock()
    try:
        request_tickets(assistant, 10)
        first = HelpdeskSync(assistant.store, system, clock=clock)
        second = HelpdeskSync(assistant.store, system, clock=clock)
        with assistant.store.transaction() as tx:  # both see the same due rows...
            due = tx.due_deliveries(clock.now, 100)
            claimed = [tx.claim_delivery(row, clock.now + timedelta(minutes=2)) for row in due]
            again = [tx.claim_delivery(row, clock.now + timedelta(minutes=2)) for row in due]
        assert all(claimed) and not any(again), "...but only one claim of each succeeds"
        clock.advance(200)  # the first worker's claims lapsed: it died
        delivered = first.deliver_due().delivered + second.deliver_due().delivered
        assert sorted(delivered) == sorted({*delivered}) and len(delivered) == 10
        assert len(zendesk_server.tickets) == 10
    finally:
        assistant.close()


class Wrapped:
    """A ticket system that runs `before_create` first, to interleave another worker or
    a failure at the worst moment."""

    def __init__(self, inner: TicketSystem, before_create: Any = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.before_create = before_create
        self.creates = 0

    def create(self, ticket: Any, key: str) -> Any:
        self.creates += 1
        if self.before_create is not None:
            hook, self.before_create = self.before_create, None
            hook()
        return self.inner.create(ticket, key)

    def find(self, key: str) -> Any:
        return self.inner.find(key)

    def get(self, key: str) -> Any:
        return self.inner.get(key)


def test_a_second_worker_takes_only_what_the_first_has_not_claimed(settings: Settings) -> None:
    with FakeJira() as server:  # no idempotency header: only the claims prevent duplicates
        jira = JiraServiceManagement(server.url, "bot@example.com", "jira-token", "1", "10")
        clock = Clock()
        assistant = make_assistant(settings, jira)
        try:
            request_tickets(assistant, 6)
            second = HelpdeskSync(assistant.store, jira, clock=clock)

            def meanwhile() -> None:  # the first worker's first send is slow
                clock.advance(30)
                assert len(second.deliver_due().delivered) == 5

            first = HelpdeskSync(assistant.store, Wrapped(jira, meanwhile), clock=clock)
            assert len(first.deliver_due().delivered) == 1
            assert len(server.issues) == 6
            assert len(server.requests_to("POST", "/rest/servicedeskapi/request")) == 6
        finally:
            assistant.close()


def test_a_worker_that_died_after_the_helpdesk_created_the_ticket(settings: Settings) -> None:
    with FakeJira() as server:
        jira = JiraServiceManagement(server.url, "bot@example.com", "jira-token", "1", "10")
        clock = Clock()
        assistant = make_assistant(settings, jira)
        try:
            request_tickets(assistant, 1)
            dying = HelpdeskSync(assistant.store, jira, clock=clock)
            [row] = deliveries(assistant)
            claimed = dying._claim(row.id)  # claimed, sent, then the process was killed
            assert claimed is not None
            ticket, key, _ = claimed
            jira.create(ticket, key)
            clock.advance(121)  # the claim lapses
            HelpdeskSync(assistant.store, jira, clock=clock).deliver_due()
            [row] = deliveries(assistant)
            assert row.state == "delivered" and len(server.issues) == 1
        finally:
            assistant.close()


class Garbled(FakeZendesk):
    """Answers 200 with an HTML page (a proxy's or an SSO login's) to chosen requests."""

    garble = ""  # "create", "show" or ""

    def route(self, request: Any) -> Any:
        from tests.fakes.http_fake import Reply

        kind = "create" if request.method == "POST" else "show"
        if self.garble == kind and (kind == "create" or request.path.count("/") == 4):
            if kind == "show" and not request.path.endswith(f"/{self.garbled_id}.json"):
                return super().route(request)
            return Reply(200, "<html>Sign in</html>")
        return super().route(request)


def test_an_unexpected_answer_is_a_failure_to_retry_not_a_crash(settings: Settings) -> None:
    with Garbled() as server:
        system = Zendesk(server.url, "agent@example.com", "zd-token", timeout=5)
        clock = Clock()
        assistant = make_assistant(settings, system)
        try:
            request_tickets(assistant, 3)
            sync = HelpdeskSync(assistant.store, system, clock=clock)
            server.garble = "create"
            assert len(sync.deliver_due().failed) == 3
            rows = deliveries(assistant)
            assert all("unexpected answer" in (r.last_error or "") for r in rows)
            server.garble = ""
            drain(sync, clock)
            assert {r.state for r in deliveries(assistant)} == {"delivered"}
            assert len({t["external_id"] for t in server.tickets.values()}) == 3

            first, *others = deliveries(assistant)
            server.garbled_id = first.external_key
            server.garble = "show"  # one ticket's status cannot be read...
            for row in others:
                server.set_status(row.external_key or "", "open")
            changes = sync.poll_statuses().status_changes
            assert sorted(t for t, _ in changes) == sorted(r.ticket_id for r in others)
        finally:
            assistant.close()


def test_polling_never_undoes_an_agents_change_in_tier0(
    settings: Settings, zendesk_server: FakeZendesk
) -> None:
    from bot.ticket_updates import update_ticket

    system = Zendesk(zendesk_server.url, "agent@example.com", "zd-token", timeout=5)
    clock = Clock()
    assistant = make_assistant(settings, system)
    try:
        [(_, ticket)] = request_tickets(assistant, 1)
        sync = HelpdeskSync(assistant.store, system, clock=clock)
        drain(sync, clock)
        with assistant.store.transaction() as tx:
            update_ticket(tx, ticket["ticket_id"], clock.now, status="resolved")
        assert sync.poll_statuses().status_changes == []  # Zendesk still says "new"
        stored = assistant.engine.ticket(ticket["ticket_id"])
        assert stored is not None and stored.status == "resolved"
        [row] = deliveries(assistant)
        zendesk_server.set_status(row.external_key or "", "open")  # a real change there
        clock.advance(60)
        assert sync.poll_statuses().status_changes == [(ticket["ticket_id"], "open")]
    finally:
        assistant.close()


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("http://127.0.0.1:9", {"Authorization": "token S3CRET-TOKEN\nX-Injected: 1"}),
        ("https://admin:S3CRET-TOKEN@rt.example.com", {}),
    ],
)
def test_malformed_credentials_never_reach_an_error_message(
    url: str, headers: dict[str, str]
) -> None:
    from bot.helpdesk import TicketSystemRejected

    with pytest.raises(TicketSystemRejected) as caught:
        JsonClient(url, headers, timeout=2).request("GET", "/REST/2.0/queues/all")
    assert "S3CRET" not in str(caught.value)
    assert "malformed" in str(caught.value)
