"""The Request Tracker connector against a real RT 5 (started by `.ci/rt.sh`).

Skipped with the reason when no RT answers locally; under CI (env CI set) that is a
failure instead, since CI runs .ci/rt.sh first. RT_URL (default
http://127.0.0.1:$RT_PORT, port 8081) and RT_TOKEN_FILE (default /tmp/tier0-rt/token)
say where it is.
"""

from __future__ import annotations

import socket
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.helpdesk import TicketSystemRejected, TicketSystemUnavailable, ticket_description
from bot.tickets import Ticket
from connectors.helpdesks.http import JsonClient
from connectors.helpdesks.rt import RequestTracker
from tests.rt_local import KEY_FIELD, QUEUE, RT_URL, auth, rt_token

_auth = auth


@pytest.fixture(scope="module")
def token() -> str:
    return rt_token()


@pytest.fixture(scope="module")
def rt(token: str) -> RequestTracker:
    return RequestTracker(RT_URL, token, queue=QUEUE, key_field=KEY_FIELD)


@pytest.fixture(scope="module")
def raw(token: str) -> JsonClient:
    """REST2 itself, to look at and change tickets behind the connector's back."""
    return JsonClient(RT_URL + "/REST/2.0", _auth(token))


@pytest.fixture
def key() -> str:
    return f"tier0-test-{uuid.uuid4().hex}"


def make_ticket(subject: str = "VPN drops every ten minutes", priority: str = "P2") -> Ticket:
    now = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    return Ticket(
        id=4711,
        status="new",
        priority=priority,
        tier=1,
        subject=subject,
        channel="web",
        user_id="u-42",
        conversation_id="c-1",
        intent="vpn_problem",
        entities={"os": "Windows 11", "client": "GlobalProtect"},
        transcript=[
            {"sender": "user", "text": "My VPN drops every ten minutes, café Wi-Fi or not"},
            {"sender": "bot", "text": "Let's try reinstalling the client."},
        ],
        steps_tried=[{"title": "Reinstall the client", "outcome": "not_fixed"}],
        articles=[{"article_id": "vpn-drops", "title": "VPN keeps disconnecting"}],
        created_at=now,
        updated_at=now,
        queue="network",
    )


@pytest.fixture
def created(rt: RequestTracker, key: str) -> Iterator[tuple[str, Ticket]]:
    ticket = make_ticket()
    external = rt.create(ticket, key)
    yield external.key, ticket


def set_status(raw: JsonClient, rt_id: str, status: str) -> None:
    answer = raw.request("PUT", f"/ticket/{rt_id}", {"Status": status})
    # REST2 answers 200 with a list of messages even when a change is refused.
    assert answer.status == 200 and "changed" in str(answer.body), answer.body


def test_create_makes_the_ticket_in_the_queue_with_key_and_body(
    rt: RequestTracker, raw: JsonClient, key: str
) -> None:
    ticket = make_ticket()
    external = rt.create(ticket, key)
    assert external.system == "rt" and external.key.isdigit() and external.status == "new"
    assert external.url == f"{RT_URL}/Ticket/Display.html?id={external.key}"

    params = urllib.parse.urlencode({"fields[Queue]": "Name"})
    body: dict[str, Any] = raw.request("GET", f"/ticket/{external.key}?{params}").body
    assert body["Subject"] == ticket.subject
    assert body["Queue"]["Name"] == QUEUE
    assert body["Status"] == "new"
    assert body["Priority"] == "75"
    fields = {f["name"]: f["values"] for f in body["CustomFields"]}
    assert fields[KEY_FIELD] == [key]

    attachments = raw.request(
        "GET", f"/ticket/{external.key}/attachments?fields=Content,ContentType"
    ).body["items"]
    assert attachments[0]["ContentType"] == "text/plain"
    assert attachments[0]["Content"].strip() == ticket_description(ticket).strip()


