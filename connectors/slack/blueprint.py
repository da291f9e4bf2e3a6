"""`POST /slack/events`: the Events API and interactivity, through bolt's Flask adapter.

Registered by `create_app` only when Slack is configured; the adapter turns the
Flask request into bolt's and bolt's answer (200, or 401 for a bad signature) back.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from slack_bolt.adapter.flask import SlackRequestHandler

from connectors.slack.app import SlackConnector


def slack_blueprint(connector: SlackConnector) -> Blueprint:
    handler = SlackRequestHandler(connector.app)
    blueprint = Blueprint("slack", __name__)

    @blueprint.post("/slack/events")
    def events() -> Response:
        return handler.handle(request)

    return blueprint
