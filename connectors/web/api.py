"""HTTP API v1: translate JSON requests to engine calls and replies back to JSON.

Everything about a request's shape is checked here, with a precise message; the
engine's own checks (empty text, unknown choice) come back as its exceptions.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, current_app, jsonify, request

from bot.app import Assistant
from bot.engine import InvalidMessage, MessageTooLong, UnknownChoice
from bot.store import ConversationNotFound
from bot.ticket_updates import TicketNotFound, agent_reply, update_ticket
from bot.tickets import normal_email, ticket_sla
from bot.types import IncomingMessage, Participant, reply_to_dict
from connectors.web.errors import ApiError
from connectors.web.openapi import openapi_document

api = Blueprint("api_v1", __name__, url_prefix="/api/v1")
MAX_ID_LENGTH = 200
LIMITS = {"channel": 32, "timezone": 64}  # the columns' sizes


def assistant() -> Assistant:
    return current_app.extensions["tier0"]


def _json_body(*, required: bool) -> dict[str, Any]:
    if not request.get_data(cache=True) and not required:
        return {}
    if not request.is_json:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send JSON with Content-Type: application/json (got {request.mimetype or 'none'!r})",
        )
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "invalid_json", "the request body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "the request body must be a JSON object")
    return body


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    limit = LIMITS.get(key, MAX_ID_LENGTH)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ApiError(
            400,
            "invalid_field",
            f"'{key}' must be a non-empty string of at most {limit} characters",
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ApiError(400, "invalid_field", f"'{key}' must not contain control characters")
    return value.strip()


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _authorised() -> bool:
    token = assistant().settings.api_token
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@api.post("/conversations")
def create_conversation() -> tuple[Response, int]:
    body = _json_body(required=False)
    unknown = sorted(set(body) - {"user", "channel", "timezone", "email"})
    if unknown:
        raise ApiError(400, "unknown_field", f"unknown field(s): {', '.join(unknown)}")
    channel = _optional_str(body, "channel") or "api"
    user = _optional_str(body, "user")
    # Only a trusted caller (holding the API token) may say who the user is;
    # otherwise the conversation is anonymous and its tickets private to it.
    timezone = _optional_str(body, "timezone")
    if timezone is not None and not _known_zone(timezone):
        raise ApiError(
            400,
            "invalid_field",
            f"'timezone' {timezone!r} is not an IANA time zone such as "
            "Europe/Paris or America/New_York",
        )
    email = _optional_str(body, "email")
    if email is not None and normal_email(email) is None:
        raise ApiError(400, "invalid_field", f"'email' {email!r} is not an email address")
    trusted = _authorised()
    participant = Participant(
        channel,
        user if user and trusted else "anonymous",
        timezone=timezone,
        email=email if trusted else None,  # an identity only a trusted caller may claim
    )
    conversation_id = assistant().engine.start_conversation(participant)
    return jsonify(id=conversation_id), 201


def _message_from(conversation_id: str, body: dict[str, Any]) -> IncomingMessage:
    unknown = sorted(set(body) - {"text", "choice"})
    if unknown:
        raise ApiError(400, "unknown_field", f"unknown field(s): {', '.join(unknown)}")
    text, choice = body.get("text"), body.get("choice")
    if (text is None) == (choice is None):
        raise ApiError(400, "invalid_body", "send exactly one of 'text' or 'choice'")
    if text is not None and not isinstance(text, str):
        raise ApiError(400, "invalid_field", "'text' must be a string")
    if choice is not None and (not isinstance(choice, str) or len(choice) > MAX_ID_LENGTH):
        raise ApiError(400, "invalid_field", "'choice' must be a choice id string")
    return IncomingMessage(conversation_id, text=text, choice_id=choice)


@api.post("/conversations/<conversation_id>/messages")
def post_message(conversation_id: str) -> Response:
    message = _message_from(conversation_id, _json_body(required=True))
    try:
        replies = assistant().engine.handle(message)
    except ConversationNotFound:
        raise ApiError(
            404, "conversation_not_found", f"no conversation {conversation_id!r}"
        ) from None
    except MessageTooLong as error:
        raise ApiError(413, error.code, str(error)) from None
    except UnknownChoice as error:
        raise ApiError(422, error.code, str(error)) from None
    except InvalidMessage as error:
        raise ApiError(400, error.code, str(error)) from None
    return jsonify(conversation_id=conversation_id, replies=[reply_to_dict(r) for r in replies])


@api.get("/conversations/<conversation_id>")
def get_conversation(conversation_id: str) -> Response:
    after = request.args.get("after", "0")
    if not (after.isascii() and after.isdigit() and len(after) < 10):
        raise ApiError(400, "invalid_field", "'after' must be a message seq (0 or more)")
    try:
        view = assistant().engine.conversation(conversation_id, int(after))
    except ConversationNotFound:
        raise ApiError(
            404, "conversation_not_found", f"no conversation {conversation_id!r}"
        ) from None
    return jsonify(
        id=view.id,
        channel=view.channel,
        created_at=view.created_at,
        messages=view.messages,
    )


def _ticket_id(raw: str) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) < 10:
        return int(raw)
    raise ApiError(404, "ticket_not_found", f"no ticket {raw!r}")


def _ticket_json(ticket_id: int) -> Response:
    ticket = assistant().engine.ticket(ticket_id)
    if ticket is None:
        raise ApiError(404, "ticket_not_found", f"no ticket {ticket_id!r}")
    sla = ticket_sla(ticket, assistant().settings.sla, datetime.now(UTC))
    with assistant().store.transaction() as tx:
        delivery = tx.delivery_for_ticket(ticket_id)
        external = None
        if delivery is not None:
            external = {
                "system": delivery.system,
                "key": delivery.external_key,
                "url": delivery.external_url,
                "status": delivery.external_status,
                "delivered": delivery.state == "delivered",
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
            }
    return jsonify(ticket.to_dict() | {"sla": sla.to_dict(), "external": external})


def _require_agent() -> None:
    """Changing a ticket is an agent's act: only with TIER0_API_TOKEN set and sent."""
    if not assistant().settings.api_token:
        raise ApiError(403, "forbidden", "set TIER0_API_TOKEN to use the agent endpoints")
    if not _authorised():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <TIER0_API_TOKEN>")


