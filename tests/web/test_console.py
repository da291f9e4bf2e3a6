"""The agent console at /agent: queues by tier in SLA order, the ticket view, and the
agent's acts — a reply reaches the user's conversation, status/priority/tier change,
take over and hand back."""

from __future__ import annotations

import re

from tests.connectors.test_api import api_sender
from tests.drivers import open_ticket
from tests.web.conftest import csrf_of


def make_ticket(client, problem: str, urgency: str = "medium") -> tuple[str, int]:  # type: ignore[no-untyped-def]
    conversation = client.post("/api/v1/conversations").get_json()["id"]
    send = api_sender(client, conversation)
    replies = send({"text": "talk to a human"})
    replies = send({"text": problem})
    ticket = open_ticket(send, replies, urgency=urgency)
    return conversation, int(ticket["ticket_id"])


def test_queue_orders_by_the_nearest_deadline_and_filters_by_tier(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    _, relaxed = make_ticket(client, "the export to CSV is slow", urgency="low")
    _, urgent = make_ticket(client, "production is down for everyone, urgent", urgency="high")
    agent = signed_in("agent")
    page = agent.get("/agent").get_data(as_text=True)
    order = [int(n) for n in re.findall(r'href="/agent/tickets/(\d+)"', page)]
    assert order.index(urgent) < order.index(relaxed)
    assert "left" in page and "first response" in page
    tier_one = agent.get("/agent?tier=1").get_data(as_text=True)
    tier_three = agent.get("/agent?tier=3").get_data(as_text=True)
    listed = set(re.findall(r'/agent/tickets/(\d+)"', tier_one + tier_three))
    assert str(relaxed) in listed


def test_a_reply_from_the_console_reaches_the_users_conversation(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    conversation, ticket = make_ticket(client, "the sync fails with error 0x80070005")
    agent = signed_in("agent")
    page = agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    assert "0x80070005" in page and "Steps tried" in page
    sent = agent.post(
        f"/agent/tickets/{ticket}/reply",
        data={"csrf_token": csrf_of(page), "text": "Please run the repair tool."},
    )
    assert sent.status_code == 302 and "done=replied" in sent.headers["Location"]
    after = agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    first_response = after.split("<dt>First response</dt>")[1].split("</dd>")[0]
    assert "met" in first_response and "left" not in first_response  # answered in time
    queue = agent.get("/agent").get_data(as_text=True)
    assert "resolution," in queue.split(f'/agent/tickets/{ticket}"', 2)[2].split("</tr>")[0]
    lines = client.get(f"/api/v1/conversations/{conversation}").get_json()["messages"]
    assert "Agent Person (support), on ticket" in lines[-1]["text"]
    assert (
        lines[-1]["agent"] == "Agent Person" and lines[-1]["reply"] == "Please run the repair tool."
    )
    assert "Please run the repair tool." in lines[-1]["text"]
    # An empty reply is refused with a message, and nothing is sent.
    empty = agent.post(
        f"/agent/tickets/{ticket}/reply", data={"csrf_token": csrf_of(page), "text": " "}
    )
    assert empty.status_code == 422 and "must not be empty" in empty.get_data(as_text=True)
    assert len(client.get(f"/api/v1/conversations/{conversation}").get_json()["messages"]) == len(
        lines
    )


def test_status_priority_and_tier_change_from_the_console(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    _, ticket = make_ticket(client, "printer driver install fails")
    agent = signed_in("agent")
    token = csrf_of(agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True))
    changed = agent.post(
        f"/agent/tickets/{ticket}/update",
        data={"csrf_token": token, "status": "open", "priority": "P1", "tier": "2"},
    )
    assert changed.status_code == 302
    data = client.get(
        f"/api/v1/tickets/{ticket}", headers={"Authorization": "Bearer api-token"}
    ).get_json()
    assert (data["status"], data["priority"], data["tier"]) == ("open", "P1", 2)
    bad = agent.post(
        f"/agent/tickets/{ticket}/update", data={"csrf_token": token, "priority": "P9"}
    )
    assert bad.status_code == 422 and "priority must be one of" in bad.get_data(as_text=True)
    assert agent.get("/agent/tickets/999999").status_code == 404
    assert agent.post(f"/agent/tickets/{ticket}/update", data={"status": "open"}).status_code == 400


def test_take_over_quiets_the_bot_and_hand_back_restores_it(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    conversation, ticket = make_ticket(client, "the widget shows a blank panel")
    send = api_sender(client, conversation)
    agent = signed_in("agent")
    token = csrf_of(agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True))
    assert (
        agent.post(f"/agent/tickets/{ticket}/takeover", data={"csrf_token": token}).status_code
        == 302
    )
    page = agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    assert "Taken over by Agent Person" in page and "Hand back to the assistant" in page
    page = agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    after = re.search(r'data-after="(\d+)"', page).group(1)
    quiet = send({"text": "how do I install on windows"})
    assert "install-windows" not in str(quiet)
    # The ticket page fetches what the user wrote since it was loaded.
    news = agent.get(f"/agent/tickets/{ticket}/transcript?after={after}").get_json()
    assert "how do I install on windows" in news["html"] and news["after"] > int(after)
    assert (
        agent.get(f"/agent/tickets/{ticket}/transcript?after={news['after']}")
        .get_json()["html"]
        .strip()
        == ""
    )
    assert "how do I install on windows" in agent.get(f"/agent/tickets/{ticket}").get_data(
        as_text=True
    )
    assert (
        agent.post(f"/agent/tickets/{ticket}/handback", data={"csrf_token": token}).status_code
        == 302
    )
    answered = send({"text": "how do I install on windows"})
    assert "install-windows" in str(answered), answered


def test_go_to_a_ticket_and_the_recently_resolved_view(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    _, ticket = make_ticket(client, "license key rejected")
    agent = signed_in("agent")
    found = agent.get(f"/agent?ticket=%23{ticket}")
    assert found.status_code == 302 and found.headers["Location"] == f"/agent/tickets/{ticket}"
    missing = agent.get("/agent?ticket=99999", follow_redirects=True).get_data(as_text=True)
    assert "There is no ticket with that number." in missing
    token = csrf_of(agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True))
    agent.post(f"/agent/tickets/{ticket}/update", data={"csrf_token": token, "status": "resolved"})
    assert f'/agent/tickets/{ticket}"' not in agent.get("/agent").get_data(as_text=True)
    done = agent.get("/agent?view=closed").get_data(as_text=True)
    assert f'/agent/tickets/{ticket}"' in done and "license key rejected" in done
