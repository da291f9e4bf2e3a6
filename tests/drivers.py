"""Ways to send one message to Tier0 for the conversation-script runner."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from bot.engine import Engine
from bot.scripts import Send
from bot.types import IncomingMessage, Participant, reply_to_dict


def engine_driver(engine: Engine, user: str = "tester") -> Send:
    conversation_id = engine.start_conversation(Participant("test", user))

    def send(message: dict[str, str]) -> list[dict[str, Any]]:
        incoming = IncomingMessage(
            conversation_id, text=message.get("text"), choice_id=message.get("choice")
        )
        return [reply_to_dict(r) for r in engine.handle(incoming)]

    return send


def flask_driver(client: Any) -> Send:
    created = client.post("/api/v1/conversations")
    assert created.status_code == 201, created.get_json()
    conversation_id = created.get_json()["id"]

    def send(message: dict[str, str]) -> list[dict[str, Any]]:
        response = client.post(f"/api/v1/conversations/{conversation_id}/messages", json=message)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["replies"]

    return send


def http_json(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """A real HTTP request with the standard library; returns (status, parsed JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def http_driver(base_url: str) -> tuple[str, Send]:
    status, created = http_json("POST", f"{base_url}/api/v1/conversations")
    assert status == 201, created
    conversation_id = created["id"]

    def send(message: dict[str, str]) -> list[dict[str, Any]]:
        url = f"{base_url}/api/v1/conversations/{conversation_id}/messages"
        status, body = http_json("POST", url, message)
        assert status == 200, body
        return body["replies"]

    return conversation_id, send


def open_ticket(
    send: Send, replies: list[dict[str, Any]], impact: str = "medium", urgency: str = "medium"
) -> dict[str, Any]:
    """Answer the handoff's questions (who is affected, how urgent, send it?) from
    `replies` on, with the given levels, and return the ticket reply."""
    for _ in range(4):
        ticket = next((r for r in replies if r["type"] == "ticket"), None)
        if ticket is not None:
            return ticket
        offered = {c["id"] for r in replies if r["type"] == "choices" for c in r["choices"]}
        for choice in (f"handoff:impact:{impact}", f"handoff:urgency:{urgency}", "handoff:send"):
            if choice in offered:
                replies = send({"choice": choice})
                break
        else:
            raise AssertionError(f"no handoff question in {replies}")
    raise AssertionError(f"no ticket after the handoff's questions: {replies}")
