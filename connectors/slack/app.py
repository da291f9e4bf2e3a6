"""The bolt `App` Tier0 runs in Slack, and its listeners.

Built once per server from `Settings` (`build_slack`). bolt checks every request's
signature and its timestamp (5 minutes at most) with the signing secret and answers
401 otherwise, before any listener runs; it answers `url_verification` itself. The
Web API client points at `TIER0_SLACK_API_URL`. The token is not checked at start
(`token_verification_enabled=False`): a server comes up while Slack is unreachable,
and bolt asks `auth.test` for the bot's own user id on the first request.

`process_before_response=False` (bolt's default, said here because it matters):
bolt acknowledges an event before its listener runs, and a click as soon as the
listener calls `ack()`, then runs the rest in its thread pool. The engine's work is
never inside Slack's 3-second window.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.app import Assistant
from bot.settings import Settings
from connectors.slack.events import click, direct_message, mention
from connectors.slack.turns import SlackTurns

log = logging.getLogger(__name__)
CHOICE_ACTION = re.compile(r"^tier0-choice-\d+$")


@dataclass(frozen=True)
class SlackConnector:
    app: App
    turns: SlackTurns


def build_slack(settings: Settings, assistant: Assistant) -> SlackConnector:
    """The bolt app wired to the assistant's engine. The token is given through the
    client only (bolt takes it from there and warns when it is given twice)."""
    # 10 s, not the SDK's 30: a post runs inside a delivery claim (connectors/delivery.py).
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=client,
        token_verification_enabled=False,
        request_verification_enabled=True,
        process_before_response=False,
        logger=logging.getLogger("tier0.slack.bolt"),
    )
    turns = SlackTurns(assistant.engine, assistant.store, client)
    register_listeners(app, turns)
    return SlackConnector(app, turns)


def register_listeners(app: App, turns: SlackTurns) -> None:
    @app.event("message")
    def on_message(body: dict[str, Any], context: BoltContext) -> None:
        turn = direct_message(body, context.bot_user_id)
        if turn is not None:
            turns.take_message(turn, _receipt(body))

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], context: BoltContext) -> None:
        turn = mention(body, context.bot_user_id)
        if turn is not None:
            turns.take_message(turn, _receipt(body))

    @app.action(CHOICE_ACTION)
    def on_click(ack: Ack, body: dict[str, Any]) -> None:
        ack()  # first: Slack shows an error if this comes after 3 s
        clicked = click(body)
        if clicked is not None:
            turns.take_click(clicked)


def _receipt(body: dict[str, Any]) -> str:
    """The event's id: the same in every retry of it."""
    event = body.get("event") or {}
    return str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}")
