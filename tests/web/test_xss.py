"""Every hostile string, in chat messages, article bodies and front matter, comes out
of every page as inert text: no event handler, no script, no script URL, and never
with its markup intact. (tests/e2e/test_web_ui_browser.py checks the same pages in
Chromium, where nothing may run.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.connectors.test_api import api_sender
from tests.drivers import open_ticket
from tests.web.xss_payloads import PAYLOADS, assert_inert

TOKEN = {"Authorization": "Bearer editor-token"}


def hostile_article(number: int, payload: str) -> dict[str, Any]:
    return {
        "fields": {
            "id": f"xss-{number}",
            "title": f"XSS {number} {payload}",
            "category": "faq",
            "summary": payload,
            "tags": [payload],
            "products": [payload],
            "questions": [f"xss {number} {payload}"],
        },
        "body": f"{payload}\n\n## {payload}\n\n- {payload}\n\n`{payload}`\n\n[{payload}](https://example.com)\n",
    }


def publish(client, body: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    created = client.post("/api/v1/articles", json=body, headers=TOKEN)
    assert created.status_code == 201, created.get_json()
    article_id = created.get_json()["article"]["id"]
    assert client.post(f"/api/v1/articles/{article_id}/submit", headers=TOKEN).status_code == 200
    published = client.post(f"/api/v1/articles/{article_id}/publish", headers=TOKEN)
    assert published.status_code == 200, published.get_json()
    return str(article_id)


@pytest.fixture
def hostile_kb(web_app) -> list[str]:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    return [publish(client, hostile_article(n, p)) for n, p in enumerate(PAYLOADS)]


def test_there_are_at_least_thirty_payloads() -> None:
    assert len(set(PAYLOADS)) >= 30


def test_articles_with_hostile_bodies_and_front_matter_render_inert(
    web_app,
    hostile_kb: list[str],
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    public = web_app.test_client()
    editor = signed_in("editor")
    for article_id in hostile_kb:
        assert_inert(public.get(f"/kb/{article_id}").get_data(as_text=True), f"/kb/{article_id}")
        edit = editor.get(f"/admin/articles/{article_id}")
        assert edit.status_code == 200
        assert_inert(edit.get_data(as_text=True), f"/admin/articles/{article_id}")
        history = editor.get(f"/admin/articles/{article_id}/history").get_data(as_text=True)
        assert_inert(history, f"history of {article_id}")
    for path in ("/", "/admin/articles", "/admin/articles?q=xss"):
        client = editor if path.startswith("/admin") else public
        assert_inert(client.get(path).get_data(as_text=True), path)


def test_the_preview_of_hostile_text_is_inert(signed_in) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    page = editor.get("/admin/articles/new").get_data(as_text=True)
    from tests.web.conftest import csrf_of

    token = csrf_of(page)
    for number, payload in enumerate(PAYLOADS):
        fields = hostile_article(number, payload)
        form = {
            k: (", ".join(v) if isinstance(v, list) else v) for k, v in fields["fields"].items()
        }
        response = editor.post(
            "/admin/preview", data=form | {"body": fields["body"]}, headers={"X-CSRF-Token": token}
        )
        assert response.status_code == 200
        assert_inert(response.get_json()["html"], f"preview of payload {number}")


def test_hostile_chat_messages_are_inert_in_the_agent_console(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    conversation = client.post("/api/v1/conversations").get_json()["id"]
    send = api_sender(client, conversation)
    for payload in PAYLOADS:
        send({"text": payload})
    replies = send({"text": "I need a human"})
    replies = (
        send({"text": PAYLOADS[2]}) if not any(r["type"] == "choices" for r in replies) else replies
    )
    ticket = open_ticket(send, replies)
    agent = signed_in("agent")
    page = agent.get(f"/agent/tickets/{ticket['ticket_id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "onerror" in html  # the payloads are there, as text
    assert_inert(html, "agent console ticket")
    assert_inert(agent.get("/agent").get_data(as_text=True), "agent queue")
