"""POST /api/messages through the real Flask app: a message with a valid token is
answered at the activity's serviceUrl (a local fake), a guided fix runs on Adaptive
Card buttons alone, and every kind of bad token is refused with nothing processed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot.store.models import ChannelThreadRow, MessageRow
from tests.teams.fake_connector import APP_PASSWORD, FakeMicrosoft
from tests.teams.jwks_server import APP_ID, BotKey, JwksServer

KEY = BotKey("key-1", endorsements=["msteams"])
TENANT = "tenant-0001"


@pytest.fixture
def microsoft() -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft(APP_ID) as running:
        yield running


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with JwksServer([KEY]) as running:
        yield running


@pytest.fixture
def teams_app(assistant, microsoft: FakeMicrosoft, jwks: JwksServer):  # type: ignore[no-untyped-def]
    from connectors.web import create_app

    assistant.settings = replace(
        assistant.settings,
        teams_app_id=APP_ID,
        teams_app_password=APP_PASSWORD,
        teams_openid_metadata_url=jwks.metadata_url,
        teams_token_url=microsoft.token_url,
    )
    app = create_app(assistant=assistant)
    app.config["TESTING"] = True
    return app


def activity(microsoft: FakeMicrosoft, text: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "message",
        "id": f"act-{time.monotonic_ns()}",
        "channelId": "msteams",
        "serviceUrl": microsoft.url + "/",
        "from": {"id": "29:user-1", "aadObjectId": "aad-user-1", "name": "Dana"},
        "recipient": {"id": "28:bot", "name": "Tier0"},
        "conversation": {"id": "a:conv-1", "tenantId": TENANT, "conversationType": "personal"},
    }
    if text is not None:
        body["text"] = text
    body.update(extra)
    return body


def post(client, body: dict[str, Any], token: str | None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/messages", json=body, headers=headers)


def valid(microsoft: FakeMicrosoft, **claims: Any) -> str:
    return KEY.token(serviceurl=microsoft.url + "/", **claims)


def test_a_message_is_answered_at_the_service_url(teams_app, microsoft: FakeMicrosoft) -> None:  # type: ignore[no-untyped-def]
    client = teams_app.test_client()
    sent = activity(microsoft, "<at>Tier0</at> how do I install tier0 on windows?")
    response = post(client, sent, valid(microsoft))
    assert response.status_code == 200
    paths = [path for path, _, _ in microsoft.activities]
    assert paths and all(p == "/v3/conversations/a%3Aconv-1/activities" for p in paths)
    bodies = [body for _, body, _ in microsoft.activities]
    titles = [
        b["attachments"][0]["content"]["body"][0]["text"] for b in bodies if b.get("attachments")
    ]
    assert "Install Tier0 on Windows" in titles
    # The Bot Framework redelivering the same activity gets no second answer.
    microsoft.activities.clear()
    assert post(client, sent, valid(microsoft)).status_code == 200
    assert microsoft.activities == []


def test_an_agent_reply_reaches_the_teams_conversation(teams_app, assistant, microsoft) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from bot.ticket_updates import agent_reply

    client = teams_app.test_client()
    post(client, activity(microsoft, "talk to a human"), valid(microsoft))
    post(client, activity(microsoft, "the nightly export fails"), valid(microsoft))
    for label in ("Only me", "Today would be good", "Send it"):
        cards = [b for _, b, _ in microsoft.activities if b.get("attachments")]
        action = next(
            a for a in cards[-1]["attachments"][0]["content"]["actions"] if a["title"] == label
        )
        post(client, activity(microsoft, value=action["data"]), valid(microsoft))
    tickets = [b for _, b, _ in microsoft.activities if "Ticket #" in str(b)]
    assert tickets, microsoft.activities
    with assistant.store.transaction() as tx:
        from bot.store.models import TicketRow

        ticket_id = tx.session.query(TicketRow.id).scalar()
        agent_reply(
            tx, ticket_id, "Hi, this is Ana: please try **Repair**.", datetime.now(UTC), "Ana"
        )
    microsoft.activities.clear()
    teams_app.extensions["tier0.teams"].delivery.deliver_pending()
    ((path, body, _),) = microsoft.activities
    assert path == "/v3/conversations/a%3Aconv-1/activities"
    assert "**Ana** (support): Hi, this is Ana" in body["text"]
    # The agent has the conversation: one acknowledgement, then the bot is quiet.
    microsoft.activities.clear()
    post(client, activity(microsoft, "ok, trying"), valid(microsoft))
    post(client, activity(microsoft, "how do I install tier0 on windows?"), valid(microsoft))
    texts = [body.get("text", "") for _, body, _ in microsoft.activities]
    assert len(texts) == 1 and "agent" in texts[0].lower()


def test_a_guided_fix_by_buttons_alone(teams_app, microsoft: FakeMicrosoft) -> None:  # type: ignore[no-untyped-def]
    client = teams_app.test_client()
    post(client, activity(microsoft, "the tier0 server won't start"), valid(microsoft))
    for _ in range(6):
        cards = [b for _, b, _ in microsoft.activities if b.get("attachments")]
        actions = cards[-1]["attachments"][0]["content"].get("actions", [])
        fixed = next((a for a in actions if a["title"].startswith("Yes")), None)
        if fixed is None:
            break
        microsoft.activities.clear()
        press = activity(microsoft, value=fixed["data"])
        assert post(client, press, valid(microsoft)).status_code == 200
        texts = " ".join(b.get("text", "") for _, b, _ in microsoft.activities)
        if "glad that fixed it" in texts:
            return
    raise AssertionError(f"the fix did not end resolved: {microsoft.activities}")


@pytest.mark.parametrize(
    "token",
    [
        lambda m: valid(m, exp=int(time.time()) - 600),
        lambda m: valid(m, aud="another-bot"),
        lambda m: valid(m, iss="https://sts.windows.net/evil/"),
        lambda m: BotKey("key-unknown").token(serviceurl=m.url + "/"),
        lambda m: KEY.token(serviceurl="https://evil.example/"),
        lambda m: None,
    ],
    ids=["expired", "audience", "issuer", "unknown-key", "service-url", "no-token"],
)
def test_bad_tokens_are_refused_and_nothing_is_processed(
    teams_app, assistant, microsoft, token
) -> None:  # type: ignore[no-untyped-def]
    client = teams_app.test_client()
    response = post(
        client, activity(microsoft, "how do I install tier0 on windows?"), token(microsoft)
    )
    assert response.status_code in (401, 403)
    assert microsoft.activities == [] and microsoft.tokens == []
    with assistant.store.transaction() as tx:
        assert tx.count(MessageRow) == 0 and tx.count(ChannelThreadRow) == 0


def test_malformed_activities_get_a_clear_400(teams_app, microsoft: FakeMicrosoft) -> None:  # type: ignore[no-untyped-def]
    client = teams_app.test_client()
    broken = activity(microsoft, "hi")
    del broken["conversation"]
    response = post(client, broken, valid(microsoft))
    assert (
        response.status_code == 400 and "'conversation'" in response.get_json()["error"]["message"]
    )
    other = post(client, activity(microsoft, type="conversationUpdate"), valid(microsoft))
    assert other.status_code == 200 and microsoft.activities == []


def test_the_teams_member_email_is_the_persons_identity(teams_app, assistant, microsoft) -> None:  # type: ignore[no-untyped-def]
    client = teams_app.test_client()
    post(client, activity(microsoft, "how do I install tier0 on windows?"), valid(microsoft))
    with assistant.store.transaction() as tx:
        thread = tx.session.query(ChannelThreadRow).one()
        assert tx.conversation(thread.conversation_id).email == "dana@example.com"


def test_odd_bodies_get_a_400_not_a_500(teams_app, microsoft: FakeMicrosoft) -> None:  # type: ignore[no-untyped-def]
    client = teams_app.test_client()
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/messages", data=deep, content_type="application/json",
                           headers={"Authorization": f"Bearer {valid(microsoft)}"})  # fmt: skip
    assert response.status_code in (400, 413)
    for broken in ({"conversation": "a:conv-1"}, {"from": "someone"}, {"text": ["list"]}):
        response = post(client, activity(microsoft, "hi") | broken, valid(microsoft))
        assert response.status_code == 400, broken


def test_a_double_click_on_one_card_counts_once(teams_app, microsoft: FakeMicrosoft) -> None:  # type: ignore[no-untyped-def]
    client = teams_app.test_client()
    post(client, activity(microsoft, "the tier0 server won't start"), valid(microsoft))
    cards = [b for _, b, _ in microsoft.activities if b.get("attachments")]
    action = next(
        a for a in cards[-1]["attachments"][0]["content"]["actions"] if a["title"].startswith("No")
    )
    microsoft.activities.clear()
    press = {"value": action["data"], "replyToId": "card-activity-1"}
    post(client, activity(microsoft, **press), valid(microsoft))
    answered = len(microsoft.activities)
    post(client, activity(microsoft, **press), valid(microsoft))
    assert answered > 0 and len(microsoft.activities) == answered


def test_in_a_group_chat_each_person_has_their_own_conversation(
    teams_app, assistant, microsoft
) -> None:  # type: ignore[no-untyped-def]
    client = teams_app.test_client()
    group = {"id": "19:group@thread.v2", "tenantId": TENANT, "conversationType": "groupChat"}
    dana = activity(microsoft, "<at>Tier0</at> my tickets", conversation=group)
    eve_id = {"id": "29:user-2", "aadObjectId": "aad-user-2", "name": "Eve"}
    eve = activity(microsoft, "<at>Tier0</at> my tickets", conversation=group, **{"from": eve_id})
    assert post(client, dana, valid(microsoft)).status_code == 200
    assert post(client, eve, valid(microsoft)).status_code == 200
    with assistant.store.transaction() as tx:
        users = sorted(tx.conversation(t.conversation_id).user_id
                       for t in tx.session.query(ChannelThreadRow).all())  # fmt: skip
    assert users == [f"{TENANT}:aad-user-1", f"{TENANT}:aad-user-2"]
