"""HTTP API v1 through the real Flask app: shapes, every malformed request, the OpenAPI
document checked against actual responses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest

from connectors.web.openapi import openapi_document
from tests.drivers import open_ticket

SPEC = openapi_document()


def validate(instance: Any, schema_name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    jsonschema.validate(instance, schema)


def new_conversation(client) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/conversations")
    assert response.status_code == 201
    validate(response.get_json(), "ConversationCreated")
    return response.get_json()["id"]


def api_sender(client, conversation_id: str):  # type: ignore[no-untyped-def]
    def send(message: dict[str, str]) -> list[dict[str, Any]]:
        response = client.post(messages_url(conversation_id), json=message)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["replies"]  # type: ignore[no-any-return]

    return send


def messages_url(conversation_id: str) -> str:
    return f"/api/v1/conversations/{conversation_id}/messages"


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    validate(body, "Error")
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_replies_match_the_documented_shape(client) -> None:  # type: ignore[no-untyped-def]
    conversation_id = new_conversation(client)
    response = client.post(messages_url(conversation_id), json={"text": "how do I back up tier0"})
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "Replies")
    article = next(r for r in body["replies"] if r["type"] == "article")
    assert article["url"].startswith("http://tier0.test/kb/")
    choices = next(r for r in body["replies"] if r["type"] == "choices")
    assert {c["id"] for c in choices["choices"]} == {"yes", "no"}

    transcript = client.get(f"/api/v1/conversations/{conversation_id}")
    assert transcript.status_code == 200
    validate(transcript.get_json(), "Conversation")
    assert transcript.get_json()["messages"][0]["text"] == "how do I back up tier0"


MALFORMED = [
    pytest.param({"json": {"text": ""}}, 400, "empty_text", id="empty text"),
    pytest.param({"json": {"text": "   \n"}}, 400, "empty_text", id="blank text"),
    pytest.param({"json": {"text": "x" * 4001}}, 413, "text_too_long", id="text over 4000"),
    pytest.param(
        {"data": "{not json", "content_type": "application/json"},
        400,
        "invalid_json",
        id="invalid JSON",
    ),
    pytest.param(
        {"data": "text=hello", "content_type": "application/x-www-form-urlencoded"},
        415,
        "unsupported_media_type",
        id="form content type",
    ),
    pytest.param(
        {"data": "hello", "content_type": "text/plain"},
        415,
        "unsupported_media_type",
        id="text/plain",
    ),
    pytest.param({"json": ["hello"]}, 400, "invalid_body", id="JSON array"),
    pytest.param({"json": {}}, 400, "invalid_body", id="neither text nor choice"),
    pytest.param({"json": {"text": "hi", "choice": "yes"}}, 400, "invalid_body", id="both"),
    pytest.param({"json": {"text": 42}}, 400, "invalid_field", id="text not a string"),
    pytest.param({"json": {"text": "hi", "extra": 1}}, 400, "unknown_field", id="unknown field"),
    pytest.param({"json": {"choice": "no-such-choice"}}, 422, "unknown_choice", id="bad choice"),
    pytest.param(
        {"data": '{"text": "\\ud800 install"}', "content_type": "application/json"},
        400,
        "invalid_text",
        id="lone surrogate",
    ),
    pytest.param(
        {"data": b"\xff\xfe\x00", "content_type": "application/json"},
        400,
        "invalid_json",
        id="binary body",
    ),
]


@pytest.mark.parametrize(("request_kwargs", "status", "code"), MALFORMED)
def test_malformed_messages_get_a_clear_4xx_and_the_conversation_survives(
    client,
    request_kwargs: dict[str, Any],
    status: int,
    code: str,  # type: ignore[no-untyped-def]
) -> None:
    conversation_id = new_conversation(client)
    assert_error(client.post(messages_url(conversation_id), **request_kwargs), status, code)
    still_works = client.post(messages_url(conversation_id), json={"text": "hello"})
    assert still_works.status_code == 200
    transcript = client.get(f"/api/v1/conversations/{conversation_id}").get_json()
    assert [m["text"] for m in transcript["messages"] if m["sender"] == "user"] == ["hello"]


def test_a_stale_choice_is_rejected_but_the_current_one_works(client) -> None:  # type: ignore[no-untyped-def]
    conversation_id = new_conversation(client)
    client.post(messages_url(conversation_id), json={"text": "how do I back up tier0"})
    assert client.post(messages_url(conversation_id), json={"choice": "yes"}).status_code == 200
    assert_error(
        client.post(messages_url(conversation_id), json={"choice": "yes"}), 422, "unknown_choice"
    )


def test_unknown_ids_are_404(client) -> None:  # type: ignore[no-untyped-def]
    assert_error(
        client.post(messages_url("nope"), json={"text": "hi"}), 404, "conversation_not_found"
    )
    assert_error(client.get("/api/v1/conversations/nope"), 404, "conversation_not_found")
    assert_error(client.get("/api/v1/tickets/999999"), 404, "ticket_not_found")
    assert_error(client.get("/api/v1/tickets/abc"), 404, "ticket_not_found")
    assert_error(client.get("/api/v1/tickets/" + "9" * 40), 404, "ticket_not_found")
    assert_error(client.get("/api/v1/no-such-endpoint"), 404, "not_found")


def test_wrong_method_and_huge_body(client) -> None:  # type: ignore[no-untyped-def]
    assert_error(client.get("/api/v1/conversations"), 405, "method_not_allowed")
    conversation_id = new_conversation(client)
    huge = {"text": "x" * (300 * 1024)}
    assert_error(
        client.post(messages_url(conversation_id), json=huge), 413, "request_entity_too_large"
    )


def test_conversation_body_is_validated(client) -> None:  # type: ignore[no-untyped-def]
    assert_error(client.post("/api/v1/conversations", json={"nope": 1}), 400, "unknown_field")
    assert_error(client.post("/api/v1/conversations", json={"user": 5}), 400, "invalid_field")
    assert_error(
        client.post("/api/v1/conversations", data="x", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )


def test_hostile_text_never_breaks_a_turn(client) -> None:  # type: ignore[no-untyped-def]
    conversation_id = new_conversation(client)
    for text in [
        '"unbalanced',
        "title:x AND (",
        "(" * 3000,
        "C++ can't *",
        "🔥💥🙈",
        "AND OR NOT",
        "\x00\x01 control",
        "<script>alert(1)</script>",
    ]:
        response = client.post(messages_url(conversation_id), json={"text": text})
        assert response.status_code == 200, (text, response.get_data(as_text=True))
        validate(response.get_json(), "Replies")


def test_ticket_document_and_token(client, app) -> None:  # type: ignore[no-untyped-def]
    conversation_id = new_conversation(client)
    client.post(messages_url(conversation_id), json={"text": "I want to talk to a human"})
    replies = client.post(
        messages_url(conversation_id), json={"text": "my password is hunter2 and login fails"}
    ).get_json()["replies"]
    ticket_id = open_ticket(api_sender(client, conversation_id), replies)["ticket_id"]
    ticket = client.get(f"/api/v1/tickets/{ticket_id}").get_json()
    validate(ticket, "Ticket")
    assert "hunter2" not in str(ticket), "secrets are redacted from the stored ticket"
    from datetime import datetime

    sla = ticket["sla"]  # P3 by default: 8 h / 40 h of Monday-Friday 09:00-17:00 UTC
    created = datetime.fromisoformat(ticket["created_at"])
    first_due = datetime.fromisoformat(sla["first_response_due"])
    assert created < first_due < datetime.fromisoformat(sla["resolution_due"])
    assert first_due - created >= timedelta(hours=8), "8 business hours are at least 8 hours"
    assert sla["breached"] is False
    assert (ticket["priority"], ticket["tier"], ticket["queue"]) == ("P3", 1, "general")

    assistant = app.extensions["tier0"]
    from dataclasses import replace

    assistant.settings = replace(assistant.settings, api_token="s3cret-token")
    assert_error(client.get(f"/api/v1/tickets/{ticket_id}"), 401, "unauthorized")
    wrong = {"Authorization": "Bearer nope"}
    assert_error(client.get(f"/api/v1/tickets/{ticket_id}", headers=wrong), 401, "unauthorized")
    right = {"Authorization": "Bearer s3cret-token"}
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=right).status_code == 200


def test_personal_data_is_redacted_everywhere_in_the_ticket(client) -> None:  # type: ignore[no-untyped-def]
    conversation_id = new_conversation(client)
    client.post(
        messages_url(conversation_id),
        json={
            "text": "login fails for jane.doe@example.com, api token sk-abc123def456ghi789jkl012"
        },
    )
    replies = client.post(
        messages_url(conversation_id), json={"text": "I want to talk to a human"}
    ).get_json()["replies"]
    ticket_id = open_ticket(api_sender(client, conversation_id), replies)["ticket_id"]
    ticket = client.get(f"/api/v1/tickets/{ticket_id}").get_json()
    assert "jane.doe" not in str(ticket)
    assert "sk-abc123" not in str(ticket)


def test_openapi_document_lists_every_api_route(client, app) -> None:  # type: ignore[no-untyped-def]
    served = client.get("/api/v1/openapi.json").get_json()
    assert served["openapi"] == "3.1.0"
    documented = {
        (path, method.upper()) for path, item in served["paths"].items() for method in item
    }
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule == "/healthz":
            path = rule.rule.replace("<", "{").replace(">", "}")
            if path.endswith("openapi.json"):
                continue
            routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    jsonschema.Draft202012Validator.check_schema({"components": served["components"]})


def test_health_and_article_pages(client) -> None:  # type: ignore[no-untyped-def]
    health = client.get("/healthz")
    assert health.status_code == 200
    validate(health.get_json(), "Health")
    page = client.get("/kb/install-windows")
    assert page.status_code == 200
    assert "<h1>" in page.get_data(as_text=True)
    assert 'href="/kb/troubleshoot-python-version"' in page.get_data(as_text=True)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    fix_page = client.get("/kb/troubleshoot-python-version").get_data(as_text=True)
    assert '<h3 id="check-version">Check which Python the environment uses</h3>' in fix_page
    assert "{#" not in fix_page
    assert "Ask:" not in fix_page and "Outcome:" not in fix_page and "→" not in fix_page
    link = '<a href="#which-system" rel="noopener noreferrer">Find out which system'
    assert link + " to install on</a>" in fix_page
    assert "A support agent takes over from here." in fix_page and "P3" not in fix_page
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert_error(client.get("/kb/no-such-article"), 404, "not_found")
    browser = client.get("/kb/no-such-article", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.status_code == 404
    assert browser.mimetype == "text/html"
    assert "All articles" in browser.get_data(as_text=True)
    api = client.get("/api/v1/tickets/999999", headers={"Accept": "text/html"})
    assert api.is_json, "the API answers JSON even to a browser"
    assert client.get("/").status_code == 200
