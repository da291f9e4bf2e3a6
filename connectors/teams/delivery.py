"""Teams' side of the transcript delivery (connectors/delivery.py): a stored line as
an activity, posted to the conversation's `serviceUrl`; agents' replies and ticket
news reach the Teams conversation this way, as the turn's own replies do."""

from __future__ import annotations

from typing import Any

from bot.store import Store
from bot.types import TicketReply, reply_from_dict
from connectors.delivery import Destination, ThreadDelivery
from connectors.teams.cards import to_activity
from connectors.teams.connector import ConnectorClient, TeamsSendError


def teams_activity(conversation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A stored bot line as a message activity; an agent's words go out as theirs."""
    reply = reply_from_dict(payload)
    if "agent" in payload and isinstance(reply, TicketReply):
        name = str(payload["agent"] or "Support agent")
        said = str(payload.get("reply") or reply.text)
        return to_activity(
            TicketReply(f"**{name}** (support): {said}", reply.ticket_id, reply.status)
        )
    return to_activity(reply)


def permanent(error: Exception) -> bool:
    """The Bot Connector refused the activity itself (4xx other than 401 and 429):
    sending it again would fail again. The rest is worth a retry."""
    if not isinstance(error, TeamsSendError) or error.status is None:
        return False
    return 400 <= error.status < 500 and error.status not in (401, 429)


def teams_delivery(store: Store, client: ConnectorClient) -> ThreadDelivery:
    def post(destination: Destination, activity: dict[str, Any]) -> None:
        if not destination.service_url:
            raise TeamsSendError("no serviceUrl is known for this conversation", 400)
        client.send(destination.service_url, destination.address, activity)

    return ThreadDelivery(store, "teams", teams_activity, post, permanent)
