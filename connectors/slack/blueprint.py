"""`POST /slack/events`: the Events API and interactivity, through bolt's Flask adapter.

Registered by `create_app` only when Slack is configured; the adapter turns the
Flask request into bolt's and bolt's answer (200, or 401 for a bad signature) back.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from slack_bolt.adapter.flask import SlackRequestHandler

from connectors.slack.app import SlackConnector
from connectors.web.errors import error_response


def _malformed() -> str | None:
    """What bolt would trip over before it checks the signature: a body that is not
    UTF-8, a timestamp that is not a number."""
    try:
        request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    stamp = request.headers.get("X-Slack-Request-Timestamp", "0")
    if not stamp.isascii() or not stamp.isdigit():
        return "X-Slack-Request-Timestamp must be a number of seconds"
    return None


def slack_blueprint(connector: SlackConnector) -> Blueprint:
    handler = SlackRequestHandler(connector.app)
    blueprint = Blueprint("slack", __name__)

    @blueprint.post("/slack/events")
    def events() -> Response | tuple[Response, int]:
        problem = _malformed()
        if problem is not None:
            return error_response(400, "invalid_request", problem)
        return handler.handle(request)

    return blueprint
