"""Zendesk Support as Tier0's external helpdesk, over the documented Tickets API.

- create: `POST /api/v2/tickets` ("Create Ticket"), with the `Idempotency-Key` header
  Zendesk documents for ticket creation: a retry with the same key and the same body
  within two hours returns the original ticket (`x-idempotency-lookup: hit`) instead of
  a second one. The key also goes in `external_id`, which outlives that window.
- find: `GET /api/v2/tickets?external_id=<key>` ("List Tickets", filtered by external id).
- get: `GET /api/v2/tickets/{ticket_id}` ("Show Ticket"); 404 when deleted.

Authentication is an API token: Basic `{email}/token:{api_token}`. A 429 (rate limit)
or 503 (maintenance) raises `TicketSystemUnavailable` carrying the `Retry-After` seconds.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from typing import Any

from bot.helpdesk import ExternalTicket, TicketSystemRejected, ticket_description
from bot.tickets import Ticket
from connectors.helpdesks.http import TIMEOUT, JsonClient

PRIORITIES = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}
# "hold" is Zendesk's "waiting on a third party": still the agents' to move, so open;
# "pending" is waiting on the requester, as in Tier0.
STATUSES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "open",
    "solved": "resolved",
    "closed": "closed",
}


class Zendesk:
    """One Zendesk account (`https://<subdomain>.zendesk.com`) as a `TicketSystem`."""

    name = "zendesk"

    def __init__(self, url: str, email: str, api_token: str, timeout: float = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        credentials = base64.b64encode(f"{email}/token:{api_token}".encode()).decode()
        self._client = JsonClient(self.url, {"Authorization": f"Basic {credentials}"}, timeout)

    def create(self, ticket: Ticket, idempotency_key: str) -> ExternalTicket:
        """Create the ticket; a retry with the same key gets the same Zendesk ticket back.

        Zendesk refuses a reused key whose body differs ("IdempotentRequestError"), which
        happens when the ticket changed between attempts: the first attempt got through,
        so the ticket it made is the answer, found by its external id.
        """
        response = self._client.request(
            "POST",
            "/api/v2/tickets",
            {"ticket": ticket_body(ticket, idempotency_key)},
            headers={"Idempotency-Key": idempotency_key},
            allow=(400,),
        )
        if response.status == 400:
            error = response.body.get("error") if isinstance(response.body, dict) else None
            earlier = self.find(idempotency_key) if error == "IdempotentRequestError" else None
            if earlier is None:
                excerpt = json.dumps(response.body)[:300]
                raise TicketSystemRejected(f"POST /api/v2/tickets: HTTP 400: {excerpt}")
            return earlier
        return self._external(response.body["ticket"])

    def find(self, idempotency_key: str) -> ExternalTicket | None:
        """The earliest ticket whose external id is the key (there should be one at most)."""
        query = urllib.parse.urlencode({"external_id": idempotency_key})
        response = self._client.request("GET", f"/api/v2/tickets?{query}")
        tickets = response.body.get("tickets") or []
        matching = [t for t in tickets if t.get("external_id") == idempotency_key]
        return self._external(min(matching, key=lambda t: t["id"])) if matching else None

    def get(self, key: str) -> ExternalTicket | None:
        path = f"/api/v2/tickets/{urllib.parse.quote(key, safe='')}"
        response = self._client.request("GET", path, allow=(404,))
        if response.status == 404:
            return None
        return self._external(response.body["ticket"])

    def _external(self, ticket: dict[str, Any]) -> ExternalTicket:
        key = str(ticket["id"])
        return ExternalTicket(
            system=self.name,
            key=key,
            status=STATUSES.get(ticket.get("status", ""), "open"),
            url=f"{self.url}/agent/tickets/{key}",
        )


def ticket_body(ticket: Ticket, idempotency_key: str) -> dict[str, Any]:
    """The `ticket` object of "Create Ticket": the first comment is the description."""
    return {
        "subject": ticket.subject,
        "comment": {"body": ticket_description(ticket)},
        "priority": PRIORITIES.get(ticket.priority, "normal"),
        "tags": ["tier0"],
        "external_id": idempotency_key,
    }
