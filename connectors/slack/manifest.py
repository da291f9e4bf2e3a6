"""`tier0 slack manifest`: the Slack app manifest to paste at api.slack.com/apps
("Create New App → From an app manifest"), so an admin creates the app in one step
with exactly the scopes, events and URLs Tier0 needs."""

from __future__ import annotations

from typing import Any

import yaml

from bot.settings import Settings

BOT_SCOPES = (
    "app_mentions:read",
    "chat:write",
    "im:history",
    "im:read",
    "im:write",
    "users:read",
    "users:read.email",
)
BOT_EVENTS = ("app_mention", "message.im")


def manifest(settings: Settings, name: str = "Tier0", socket_mode: bool = False) -> dict[str, Any]:
    """The manifest as data. With `socket_mode`, Slack sends events over the socket
    and no request URL is needed (nor reachable from the internet)."""
    url = f"{settings.effective_public_url}/slack/events"
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        events["request_url"] = url
        interactivity["request_url"] = url
    return {
        "display_information": {
            "name": name,
            "description": "Answers from your knowledge base, guided fixes, and tickets.",
        },
        "features": {
            "app_home": {"messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(settings: Settings, name: str = "Tier0", socket_mode: bool = False) -> str:
    return yaml.safe_dump(manifest(settings, name, socket_mode), sort_keys=False)
