"""The Events API through POST /slack/events: the real bolt app, signed requests,
the Web API a local fake that records what Tier0 sent."""

from __future__ import annotations

import json
import time

from bot.store.models import ChannelThreadRow
from tests.slack.conftest import SlackSender, app_mention, dm, wait_for


def test_url_verification_answers_the_challenge(slack: SlackSender) -> None:
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    response = slack.post(body, "application/json")
    assert response.status_code == 200
    assert response.get_json() == {"challenge": "c-123"}


def test_a_dm_is_answered_in_its_thread_with_blocks(slack: SlackSender) -> None:
    response = slack.event(dm("How do I install Tier0 on Windows?"))
    assert response.status_code == 200
    first = slack.posted(1)[0]
    assert first["channel"] == "D0DM" and first["thread_ts"] == "1700000000.000100"
    assert first["blocks"] and first["text"]
    article = first["blocks"][0]["text"]["text"]
    assert "<http://tier0.test/kb/install-windows|" in article
    helpful = slack.posted(2)[1]
    assert [e["text"]["text"] for e in helpful["blocks"][1]["elements"]] == [
        "Yes, thanks",
        "Not really",
    ]


def test_an_app_mention_is_stripped_and_answered_in_its_thread(slack: SlackSender) -> None:
    slack.event(app_mention("the tier0 server won't start"))
    first = slack.posted(1)[0]
    assert first["channel"] == "C0GENERAL" and first["thread_ts"] == "1700000001.000200"
    with slack_transcript(slack) as lines:
        assert lines[0] == "the tier0 server won't start"  # no <@UTIER0BOT> left


def test_a_retry_gets_no_second_reply(slack: SlackSender) -> None:
    slack.event(dm("hello"), event_id="EvRETRY1")
    replies = slack.posted(1)
    retry = slack.event(
        dm("hello"),
        event_id="EvRETRY1",
        **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200
    time.sleep(0.5)
    assert len(slack.api.posted()) == len(replies)


def test_bot_messages_edits_and_other_channels_are_ignored(slack: SlackSender) -> None:
    slack.event(dm("from a bot", bot_id="B0OTHER"))
    slack.event(dm("edited", subtype="message_changed"))
    slack.event(dm("in a channel", channel_type="channel", channel="C0X"))
    slack.event(dm("hello", ts="1700000009.000900"))
    slack.posted(1)
    time.sleep(0.3)
    assert {m["thread_ts"] for m in slack.api.posted()} == {"1700000009.000900"}


def test_bad_signature_and_stale_timestamp_get_401_and_do_nothing(slack: SlackSender) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "EvX", "event": dm("hi")})
    forged = slack.client.post(
        "/slack/events",
        data=body,
        headers={
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
            "Content-Type": "application/json",
        },
    )
    assert forged.status_code == 401
    stale = slack.post(body, "application/json", age=6 * 60)
    assert stale.status_code == 401
    time.sleep(0.3)
    assert slack.api.requests == []
    with slack.client.application.app_context():
        store = slack.client.application.extensions["tier0"].store
        with store.transaction() as tx:
            assert tx.count(ChannelThreadRow) == 0


def slack_transcript(slack: SlackSender):  # type: ignore[no-untyped-def]
    """The user's lines of the only Slack conversation."""
    import contextlib

    store = slack.client.application.extensions["tier0"].store

    @contextlib.contextmanager
    def lines():  # type: ignore[no-untyped-def]
        with store.transaction() as tx:
            [conversation] = wait_for(lambda: tx.session.query(ChannelThreadRow).all(), 1)
            yield [m.text for m in tx.messages(conversation.conversation_id) if m.sender == "user"]

    return lines()


def test_the_slack_profile_email_is_the_persons_identity(slack: SlackSender, assistant) -> None:  # type: ignore[no-untyped-def]
    slack.event(dm("How do I install Tier0 on Windows?"))
    slack.posted(1)
    with assistant.store.transaction() as tx:
        thread = tx.session.query(ChannelThreadRow).one()
        assert tx.conversation(thread.conversation_id).email == "pat@example.com"


def test_malformed_requests_get_a_400_not_a_500(slack: SlackSender) -> None:
    garbled = slack.client.post(
        "/slack/events", data=b"\xff\xfe not utf-8", content_type="application/json",
        headers={"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=x"},
    )  # fmt: skip
    assert garbled.status_code == 400 and "UTF-8" in garbled.get_json()["error"]["message"]
    stamp = slack.client.post(
        "/slack/events", data="{}", content_type="application/json",
        headers={"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=x"},
    )  # fmt: skip
    assert stamp.status_code == 400
