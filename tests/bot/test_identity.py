"""One person across channels: the email a channel vouches for finds their tickets
from any channel they use; without it, tickets stay with the account that opened
them."""

from __future__ import annotations

from typing import Any

from bot.engine import Engine
from bot.types import IncomingMessage, Participant, reply_to_dict
from tests.drivers import open_ticket


def driver(engine: Engine, participant: Participant):  # type: ignore[no-untyped-def]
    conversation_id = engine.start_conversation(participant)

    def send(message: dict[str, str]) -> list[dict[str, Any]]:
        incoming = IncomingMessage(conversation_id, message.get("text"), message.get("choice"))
        return [reply_to_dict(r) for r in engine.handle(incoming)]

    return send


def _ticket(send) -> int:  # type: ignore[no-untyped-def]
    send({"text": "talk to a human"})
    return int(open_ticket(send, send({"text": "the export to CSV hangs"}))["ticket_id"])


def test_a_ticket_from_slack_is_found_from_teams_by_email(assistant) -> None:  # type: ignore[no-untyped-def]
    engine = assistant.engine
    slack = driver(engine, Participant("slack", "T1:U1", email="Dana@Example.com"))
    number = _ticket(slack)
    teams = driver(engine, Participant("teams", "tenant:aad-1", email="dana@example.com "))
    status = teams({"text": f"what's the status of ticket {number}"})
    assert any(r["type"] == "ticket" and r["ticket_id"] == number for r in status), status
    mine = teams({"text": "my tickets"})
    assert [r["ticket_id"] for r in mine if r["type"] == "ticket"] == [number]
    ticket = engine.ticket(number)
    assert ticket is not None and ticket.email == "dana@example.com"


def test_without_the_same_email_tickets_stay_private(assistant) -> None:  # type: ignore[no-untyped-def]
    engine = assistant.engine
    number = _ticket(driver(engine, Participant("slack", "T1:U1", email="dana@example.com")))
    for other in (
        Participant("teams", "tenant:aad-2", email="eve@example.com"),
        Participant("teams", "tenant:aad-3"),
        Participant("api", "anonymous"),
    ):
        send = driver(engine, other)
        status = send({"text": f"status of ticket {number}"})
        assert "couldn't find ticket" in status[0]["text"], (other, status)
        mine = send({"text": "my tickets"})
        assert not any(r["type"] == "ticket" for r in mine)


def test_an_email_is_claimed_only_with_the_api_token(app, client) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    assistant = app.extensions["tier0"]
    untrusted = client.post("/api/v1/conversations", json={"email": "dana@example.com"})
    row_email = _email_of(assistant, untrusted.get_json()["id"])
    assert row_email is None  # anyone may post; nobody becomes Dana by saying so
    assistant.settings = replace(assistant.settings, api_token="t0ken")
    trusted = client.post(
        "/api/v1/conversations",
        json={"user": "dana", "email": "Dana@Example.com"},
        headers={"Authorization": "Bearer t0ken"},
    )
    assert _email_of(assistant, trusted.get_json()["id"]) == "dana@example.com"
    bad = client.post(
        "/api/v1/conversations", json={"email": "not an email"},
        headers={"Authorization": "Bearer t0ken"},
    )  # fmt: skip
    assert bad.status_code == 400 and "email" in bad.get_json()["error"]["message"]


def _email_of(assistant, conversation_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with assistant.store.transaction() as tx:
        return tx.conversation(conversation_id).email
