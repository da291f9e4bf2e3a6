"""The Zendesk adapter against a fake Zendesk over real HTTP: the contract both keep."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.helpdesk import (
    ExternalTicket,
    TicketSystemRejected,
    TicketSystemUnavailable,
    ticket_description,
)
from connectors.helpdesks.http import JsonClient, retry_after
from connectors.helpdesks.zendesk import Zendesk
from tests.fakes.tickets import a_ticket
from tests.fakes.zendesk_server import FakeZendesk

KEY = "tier0-ticket-42-attempt"


@pytest.fixture
def server() -> Iterator[FakeZendesk]:
    with FakeZendesk(email="agent@example.com", token="zd-token") as fake:
        yield fake


@pytest.fixture
def zendesk(server: FakeZendesk) -> Zendesk:
    return Zendesk(server.url, "agent@example.com", "zd-token", timeout=5)


def raw_client(server: FakeZendesk) -> JsonClient:
    """The adapter's HTTP client with the adapter's credentials, to send bodies it never would."""
    token = base64.b64encode(b"agent@example.com/token:zd-token").decode()
    return JsonClient(server.url, {"Authorization": f"Basic {token}"}, timeout=5)


def test_create_find_get_round_trip(server: FakeZendesk, zendesk: Zendesk) -> None:
    ticket = a_ticket()
    created = zendesk.create(ticket, KEY)
    expected = ExternalTicket("zendesk", "1001", "new", f"{server.url}/agent/tickets/1001")
    assert created == expected
    assert zendesk.find(KEY) == expected
    assert zendesk.get("1001") == expected

    (sent,) = server.requests_to("POST", "/api/v2/tickets")
    assert sent.headers["idempotency-key"] == KEY
    assert sent.body == {
        "ticket": {
            "subject": ticket.subject,
            "comment": {"body": ticket_description(ticket)},
            "priority": "high",
            "tags": ["tier0"],
            "external_id": KEY,
        }
    }
    stored = server.tickets[1001]
    assert stored["description"].startswith("Opened by Tier0 from web for user u-17.")
    assert stored["external_id"] == KEY


@pytest.mark.parametrize(
    ("priority", "expected"), [("P1", "urgent"), ("P2", "high"), ("P3", "normal"), ("P4", "low")]
)
def test_priorities(server: FakeZendesk, zendesk: Zendesk, priority: str, expected: str) -> None:
    zendesk.create(a_ticket(priority=priority), KEY)
    assert server.tickets[1001]["priority"] == expected


@pytest.mark.parametrize(
    ("zendesk_status", "tier0_status"),
    [
        ("new", "new"),
        ("open", "open"),
        ("pending", "pending"),
        ("hold", "open"),
        ("solved", "resolved"),
        ("closed", "closed"),
    ],
)
def test_every_status_maps(
    server: FakeZendesk, zendesk: Zendesk, zendesk_status: str, tier0_status: str
) -> None:
    created = zendesk.create(a_ticket(), KEY)
    server.set_status(created.key, zendesk_status)
    assert zendesk.get(created.key).status == tier0_status  # type: ignore[union-attr]
    assert zendesk.find(KEY).status == tier0_status  # type: ignore[union-attr]


def test_unknown_or_deleted_ticket_is_none(server: FakeZendesk, zendesk: Zendesk) -> None:
    created = zendesk.create(a_ticket(), KEY)
    assert zendesk.find("never-sent") is None
    assert zendesk.get("999999") is None
    server.delete(created.key)
    assert zendesk.get(created.key) is None
    assert zendesk.find(KEY) is None


def test_retry_with_the_same_key_gets_the_same_ticket(
    server: FakeZendesk, zendesk: Zendesk
) -> None:
    first = zendesk.create(a_ticket(), KEY)
    again = zendesk.create(a_ticket(), KEY)
    assert again == first
    assert len(server.tickets) == 1
    assert len(server.requests_to("POST", "/api/v2/tickets")) == 2


def test_idempotency_lookup_header_says_miss_then_hit(server: FakeZendesk) -> None:
    client = raw_client(server)
    body = {"ticket": {"subject": "s", "comment": {"body": "b"}}}
    headers = {"Idempotency-Key": "k-1"}
    first = client.request("POST", "/api/v2/tickets", body, headers)
    second = client.request("POST", "/api/v2/tickets", body, headers)
    assert (first.status, second.status) == (201, 201)
    assert first.headers["x-idempotency-lookup"] == "miss"
    assert second.headers["x-idempotency-lookup"] == "hit"
    assert second.body == first.body
    assert len(server.tickets) == 1


def test_same_key_with_a_different_body_is_refused(server: FakeZendesk) -> None:
    client = raw_client(server)
    headers = {"Idempotency-Key": "k-1"}
    client.request("POST", "/api/v2/tickets", {"ticket": {"comment": {"body": "b"}}}, headers)
    with pytest.raises(TicketSystemRejected, match="IdempotentRequestError"):
        client.request("POST", "/api/v2/tickets", {"ticket": {"comment": {"body": "c"}}}, headers)
    assert len(server.tickets) == 1


def test_a_changed_ticket_retried_with_its_key_gets_the_first_ticket(
    server: FakeZendesk, zendesk: Zendesk
) -> None:
    first = zendesk.create(a_ticket(), KEY)
    again = zendesk.create(a_ticket(subject="VPN drops (edited)"), KEY)
    assert again == first
    assert len(server.tickets) == 1


def test_find_outlives_the_idempotency_window(server: FakeZendesk, zendesk: Zendesk) -> None:
    created = zendesk.create(a_ticket(), KEY)
    server.forget_idempotency_keys()  # two hours later
    assert zendesk.find(KEY) == created


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"ticket": {"subject": "no comment"}}, "Description: cannot be blank"),
        ({"ticket": {"comment": {"body": "   "}}}, "BlankValue"),
        ({"ticket": {"comment": {"body": "b"}, "priority": "P1"}}, "Priority: is not valid"),
        ({"ticket": {"comment": {"body": "b"}, "status": "done"}}, "Status: is not valid"),
        ({"ticket": {"comment": {"body": "b"}, "tags": "tier0"}}, "Tags: must be a list"),
        ({"ticket": {"comment": {"body": "b"}, "subject": 7}}, "subject: must be a string"),
        ({"ticket": {"comment": {"body": "b"}, "subjct": "typo"}}, "UnknownAttribute"),
        ({"ticket": {"comment": {"text": "b"}}}, "Description: cannot be blank"),
        ({"ticket": "a string"}, "ticket is required"),
        ({"subject": "no ticket root"}, "ticket is required"),
        (["not", "an", "object"], "not a JSON object"),
    ],
)
def test_malformed_create_is_rejected(server: FakeZendesk, body: object, expected: str) -> None:
    with pytest.raises(TicketSystemRejected, match=expected):
        raw_client(server).request("POST", "/api/v2/tickets", body)
    assert server.tickets == {}


def test_record_invalid_has_zendesk_shape(server: FakeZendesk) -> None:
    body = {"ticket": {"comment": {"body": "b"}, "priority": "P1"}}
    response = raw_client(server).request("POST", "/api/v2/tickets", body, allow=(422,))
    assert response.status == 422
    assert response.body == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "priority": [{"description": "Priority: is not valid", "error": "InvalidValue"}]
        },
    }


@pytest.mark.parametrize(
    ("email", "token"), [("agent@example.com", "wrong"), ("other@example.com", "zd-token")]
)
def test_bad_credentials_are_rejected(server: FakeZendesk, email: str, token: str) -> None:
    zendesk = Zendesk(server.url, email, token, timeout=5)
    with pytest.raises(TicketSystemRejected, match="401"):
        zendesk.create(a_ticket(), KEY)
    with pytest.raises(TicketSystemRejected, match="401"):
        zendesk.find(KEY)
    with pytest.raises(TicketSystemRejected, match="401"):
        zendesk.get("1001")
    assert server.tickets == {}


@pytest.mark.parametrize("mode", ["down", "drop"])
def test_server_down_is_unavailable(server: FakeZendesk, zendesk: Zendesk, mode: str) -> None:
    server.mode = mode
    with pytest.raises(TicketSystemUnavailable):
        zendesk.create(a_ticket(), KEY)
    with pytest.raises(TicketSystemUnavailable):
        zendesk.find(KEY)
    with pytest.raises(TicketSystemUnavailable):
        zendesk.get("1001")
    server.mode = "up"
    assert zendesk.create(a_ticket(), KEY).key == "1001"


def test_rate_limit_is_unavailable_with_retry_after(server: FakeZendesk, zendesk: Zendesk) -> None:
    server.mode = "throttle"
    server.retry_after = 42
    with pytest.raises(TicketSystemUnavailable, match="HTTP 429, retry after 42 s") as caught:
        zendesk.create(a_ticket(), KEY)
    assert isinstance(caught.value, TicketSystemUnavailable)
    assert caught.value.retry_after == 42
    with pytest.raises(TicketSystemUnavailable):
        zendesk.get("1001")
    assert server.tickets == {}


def test_nothing_listening_is_unavailable() -> None:
    with FakeZendesk() as fake:
        url = fake.url
    with pytest.raises(TicketSystemUnavailable):
        Zendesk(url, "agent@example.com", "zd-token", timeout=2).get("1")


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    assert retry_after({"Retry-After": "Tue, 04 Mar 2025 09:31:00 GMT"}, now) == 60
    assert retry_after({"retry-after": "120"}, now) == 120
    assert retry_after({"Retry-After": "soon"}, now) is None
    assert retry_after({}, now) is None
