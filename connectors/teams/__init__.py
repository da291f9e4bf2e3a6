"""Microsoft Teams through the Bot Framework activity protocol (`POST /api/messages`).

`init_teams(app, settings)` mounts it when `TIER0_TEAMS_APP_ID` is set: token checks
(auth.py), replies as Adaptive Cards (cards.py), sending through the Bot Connector
with a client-credentials token (connector.py), the endpoint itself (endpoint.py).
"""

from __future__ import annotations

from flask import Flask

from bot.settings import Settings
from connectors.delivery import DeliveryLoop
from connectors.teams.auth import BotFrameworkAuth, TeamsAuthConfig
from connectors.teams.connector import ConnectorClient, TeamsCredentials
from connectors.teams.delivery import teams_delivery
from connectors.teams.endpoint import TeamsParts, teams


def init_teams(app: Flask, settings: Settings) -> None:
    auth = BotFrameworkAuth(
        TeamsAuthConfig(
            settings.teams_app_id,
            settings.teams_openid_metadata_url,
            tenant=settings.teams_tenant_id,
        )
    )
    credentials = TeamsCredentials(
        settings.teams_app_id, settings.teams_app_password, token_url(settings)
    )
    client = ConnectorClient(credentials)
    assistant = app.extensions["tier0"]
    delivery = teams_delivery(assistant.store, client)
    app.extensions["tier0.teams"] = TeamsParts(auth, client, delivery)
    app.register_blueprint(teams)
    DeliveryLoop(delivery, assistant.stopping).start()  # agents' replies, ticket news


DEFAULT_TOKEN_TENANT = "/botframework.com/"


def token_url(settings: Settings) -> str:
    """A single-tenant bot gets its tokens from its own tenant, as Azure requires;
    a multi-tenant one from botframework.com (the default URL)."""
    url = settings.teams_token_url
    if settings.teams_tenant_id and DEFAULT_TOKEN_TENANT in url:
        return url.replace(DEFAULT_TOKEN_TENANT, f"/{settings.teams_tenant_id}/", 1)
    return url
