"""The agent side of a ticket over the API: status, priority, tier and replies.

Each change lands in the ticket's history, the SLA clock reads it (first response,
pauses while waiting on the user), and the user sees it in their conversation. Only
with TIER0_API_TOKEN set and sent; every malformed request gets a precise 4xx.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.ticket_status import describe
from bot.sla import parse_sla
from bot.ticket_updates import hand_back
from bot.tickets import Ticket, TicketEvent, ticket_clock, ticket_sla
from tests.connectors.test_api import (
    api_sender,
    assert_error,
    messages_url,
    new_conversation,
    validate,
)
from tests.drivers import open_ticket

TOKEN = {"Authorization": "Bearer agent-token"}


@pytest.fixture
def agent_client(app, client):  # type: ignore[no-untyped-def]
    assistant = app.extensions["tier0"]
    assistant.settings = replace(assistant.settings, api_token="agent-token")
    return client


def make_ticket(client) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    conversation_id = client.post(
        "/api/v1/conversations", json={"timezone": "Asia/Tokyo"}, headers=TOKEN
    ).get_json()["id"]
    send = api_sender(client, conversation_id)
    send({"text": "I need to talk to a human"})
    replies = send({"text": "the nightly export stopped running"})
    return conversation_id, open_ticket(send, replies)["ticket_id"]


def bot_lines(client, conversation_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    view = client.get(f"/api/v1/conversations/{conversation_id}").get_json()
    return [m["text"] for m in view["messages"] if m["sender"] == "bot"]


def test_status_changes_and_replies_reach_the_user_and_the_history(agent_client) -> None:  # type: ignore[no-untyped-def]
    conversation_id, ticket_id = make_ticket(agent_client)
    url = f"/api/v1/tickets/{ticket_id}"
    reply = agent_client.post(
        f"{url}/replies", json={"text": "Looking at it now.", "agent": "Ana"}, headers=TOKEN
    )
    assert reply.status_code == 201, reply.get_json()
    validate(reply.get_json(), "Ticket")
    assert "Ana (support), on ticket" in bot_lines(agent_client, conversation_id)[-1]

    changed = agent_client.patch(url, json={"status": "pending", "tier": 2}, headers=TOKEN)
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    validate(body, "Ticket")
    assert (body["status"], body["tier"]) == ("pending", 2)
    assert body["sla"]["paused"] is True and body["sla"]["resolution_due"] is None
    assert [(h["kind"], h["status"], h["actor"]) for h in body["history"]] == [
        ("status", "new", "system"),
        ("takeover", None, "agent"),  # replying takes the conversation over
        ("reply", None, "agent"),
        ("status", "pending", "agent"),
        ("change", None, "agent"),
    ]
    assert "needs something from you" in bot_lines(agent_client, conversation_id)[-1]

    reopened = agent_client.patch(url, json={"status": "open"}, headers=TOKEN).get_json()
    assert reopened["sla"]["paused"] is False and reopened["sla"]["resolution_due"]
    again = agent_client.patch(url, json={"status": "open"}, headers=TOKEN).get_json()
    assert len(again["history"]) == len(reopened["history"]), "no change, nothing recorded"


def test_agent_endpoints_need_the_token(client, app) -> None:  # type: ignore[no-untyped-def]
    conversation_id = new_conversation(client)
    send = api_sender(client, conversation_id)
    send({"text": "I need to talk to a human"})
    ticket_id = open_ticket(send, send({"text": "backups fail"}))["ticket_id"]
    url = f"/api/v1/tickets/{ticket_id}"
    assert_error(client.patch(url, json={"status": "open"}), 403, "forbidden")
    assistant = app.extensions["tier0"]
    assistant.settings = replace(assistant.settings, api_token="agent-token")
    assert_error(client.patch(url, json={"status": "open"}), 401, "unauthorized")
    wrong = {"Authorization": "Bearer nope"}
    assert_error(
        client.post(f"{url}/replies", json={"text": "hi"}, headers=wrong), 401, "unauthorized"
    )
    assert client.get(url, headers=TOKEN).get_json()["status"] == "new", "nothing changed"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("patch", "", {"status": "done"}, 400, "invalid_field"),
        ("patch", "", {"status": 3}, 400, "invalid_field"),
        ("patch", "", {"priority": "P9"}, 400, "invalid_field"),
        ("patch", "", {"tier": 4}, 400, "invalid_field"),
        ("patch", "", {"tier": True}, 400, "invalid_field"),
        ("patch", "", {"tier": "2"}, 400, "invalid_field"),
        ("patch", "", {"owner": "ana"}, 400, "unknown_field"),
        ("patch", "", {}, 400, "invalid_body"),
        ("patch", "", [], 400, "invalid_body"),
        ("post", "/replies", {"text": "   "}, 400, "invalid_field"),
        ("post", "/replies", {"text": "x" * 4001}, 400, "invalid_field"),
        ("post", "/replies", {"text": 5}, 400, "invalid_field"),
        ("post", "/replies", {"message": "hi"}, 400, "unknown_field"),
    ],
)
def test_malformed_agent_requests(  # type: ignore[no-untyped-def]
    agent_client, method: str, path: str, body: Any, status: int, code: str
) -> None:
    _, ticket_id = make_ticket(agent_client)
    call = getattr(agent_client, method)
    response = call(f"/api/v1/tickets/{ticket_id}{path}", json=body, headers=TOKEN)
    assert_error(response, status, code)
    ticket = agent_client.get(f"/api/v1/tickets/{ticket_id}", headers=TOKEN).get_json()
    assert [h["kind"] for h in ticket["history"]] == ["status"], "nothing was recorded"
    assert (ticket["status"], ticket["priority"], ticket["tier"]) == ("new", "P3", 1)


def test_unknown_tickets_and_non_json(agent_client) -> None:  # type: ignore[no-untyped-def]
    assert_error(
        agent_client.patch("/api/v1/tickets/999999", json={"status": "open"}, headers=TOKEN),
        404,
        "ticket_not_found",
    )
    assert_error(
        agent_client.patch("/api/v1/tickets/abc", json={"status": "open"}, headers=TOKEN),
        404,
        "ticket_not_found",
    )
    assert_error(
        agent_client.post("/api/v1/tickets/999999/replies", json={"text": "hi"}, headers=TOKEN),
        404,
        "ticket_not_found",
    )
    _, ticket_id = make_ticket(agent_client)
    response = agent_client.patch(
        f"/api/v1/tickets/{ticket_id}",
        data="status=open",
        headers=TOKEN,
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, 415, "unsupported_media_type")


def test_due_times_are_told_in_the_users_time_zone(agent_client) -> None:  # type: ignore[no-untyped-def]
    conversation_id, ticket_id = make_ticket(agent_client)
    replies = agent_client.post(
        messages_url(conversation_id), json={"text": f"status of ticket {ticket_id}"}
    ).get_json()["replies"]
    [answer] = [r for r in replies if r["type"] == "ticket"]
    due = datetime.fromisoformat(
        agent_client.get(f"/api/v1/tickets/{ticket_id}", headers=TOKEN).get_json()["sla"][
            "first_response_due"
        ]
    )
    assert f"{due.astimezone(ZoneInfo('Asia/Tokyo')):%H:%M} your time" in answer["text"]
    bad = agent_client.post("/api/v1/conversations", json={"timezone": "Mars/Olympus"})
    assert_error(bad, 400, "invalid_field")


def _ticket(history: list[tuple[str, str | None, datetime]], status: str) -> Ticket:
    opened = history[0][2]
    return Ticket(
        id=1,
        status=status,
        priority="P1",
        tier=1,
        subject="s",
        channel="api",
        user_id="u",
        conversation_id=None,
        intent=None,
        entities={},
        transcript=[],
        steps_tried=[],
        articles=[],
        created_at=opened,
        updated_at=history[-1][2],
        history=tuple(TicketEvent(k, s, "agent", at) for k, s, at in history),
    )


def test_the_clock_reads_first_response_pauses_and_resolution_from_history() -> None:
    t0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    hours = lambda n: t0 + timedelta(hours=n)  # noqa: E731
    ticket = _ticket(
        [
            ("status", "new", t0),
            ("reply", None, hours(0.25)),
            ("status", "pending", hours(1)),
            ("status", "pending", hours(1.5)),  # again: still the one pause
            ("status", "open", hours(3)),
            ("status", "pending", hours(4)),
        ],
        "pending",
    )
    clock = ticket_clock(ticket)
    assert clock.first_response_at == hours(0.25)
    assert clock.pauses == ((hours(1), hours(3)), (hours(4), None))
    assert clock.resolved_at is None
    # P1: 4 h resolution on 24x7; 1 h before the pause + 1 h after = 2 h used, paused now
    status = ticket_sla(ticket, parse_sla(None), hours(10))
    assert status.paused and not status.resolution_breached

    resumed = replace(
        ticket,
        status="open",
        history=(*ticket.history, TicketEvent("status", "open", "agent", hours(5))),
    )
    due = ticket_sla(resumed, parse_sla(None), hours(5)).resolution_due
    assert due == hours(7), "4 h from 09:00, plus the 2 h and 1 h paused"

    done = replace(
        resumed,
        status="resolved",
        history=(*resumed.history, TicketEvent("status", "resolved", "agent", hours(6))),
    )
    assert ticket_clock(done).resolved_at == hours(6)
    assert not ticket_sla(done, parse_sla(None), hours(30)).resolution_breached
    assert "your time" in describe(resumed, parse_sla(None), hours(5), "Europe/Paris")


def test_after_an_agents_reply_the_bot_speaks_of_the_resolution(agent_client) -> None:  # type: ignore[no-untyped-def]
    conversation_id, ticket_id = make_ticket(agent_client)
    url = f"/api/v1/tickets/{ticket_id}"
    before = agent_client.get(url, headers=TOKEN).get_json()["sla"]
    agent_client.post(f"{url}/replies", json={"text": "On it."}, headers=TOKEN)
    with agent_client.application.extensions["tier0"].store.transaction() as tx:
        hand_back(tx, ticket_id, "Ana", datetime.now(UTC))  # the reply took it over
    ask = {"text": f"when will someone answer ticket {ticket_id}"}
    replies = agent_client.post(messages_url(conversation_id), json=ask).get_json()["replies"]
    [answer] = [r for r in replies if r["type"] == "ticket"]
    assert "should be resolved by" in answer["text"] and "should answer" not in answer["text"]
    paused = agent_client.patch(url, json={"status": "pending"}, headers=TOKEN).get_json()["sla"]
    assert paused["first_response_due"] == before["first_response_due"], "settled once answered"
    assert paused["resolution_due"] is None


def test_control_characters_and_long_fields_are_refused_or_cleaned(agent_client) -> None:  # type: ignore[no-untyped-def]
    conversation_id, ticket_id = make_ticket(agent_client)
    url = f"/api/v1/tickets/{ticket_id}/replies"
    answer = agent_client.post(url, json={"text": "x\u0000y", "agent": "Bob"}, headers=TOKEN)
    assert answer.status_code == 201, answer.get_json()  # the NUL is dropped, not stored
    assert bot_lines(agent_client, conversation_id)[-1].endswith(": x y")
    bad_agent = agent_client.post(url, json={"text": "hi", "agent": "Bo\u0000b"}, headers=TOKEN)
    assert_error(bad_agent, 400, "invalid_field")
    long = agent_client.post("/api/v1/conversations", json={"channel": "c" * 33})
    assert_error(long, 400, "invalid_field")
    nul = agent_client.post("/api/v1/conversations", json={"channel": "we\u0000b"})
    assert_error(nul, 400, "invalid_field")


def test_a_resolved_ticket_lets_the_user_open_a_new_one(agent_client) -> None:  # type: ignore[no-untyped-def]
    conversation_id, ticket_id = make_ticket(agent_client)
    agent_client.patch(f"/api/v1/tickets/{ticket_id}", json={"status": "resolved"}, headers=TOKEN)
    assert "open a new ticket" in bot_lines(agent_client, conversation_id)[-1]
    send = api_sender(agent_client, conversation_id)
    second = open_ticket(send, send({"text": "I need to talk to a human"}))
    assert second["ticket_id"] != ticket_id
