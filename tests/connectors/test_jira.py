"""The Jira Service Management adapter against a fake JSM site over real HTTP."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterator

import pytest

from bot.helpdesk import (
    ExternalTicket,
    TicketSystemRejected,
    TicketSystemUnavailable,
    ticket_description,
)
from connectors.helpdesks.http import JsonClient
from connectors.helpdesks.jira import JiraServiceManagement, key_label
from tests.fakes.jira_server import FakeJira
from tests.fakes.tickets import a_ticket

KEY = "tier0-ticket-42"
VALID = {
    "serviceDeskId": "1",
    "requestTypeId": "10",
    "requestFieldValues": {"summary": "s", "description": "d", "labels": ["tier0"]},
}


@pytest.fixture
def server() -> Iterator[FakeJira]:
    with FakeJira(email="bot@example.com", token="jira-token") as fake:
        yield fake


def adapter(server: FakeJira, **options: object) -> JiraServiceManagement:
    settings: dict[str, object] = {"service_desk_id": "1", "request_type_id": "10", "timeout": 5}
    settings.update(options)
    return JiraServiceManagement(server.url, "bot@example.com", "jira-token", **settings)  # type: ignore[arg-type]


@pytest.fixture
def jira(server: FakeJira) -> JiraServiceManagement:
    return adapter(server)


def raw_client(server: FakeJira) -> JsonClient:
    token = base64.b64encode(b"bot@example.com:jira-token").decode()
    return JsonClient(server.url, {"Authorization": f"Basic {token}"}, timeout=5)


def test_create_find_get_round_trip(server: FakeJira, jira: JiraServiceManagement) -> None:
    ticket = a_ticket()
    created = jira.create(ticket, KEY)
    expected = ExternalTicket("jira", "SD-1", "new", f"{server.url}/browse/SD-1")
    assert created == expected
    assert jira.find(KEY) == expected
    assert jira.get("SD-1") == expected

    (sent,) = server.requests_to("POST", "/rest/servicedeskapi/request")
    assert sent.body == {
        "serviceDeskId": "1",
        "requestTypeId": "10",
        "requestFieldValues": {
            "summary": ticket.subject,
            "description": ticket_description(ticket),
            "labels": ["tier0", f"tier0-key-{KEY}"],
        },
    }
    (search,) = server.requests_to("GET", "/rest/api/3/search/jql")
    assert search.query["jql"] == [f'labels = "tier0-key-{KEY}" ORDER BY created ASC']
    assert search.query["fields"] == ["status"]


def test_priority_is_set_only_when_the_request_type_has_it(server: FakeJira) -> None:
    adapter(server).create(a_ticket(priority="P1"), "k-1")
    assert "priority" not in server.issues["SD-1"]["fields"]
    ids = {"P1": "1", "P2": "2", "P3": "3", "P4": "4"}
    adapter(server, priority_ids=ids).create(a_ticket(priority="P1"), "k-2")
    assert server.issues["SD-2"]["fields"]["priority"] == {"id": "1"}


@pytest.mark.parametrize(
    ("name", "category", "expected"),
    [
        ("Waiting for support", "NEW", "new"),
        ("Open", "NEW", "new"),
        ("Waiting for customer", "INDETERMINATE", "pending"),
        ("Pending", "INDETERMINATE", "pending"),
        ("In progress", "INDETERMINATE", "open"),
        ("Escalated", "INDETERMINATE", "open"),
        ("Work in progress", "UNDEFINED", "open"),
        ("Resolved", "DONE", "resolved"),
        ("Done", "DONE", "resolved"),
        ("Closed", "DONE", "closed"),
        ("Canceled", "DONE", "closed"),
        ("Declined", "DONE", "closed"),
    ],
)
def test_every_status_maps(
    server: FakeJira, jira: JiraServiceManagement, name: str, category: str, expected: str
) -> None:
    created = jira.create(a_ticket(), KEY)
    server.set_status(created.key, name, category)
    assert jira.get(created.key).status == expected  # type: ignore[union-attr]
    assert jira.find(KEY).status == expected  # type: ignore[union-attr]  # platform API's key


def test_find_returns_what_an_earlier_attempt_created(
    server: FakeJira, jira: JiraServiceManagement
) -> None:
    """JSM has no idempotency key: the outbox finds before it creates again."""
    first = jira.create(a_ticket(), KEY)
    jira.create(a_ticket(), "another-ticket")
    assert jira.find(KEY) == first
    assert jira.find("never-sent") is None


def test_find_prefers_the_earliest_of_duplicates(
    server: FakeJira, jira: JiraServiceManagement
) -> None:
    first = jira.create(a_ticket(), KEY)
    jira.create(a_ticket(), KEY)
    assert jira.find(KEY) == first


def test_a_key_with_spaces_still_makes_a_valid_label(
    server: FakeJira, jira: JiraServiceManagement
) -> None:
    key = "ticket 42 / attempt"
    label = key_label(key)
    assert " " not in label and len(label) <= 255 and label == key_label(key)
    created = jira.create(a_ticket(), key)
    assert server.issues["SD-1"]["fields"]["labels"] == ["tier0", label]
    assert jira.find(key) == created


def test_unknown_or_deleted_request_is_none(server: FakeJira, jira: JiraServiceManagement) -> None:
    created = jira.create(a_ticket(), KEY)
    assert jira.get("SD-99") is None
    server.delete(created.key)
    assert jira.get(created.key) is None
    assert jira.find(KEY) is None


def test_a_request_type_without_labels_is_refused(server: FakeJira) -> None:
    with pytest.raises(TicketSystemRejected, match="'labels' is not valid"):
        adapter(server, request_type_id="11").create(a_ticket(), KEY)
    assert server.issues == {}


def with_fields(**values: object) -> dict[str, object]:
    return {**VALID, "requestFieldValues": {**VALID["requestFieldValues"], **values}}  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({k: v for k, v in VALID.items() if k != "serviceDeskId"}, "service project"),
        ({**VALID, "serviceDeskId": "99"}, "service project '99' does not exist"),
        ({**VALID, "serviceDeskId": 1}, "service project 1 does not exist"),
        ({**VALID, "requestTypeId": "77"}, "request type '77' does not exist"),
        ({**VALID, "requestTypeId": 10}, "request type 10 does not exist"),
        ({**VALID, "requestFieldValues": ["summary"]}, "must be a JSON object"),
        ({**VALID, "fields": {}}, "Unrecognized field"),
        (with_fields(summary=""), "Summary"),
        (with_fields(summary="x" * 256), "Summary"),
        ({**VALID, "requestFieldValues": {"description": "d"}}, "Summary"),
        (with_fields(description={"type": "doc"}), "Description"),
        (with_fields(labels=["tier0 key"]), "Labels"),
        (with_fields(labels="tier0"), "Labels"),
        (with_fields(priority="High"), "Priority"),
        (with_fields(priority={"id": "9"}), "Priority"),
        (with_fields(components=[]), "'components' is not valid"),
        ("not an object", "not a JSON object"),
    ],
)
def test_malformed_create_is_rejected(server: FakeJira, body: object, expected: str) -> None:
    with pytest.raises(TicketSystemRejected, match="HTTP 400") as caught:
        raw_client(server).request("POST", "/rest/servicedeskapi/request", body)
    assert expected in str(caught.value)
    assert server.issues == {}


def test_servicedeskapi_error_has_its_shape(server: FakeJira) -> None:
    body = {**VALID, "requestTypeId": "77"}
    response = raw_client(server).request(
        "POST", "/rest/servicedeskapi/request", body, allow=(400,)
    )
    assert set(response.body) == {"errorMessage", "i18nErrorMessage"}
    assert set(response.body["i18nErrorMessage"]) == {"i18nKey", "parameters"}


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("", "Unbounded JQL"),
        ("ORDER BY created", "Unbounded JQL"),
        ("project = SD", "Error in the JQL Query"),
    ],
)
def test_bad_searches_are_rejected(server: FakeJira, jql: str, expected: str) -> None:
    query = urllib.parse.urlencode({"jql": jql, "fields": "status"})
    with pytest.raises(TicketSystemRejected, match=expected):
        raw_client(server).request("GET", f"/rest/api/3/search/jql?{query}")


def test_search_returns_only_ids_unless_fields_are_asked(
    server: FakeJira, jira: JiraServiceManagement
) -> None:
    jira.create(a_ticket(), KEY)
    client = raw_client(server)
    body = {"jql": f'labels = "{key_label(KEY)}"'}
    bare = client.request("POST", "/rest/api/3/search/jql", body).body
    assert bare == {"issues": [{"id": "10001"}], "isLast": True}
    full = client.request("POST", "/rest/api/3/search/jql", {**body, "fields": ["status"]}).body
    assert full["issues"][0]["key"] == "SD-1"
    assert full["issues"][0]["fields"]["status"]["statusCategory"]["key"] == "new"


def test_bad_credentials_are_rejected(server: FakeJira) -> None:
    jira = JiraServiceManagement(server.url, "bot@example.com", "wrong", "1", "10", timeout=5)
    for call in (lambda: jira.create(a_ticket(), KEY), lambda: jira.find(KEY)):
        with pytest.raises(TicketSystemRejected, match="401"):
            call()
    with pytest.raises(TicketSystemRejected, match="401"):
        jira.get("SD-1")
    assert server.issues == {}


@pytest.mark.parametrize("mode", ["down", "drop"])
def test_server_down_is_unavailable(
    server: FakeJira, jira: JiraServiceManagement, mode: str
) -> None:
    server.mode = mode
    with pytest.raises(TicketSystemUnavailable):
        jira.create(a_ticket(), KEY)
    with pytest.raises(TicketSystemUnavailable):
        jira.find(KEY)
    with pytest.raises(TicketSystemUnavailable):
        jira.get("SD-1")
    server.mode = "up"
    assert jira.create(a_ticket(), KEY).key == "SD-1"


def test_rate_limit_is_unavailable_with_retry_after(
    server: FakeJira, jira: JiraServiceManagement
) -> None:
    server.mode = "throttle"
    with pytest.raises(TicketSystemUnavailable, match="HTTP 429, retry after 7 s") as caught:
        jira.create(a_ticket(), KEY)
    assert isinstance(caught.value, TicketSystemUnavailable)
    assert caught.value.retry_after == 7
    with pytest.raises(TicketSystemUnavailable):
        jira.find(KEY)
    assert server.issues == {}