@api.get("/tickets/<ticket_id>")
def get_ticket(ticket_id: str) -> Response:
    if assistant().settings.api_token and not _authorised():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <TIER0_API_TOKEN>")
    return _ticket_json(_ticket_id(ticket_id))


@api.patch("/tickets/<ticket_id>")
def patch_ticket(ticket_id: str) -> Response:
    """Change a ticket's status, priority or tier (the agent console's and scripts')."""
    _require_agent()
    number = _ticket_id(ticket_id)
    body = _json_body(required=True)
    unknown = sorted(set(body) - {"status", "priority", "tier"})
    if unknown:
        raise ApiError(400, "unknown_field", f"unknown field(s): {', '.join(unknown)}")
    if not body:
        raise ApiError(400, "invalid_body", "send at least one of status, priority, tier")
    status, priority, tier = body.get("status"), body.get("priority"), body.get("tier")
    if status is not None and not isinstance(status, str):
        raise ApiError(400, "invalid_field", "'status' must be a string")
    if priority is not None and not isinstance(priority, str):
        raise ApiError(400, "invalid_field", "'priority' must be a string such as \"P2\"")
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int)):
        raise ApiError(400, "invalid_field", "'tier' must be 1, 2 or 3")
    try:
        with assistant().store.transaction() as tx:
            update_ticket(
                tx, number, datetime.now(UTC), status=status, priority=priority, tier=tier
            )
    except TicketNotFound:
        raise ApiError(404, "ticket_not_found", f"no ticket {ticket_id!r}") from None
    except ValueError as error:
        raise ApiError(400, "invalid_field", str(error)) from None
    return _ticket_json(number)


@api.post("/tickets/<ticket_id>/replies")
def reply_to_ticket(ticket_id: str) -> tuple[Response, int]:
    """An agent's answer, delivered to the user's conversation."""
    _require_agent()
    number = _ticket_id(ticket_id)
    body = _json_body(required=True)
    unknown = sorted(set(body) - {"text", "agent"})
    if unknown:
        raise ApiError(400, "unknown_field", f"unknown field(s): {', '.join(unknown)}")
    text = body.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "invalid_field", "'text' must be a string")
    agent = _optional_str(body, "agent")
    try:
        with assistant().store.transaction() as tx:
            agent_reply(tx, number, text, datetime.now(UTC), agent)
    except TicketNotFound:
        raise ApiError(404, "ticket_not_found", f"no ticket {ticket_id!r}") from None
    except ValueError as error:
        raise ApiError(400, "invalid_field", str(error)) from None
    return _ticket_json(number), 201


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
