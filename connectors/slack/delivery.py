"""Slack's side of the transcript delivery (connectors/delivery.py): how a stored
line looks in Slack, and which of Slack's refusals are final."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.store import Store
from bot.types import TicketReply, reply_from_dict
from connectors.delivery import DELIVER_EVERY, DeliveryLoop, Destination, ThreadDelivery
from connectors.slack.render import SlackMessage, escape, render

__all__ = ["DELIVER_EVERY", "DeliveryLoop", "slack_delivery", "slack_message"]


def slack_message(conversation_id: str, payload: dict[str, Any]) -> SlackMessage:
    """A stored bot line as a Slack message; an agent's words go out as theirs."""
    reply = reply_from_dict(payload)
    if "agent" in payload and isinstance(reply, TicketReply):
        name = escape(str(payload["agent"] or "Support agent"))
        said = TicketReply(str(payload.get("reply") or reply.text), reply.ticket_id, reply.status)
        return render(said, conversation_id, prefix=f"*{name}* (support):")
    return render(reply, conversation_id)


# Errors about the message or its channel: posting it again would fail again. All
# else (rate limits, Slack's internal_error, a revoked token that an admin will fix,
# the network) is retried, so no reply is dropped for a passing fault.
FINAL_ERRORS = frozenset(
    {
        "channel_not_found", "is_archived", "msg_too_long", "invalid_blocks",
        "invalid_blocks_format", "no_text", "not_in_channel", "restricted_action",
        "cannot_reply_to_message", "thread_not_found", "too_many_attachments",
    }
)  # fmt: skip


def permanent(error: Exception) -> bool:
    """Slack refused this message itself (see FINAL_ERRORS)."""
    if not isinstance(error, SlackApiError):
        return False
    return str(error.response.get("error", "")) in FINAL_ERRORS


def slack_delivery(store: Store, post: Callable[[str, str, SlackMessage], None]) -> ThreadDelivery:
    def to_thread(destination: Destination, message: SlackMessage) -> None:
        post(destination.address, destination.thread_ts, message)

    return ThreadDelivery(store, "slack", slack_message, to_thread, permanent)
