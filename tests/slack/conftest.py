"""Slack fixtures: the real bolt app inside the real Flask app, a fake Web API on
127.0.0.1 it talks to, and a sender of correctly signed requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.settings import Settings
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlackApi

TOKEN = "xoxb-test-bot-token"
SECRET = "test-signing-secret-0123456789"
WAIT = 20.0  # seconds a test waits for the work after the acknowledgement


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackSender:
    """Posts to /slack/events as Slack does, signed with the app's secret."""

    client: FlaskClient
    api: FakeSlackApi
    secret: str = SECRET
    _events: int = 0

    def post(self, body: str, content_type: str, age: float = 0.0, **headers: str) -> Any:
        timestamp = str(int(time.time() - age))
        signed = {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature(self.secret, timestamp, body),
            "Content-Type": content_type,
            **headers,
        }
        return self.client.post("/slack/events", data=body, headers=signed)

    def event(self, event: dict[str, Any], event_id: str | None = None, **headers: str) -> Any:
        self._events += 1
        body = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0TIER0",
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._events:08d}",
            "event_time": int(time.time()),
            "event": event,
        }
        return self.post(json.dumps(body), "application/json", **headers)

    def click(self, message: dict[str, Any], label: str, user: str = "U0USER") -> Any:
        """Click the button labelled `label` in a message the bot posted."""
        actions = next(b for b in message["blocks"] if b["type"] == "actions")
        button = next(e for e in actions["elements"] if e["text"]["text"] == label)
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0TIER0",
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": message["channel"],
                "thread_ts": message.get("thread_ts"),
            },
            "channel": {"id": message["channel"]},
            "message": {"ts": message["ts"], "blocks": message["blocks"], "text": message["text"]},
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": actions["block_id"],
                    "value": button["value"],
                    "text": button["text"],
                    "action_ts": str(time.time()),
                }
            ],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")

    def posted(self, count: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        """The first `count` chat.postMessage calls, waiting for them; each with the
        `ts` the fake gave it, so a test can click its buttons."""
        return wait_for(self.api.posted, count, timeout)


def wait_for(read: Callable[[], list[Any]], count: int, timeout: float = WAIT) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        seen = read()
        if len(seen) >= count or time.monotonic() > deadline:
            assert len(seen) >= count, f"waited {timeout}s for {count}, got {len(seen)}: {seen}"
            return seen[:count]
        time.sleep(0.02)


def dm(text: str, ts: str = "1700000000.000100", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D0DM",
        "user": "U0USER",
        "text": text,
        "ts": ts,
        "team": TEAM,
        **extra,
    }


def app_mention(text: str, ts: str = "1700000001.000200", **extra: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "channel": "C0GENERAL",
        "user": "U0USER",
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "team": TEAM,
        **extra,
    }


@pytest.fixture
def slack_api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(TOKEN) as fake:
        yield fake


@pytest.fixture
def settings(settings: Settings, slack_api: FakeSlackApi) -> Settings:
    """The shared settings with Slack on, its Web API the fake: the shared
    `assistant` and `app` fixtures (tests/conftest.py) then serve /slack/events."""
    return replace(
        settings,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=f"{slack_api.url}/api/",
    )


@pytest.fixture
def slack(app: Flask, slack_api: FakeSlackApi) -> SlackSender:
    return SlackSender(app.test_client(), slack_api)