def test_find_returns_the_ticket_created_with_the_key(
    rt: RequestTracker, created: tuple[str, Ticket], key: str
) -> None:
    rt_id, _ = created
    found = rt.find(key)
    assert found is not None
    assert (found.system, found.key, found.status) == ("rt", rt_id, "new")
    assert found.url == f"{RT_URL}/Ticket/Display.html?id={rt_id}"


def test_find_an_unknown_key_is_none_and_matches_exactly(
    rt: RequestTracker, created: tuple[str, Ticket], key: str
) -> None:
    assert rt.find(f"tier0-test-never-{uuid.uuid4().hex}") is None
    assert rt.find(key.upper()) is None  # TicketSQL alone would match this
    assert rt.find(key[:-1]) is None


def test_keys_with_quotes_and_backslashes_are_quoted(rt: RequestTracker) -> None:
    key = f"it's a \\ key' OR id > '0 {uuid.uuid4().hex}"
    assert rt.find(key) is None  # neither a malformed query (400) nor every ticket
    external = rt.create(make_ticket(), key)
    found = rt.find(key)
    assert found is not None and found.key == external.key


def test_get_follows_status_changes_made_in_rt(
    rt: RequestTracker, raw: JsonClient, created: tuple[str, Ticket]
) -> None:
    rt_id, _ = created
    got = rt.get(rt_id)
    assert got is not None and (got.key, got.status) == (rt_id, "new")

    for rt_status, tier0_status in [
        ("open", "open"),
        ("stalled", "pending"),
        ("resolved", "resolved"),
        ("rejected", "closed"),
    ]:
        set_status(raw, rt_id, rt_status)
        got = rt.get(rt_id)
        assert got is not None and got.status == tier0_status, rt_status


def test_get_of_a_deleted_or_missing_ticket_is_none(
    rt: RequestTracker, raw: JsonClient, created: tuple[str, Ticket]
) -> None:
    rt_id, _ = created
    assert raw.request("DELETE", f"/ticket/{rt_id}").status == 204
    assert rt.get(rt_id) is None
    assert rt.get("999999999") is None
    with pytest.raises(TicketSystemRejected):
        rt.get("12/history")


def test_a_bad_token_is_rejected(rt: RequestTracker, created: tuple[str, Ticket]) -> None:
    rt_id, _ = created
    bad = RequestTracker(RT_URL, "1-1-00000000000000000000000000000000")
    with pytest.raises(TicketSystemRejected, match="401"):
        bad.get(rt_id)
    with pytest.raises(TicketSystemRejected, match="401"):
        bad.find("any")
    with pytest.raises(TicketSystemRejected, match="401"):
        bad.create(make_ticket(), f"tier0-test-{uuid.uuid4().hex}")


def test_a_field_missing_from_the_queue_is_refused_before_creating(
    token: str, raw: JsonClient
) -> None:
    # RT itself would create the ticket and drop the unknown field without a word.
    wrong = RequestTracker(RT_URL, token, key_field="No Such Field")
    subject = f"must not exist {uuid.uuid4().hex}"
    with pytest.raises(TicketSystemRejected, match="not applied"):
        wrong.create(make_ticket(subject=subject), "k")
    no_queue = RequestTracker(RT_URL, token, queue="No Such Queue")
    with pytest.raises(TicketSystemRejected, match="no queue"):
        no_queue.create(make_ticket(subject=subject), "k")
    query = urllib.parse.urlencode({"query": f"Subject = '{subject}'"})
    assert raw.request("GET", f"/tickets?{query}").body["count"] == 0


def test_a_stopped_server_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = RequestTracker(f"http://127.0.0.1:{port}", "1-1-x", timeout=2)
    with pytest.raises(TicketSystemUnavailable):
        down.create(make_ticket(), "k")
    with pytest.raises(TicketSystemUnavailable):
        down.find("k")
    with pytest.raises(TicketSystemUnavailable):
        down.get("1")
