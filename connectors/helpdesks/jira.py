"""Jira Service Management Cloud as Tier0's external helpdesk, over its documented REST APIs.

- create: `POST /rest/servicedeskapi/request` ("Create customer request") in one service
  desk and request type, raised by the API account (no `raiseOnBehalfOf`: Tier0 knows
  a channel user id, not a Jira customer). The request is labelled `tier0` and
  `tier0-key-<idempotency key>`, so a retry can find what an earlier attempt made.
- find: `GET /rest/api/3/search/jql` ("Search for issues using JQL enhanced search")
  for that label. JSM has no idempotency key of its own, so the outbox calls find
  before create. The enhanced search is documented as eventually consistent: a request
  created a moment ago may not be found yet, so do not retry a create at once.
- get: `GET /rest/servicedeskapi/request/{issueIdOrKey}` ("Get customer request"),
  mapped from `currentStatus` (status name and category); 404 when deleted.

The request type must have the Labels field (and Priority, when `priority_ids` is
given): a customer request can only set fields its request type has. Priority is
otherwise left to Jira's default, and is always in the description.
"""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from bot.helpdesk import ExternalTicket, ticket_description
from bot.tickets import Ticket
from connectors.helpdesks.http import TIMEOUT, JsonClient

SUMMARY_LIMIT = 255  # Jira's summary field
LABEL_PREFIX = "tier0-key-"
# Jira labels cannot contain spaces and are at most 255 characters; a key of plain
# characters is used as is, anything else by its hash, so the label is always valid.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9._:-]{1,200}")
_PENDING_NAMES = frozenset({"waiting for customer", "pending"})
_CLOSED_NAMES = frozenset({"closed", "canceled", "cancelled", "declined", "won't do"})


class JiraServiceManagement:
    """One JSM Cloud site (`https://<site>.atlassian.net`), one service desk and request type."""

    name = "jira"
    # Jira's search is eventually consistent: a request created a moment ago may not
    # be found yet, so the outbox waits at least this long before a retry's `find`.
    retry_floor = 30.0

    def __init__(
        self,
        url: str,
        email: str,
        api_token: str,
        service_desk_id: str,
        request_type_id: str,
        timeout: float = TIMEOUT,
        priority_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.service_desk_id = str(service_desk_id)
        self.request_type_id = str(request_type_id)
        self.priority_ids = dict(priority_ids or {})  # "P1" -> Jira priority id
        credentials = base64.b64encode(f"{email}:{api_token}".encode()).decode()
        self._client = JsonClient(self.url, {"Authorization": f"Basic {credentials}"}, timeout)

    def create(self, ticket: Ticket, idempotency_key: str) -> ExternalTicket:
        body = {
            "serviceDeskId": self.service_desk_id,
            "requestTypeId": self.request_type_id,
            "requestFieldValues": self.field_values(ticket, idempotency_key),
        }
        response = self._client.request("POST", "/rest/servicedeskapi/request", body)
        return self._from_request(response.body)

    def field_values(self, ticket: Ticket, idempotency_key: str) -> dict[str, Any]:
        """`requestFieldValues`: Jira field ids to values, description as plain text."""
        values: dict[str, Any] = {
            "summary": ticket.subject[:SUMMARY_LIMIT],
            "description": ticket_description(ticket),
            "labels": ["tier0", key_label(idempotency_key)],
        }
        if ticket.priority in self.priority_ids:
            values["priority"] = {"id": self.priority_ids[ticket.priority]}
        return values

    def find(self, idempotency_key: str) -> ExternalTicket | None:
        """The earliest issue with the key's label, read from the search's status field."""
        jql = f'labels = "{key_label(idempotency_key)}" ORDER BY created ASC'
        query = urllib.parse.urlencode({"jql": jql, "fields": "status", "maxResults": 1})
        response = self._client.request("GET", f"/rest/api/3/search/jql?{query}")
        issues = response.body.get("issues") or []
        if not issues:
            return None
        issue = issues[0]
        status = issue.get("fields", {}).get("status", {})
        category = status.get("statusCategory", {}).get("key", "")
        return self._external(issue["key"], status.get("name", ""), category)

    def get(self, key: str) -> ExternalTicket | None:
        path = f"/rest/servicedeskapi/request/{urllib.parse.quote(key, safe='')}"
        response = self._client.request("GET", path, allow=(404,))
        if response.status == 404:
            return None
        return self._from_request(response.body)

    def _from_request(self, request: dict[str, Any]) -> ExternalTicket:
        current = request.get("currentStatus") or {}
        return self._external(
            request["issueKey"], current.get("status", ""), current.get("statusCategory", "")
        )

    def _external(self, key: str, status: str, category: str) -> ExternalTicket:
        return ExternalTicket(
            system=self.name,
            key=key,
            status=tier0_status(status, category),
            url=f"{self.url}/browse/{key}",
        )


def key_label(idempotency_key: str) -> str:
    """The label carrying the idempotency key: valid in Jira whatever the key holds."""
    if _PLAIN_KEY.fullmatch(idempotency_key):
        return LABEL_PREFIX + idempotency_key
    return LABEL_PREFIX + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


def tier0_status(name: str, category: str) -> str:
    """Tier0's status from a Jira status name and category.

    The category (NEW, INDETERMINATE, DONE; lower case in the platform API) says how
    far along the request is, and every workflow has one; the JSM names "Waiting for
    customer" and "Pending" say the agents wait for someone, and "Closed", "Canceled"
    or "Declined" that the request ended without being resolved.
    """
    lowered, category = name.strip().lower(), category.strip().upper()
    if category == "DONE":
        return "closed" if lowered in _CLOSED_NAMES else "resolved"
    if lowered in _PENDING_NAMES:
        return "pending"
    return "new" if category == "NEW" else "open"
