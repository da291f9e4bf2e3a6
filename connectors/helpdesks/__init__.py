"""External helpdesks behind `bot.helpdesk.TicketSystem`, chosen by `TIER0_HELPDESK`.

A registry from the setting's value to a builder that checks its own settings, so an
admin who picks Jira without a service desk id hears so at start-up, by name.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.helpdesk import TicketSystem
from bot.settings import Settings, SettingsError
from connectors.helpdesks.jira import JiraServiceManagement
from connectors.helpdesks.rt import RequestTracker
from connectors.helpdesks.zendesk import Zendesk


def _require(settings: Settings, *names: str) -> None:
    missing = [f"TIER0_{n.upper()}" for n in names if not getattr(settings, n)]
    if missing:
        raise SettingsError(
            f"TIER0_HELPDESK={settings.helpdesk} needs {', '.join(missing)} to be set"
        )


def _rt(settings: Settings) -> TicketSystem:
    _require(settings, "helpdesk_url", "helpdesk_token")
    return RequestTracker(
        settings.helpdesk_url,
        settings.helpdesk_token,
        queue=settings.helpdesk_queue,
        key_field=settings.helpdesk_key_field,
    )


def _jira(settings: Settings) -> TicketSystem:
    _require(
        settings,
        "helpdesk_url",
        "helpdesk_email",
        "helpdesk_token",
        "helpdesk_service_desk_id",
        "helpdesk_request_type_id",
    )
    return JiraServiceManagement(
        settings.helpdesk_url,
        settings.helpdesk_email,
        settings.helpdesk_token,
        settings.helpdesk_service_desk_id,
        settings.helpdesk_request_type_id,
    )


def _zendesk(settings: Settings) -> TicketSystem:
    _require(settings, "helpdesk_url", "helpdesk_email", "helpdesk_token")
    return Zendesk(settings.helpdesk_url, settings.helpdesk_email, settings.helpdesk_token)


BUILDERS: dict[str, Callable[[Settings], TicketSystem]] = {
    "rt": _rt,
    "jira": _jira,
    "zendesk": _zendesk,
}


def build_ticket_system(settings: Settings) -> TicketSystem | None:
    """The configured external helpdesk, or None for the embedded one."""
    if settings.helpdesk == "embedded":
        return None
    try:
        return BUILDERS[settings.helpdesk](settings)
    except ValueError as error:  # a constructor refusing a value
        if isinstance(error, SettingsError):
            raise
        raise SettingsError(f"TIER0_HELPDESK={settings.helpdesk}: {error}") from None
