"""Socket Mode: Slack's events over a WebSocket the server opens, for hosts that
cannot take requests from the internet (`tier0 serve --slack-socket-mode`).

The same bolt app serves both transports, so listeners, de-duplication and delivery
are the same; the socket needs the app-level token (`xapp-`, scope connections:write).
"""

from __future__ import annotations

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.settings import Settings, SettingsError
from connectors.slack.app import SlackConnector


def check_socket_mode(settings: Settings) -> None:
    """Raise `SettingsError` naming what is missing, before anything starts."""
    if not settings.slack_enabled:
        raise SettingsError(
            "--slack-socket-mode: set TIER0_SLACK_BOT_TOKEN and TIER0_SLACK_SIGNING_SECRET "
            "(see docs/slack.md)"
        )
    if not settings.slack_app_token:
        raise SettingsError(
            "--slack-socket-mode needs TIER0_SLACK_APP_TOKEN, an app-level token (xapp-...) "
            "with the connections:write scope: Slack app → Basic Information → App-Level Tokens"
        )
    if not settings.slack_app_token.startswith("xapp-"):
        raise SettingsError("TIER0_SLACK_APP_TOKEN: an app-level token starts with xapp-")


def connect_socket_mode(connector: SlackConnector, settings: Settings) -> SocketModeHandler:
    """Open the socket in the background; the caller goes on serving HTTP."""
    handler = SocketModeHandler(connector.app, settings.slack_app_token)
    handler.connect()
    return handler
