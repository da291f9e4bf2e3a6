"""Slack: the assistant in DMs and channel threads, through slack-bolt (docs/slack.md).

`init_slack` is what `create_app` calls when the bot token and signing secret are
set: the bolt app, `POST /slack/events`, and the delivery loop that carries agent
replies and ticket news to their threads.
"""

from __future__ import annotations

from flask import Flask

from bot.app import Assistant
from connectors.slack.app import SlackConnector, build_slack
from connectors.slack.blueprint import slack_blueprint
from connectors.slack.delivery import DELIVER_EVERY, DeliveryLoop

__all__ = ["SlackConnector", "build_slack", "init_slack"]


def init_slack(
    app: Flask, assistant: Assistant, deliver_every: float = DELIVER_EVERY
) -> SlackConnector:
    connector = build_slack(assistant.settings, assistant)
    app.register_blueprint(slack_blueprint(connector))
    app.extensions["tier0.slack"] = connector
    DeliveryLoop(connector.turns.delivery, assistant.stopping, deliver_every).start()
    return connector
