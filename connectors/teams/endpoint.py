"""`POST /api/messages`: the Bot Framework activity protocol for Microsoft Teams.

Every request's bearer token is verified first (connectors/teams/auth.py); a
request without a valid one gets 401/403 and nothing else happens. A message
activity becomes an engine turn — its text without mention markup, or the choice
of an Adaptive Card button — in the Tier0 conversation mapped to the Teams
conversation (a `channel_threads` row, which also keeps the `serviceUrl` for
messages sent later). The replies are posted back to that `serviceUrl` as replies
to the activity. Other activity types (conversationUpdate, typing, ...) are
acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from microsoft_agents.activity import Activity
from pydantic import ValidationError

from bot.app import Assistant
from bot.engine import InvalidMessage
from bot.store import ConversationNotFound
from bot.types import IncomingMessage, Participant, TextReply
from connectors.delivery import ThreadDelivery
from connectors.teams.auth import BotFrameworkAuth, TokenRejected, tenant_of
from connectors.teams.cards import incoming_choice, incoming_text, to_activity
from connectors.teams.connector import ConnectorClient, TeamsSendError
from connectors.web.errors import error_response

log = logging.getLogger(__name__)
# The SDK's Activity model logs each schema error with a traceback; here a schema
# error is the caller's, answered with a 400 and one log line (`schema_problem`).
logging.getLogger("microsoft_agents.activity.activity").setLevel(logging.CRITICAL)
teams = Blueprint("teams", __name__)
TEAMS = "teams"
MAX_ADDRESS = 500  # the channel_threads column


@dataclass(frozen=True)
class TeamsParts:
    auth: BotFrameworkAuth
    client: ConnectorClient
    delivery: ThreadDelivery


def assistant() -> Assistant:
    return current_app.extensions["tier0"]


def parts() -> TeamsParts:
    return current_app.extensions["tier0.teams"]


CODES = {401: "unauthorized", 403: "forbidden", 503: "unavailable"}


@teams.post("/api/messages")
def messages() -> tuple[Response, int]:
    try:
        activity = request.get_json(silent=True)
    except RecursionError:  # JSON nested deeper than Python parses
        activity = None
    if not isinstance(activity, dict):
        return error_response(400, "invalid_body", "the body must be a Bot Framework activity")
    try:
        parts().auth.verify(request.headers.get("Authorization"), activity)
    except TokenRejected as refusal:
        log.warning("Teams request refused (%d): %s", refusal.status, refusal.reason)
        message = "the request is not from the Bot Framework"
        if refusal.status == 503:
            message = "the Bot Framework's signing keys cannot be read now; retry later"
        return error_response(refusal.status, CODES.get(refusal.status, "forbidden"), message)
    if activity.get("type") != "message":
        return jsonify({}), 200
    problem = schema_problem(activity) or _check(activity)
    if problem:
        return error_response(400, "invalid_activity", problem)
    key = _receipt(activity)
    with assistant().store.transaction() as tx:  # a redelivery or a second click: done
        first = tx.record_receipt(TEAMS, key)
    if not first:
        return jsonify({}), 200
    try:
        conversation_id = conversation_for(activity)
        note = _turn(conversation_id, activity)
    except Exception:  # the turn failed: the Bot Framework's redelivery is taken
        with assistant().store.transaction() as tx:
            tx.forget_receipt(TEAMS, key)
        raise
    if note is not None:  # a message that could not be taken: say so, in the chat only
        _send_note(activity, note)
    parts().delivery.deliver(conversation_id)  # the replies, through the one path
    return jsonify({}), 200


def _receipt(activity: dict[str, Any]) -> str:
    """What makes an activity a repeat: its id, and for a card's button the card it
    answers (`replyToId`), so a double click counts once."""
    conversation = activity["conversation"]["id"]
    if incoming_choice(activity) and isinstance(activity.get("replyToId"), str):
        return f"click|{conversation}|{activity['replyToId']}"
    return f"{conversation}|{activity['id']}"


def schema_problem(activity: dict[str, Any]) -> str | None:
    """The first way the activity breaks the Bot Framework schema (the Agents SDK's
    `Activity` model checks it), or None."""
    try:
        Activity.model_validate(activity)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "the activity"
        log.warning("a Teams activity broke the schema at %s", where)
        return f"{where}: {first.get('msg', 'invalid')}"
    return None


def _check(activity: dict[str, Any]) -> str | None:
    for name in ("serviceUrl", "id"):
        if not isinstance(activity.get(name), str) or not activity[name]:
            return f"the activity has no {name!r}"
    for name in ("conversation", "from"):
        if not isinstance(activity.get(name), dict):
            return f"the activity's {name!r} must be an object"
    if activity.get("text") is not None and not isinstance(activity["text"], str):
        return "the activity's 'text' must be a string"
    conversation = (activity.get("conversation") or {}).get("id")
    if not isinstance(conversation, str) or not conversation:
        return "the activity has no conversation.id"
    if len(conversation) > MAX_ADDRESS:
        return f"conversation.id is longer than {MAX_ADDRESS} characters"
    if not isinstance((activity.get("from") or {}).get("id"), str):
        return "the activity has no from.id"
    return None


def _tenant(activity: dict[str, Any]) -> str:
    return tenant_of(activity)[:64]


def conversation_for(activity: dict[str, Any]) -> str:
    """The Tier0 conversation of this Teams conversation, started on first contact;
    the `serviceUrl` is kept up to date for messages sent later."""
    tenant, teams_id = _tenant(activity), activity["conversation"]["id"]
    person = _person_key(activity)
    store = assistant().store
    with store.transaction() as tx:
        row = tx.channel_thread(TEAMS, tenant, teams_id, person, lock=True)
        if row is not None:
            row.service_url = activity["serviceUrl"]
            return row.conversation_id
    sender = activity["from"]
    user = str(sender.get("aadObjectId") or sender["id"])
    email = _email_of(activity)
    participant = Participant(TEAMS, f"{tenant}:{user}", sender.get("name"), email=email)
    conversation_id = assistant().engine.start_conversation(participant)
    with store.transaction() as tx:
        return tx.map_channel_thread(
            channel=TEAMS, team=tenant, address=teams_id, thread_key=person,
            thread_ts=teams_id[:64], conversation_id=conversation_id,
            service_url=activity["serviceUrl"],
        )  # fmt: skip


def _person_key(activity: dict[str, Any]) -> str:
    """ "" for a personal chat (one person); in a group chat or a channel, the sender:
    each person there has a conversation of their own (their tickets, their fix)."""
    if activity["conversation"].get("conversationType", "personal") == "personal":
        return ""
    sender = activity["from"]
    return hashlib.sha256(str(sender.get("aadObjectId") or sender["id"]).encode()).hexdigest()[:40]


def _email_of(activity: dict[str, Any]) -> str | None:
    """The sender's email from Teams' member profile: their identity across channels.
    None when Teams will not say (a guest, an outage): the chat goes on without it."""
    try:
        member = parts().client.member(
            activity["serviceUrl"], activity["conversation"]["id"], activity["from"]["id"]
        )
    except TeamsSendError as error:
        log.info("the Teams member profile is unavailable: %s", error)
        return None
    email = member.get("email")
    return email if isinstance(email, str) and email else None


def _turn(conversation_id: str, activity: dict[str, Any]) -> str | None:
    """Run the engine on the activity; a note for the user when it cannot be taken."""
    choice, text = incoming_choice(activity), incoming_text(activity)
    if choice:
        message = IncomingMessage(conversation_id, choice_id=choice)
    elif text:
        message = IncomingMessage(conversation_id, text=text)
    else:
        return None  # a bare mention, an image: nothing to answer
    try:
        assistant().engine.handle(message)
    except InvalidMessage as error:  # an old button, too long a text
        return f"Sorry, I can't use that: {error}"
    except ConversationNotFound:
        return "Sorry, I lost this conversation; please ask again."
    return None


def _send_note(activity: dict[str, Any], text: str) -> None:
    body = to_activity(TextReply(text))
    try:
        parts().client.send(
            activity["serviceUrl"], activity["conversation"]["id"], body, activity["id"]
        )
    except TeamsSendError as error:
        log.warning("a Teams note was not delivered: %s", error)
