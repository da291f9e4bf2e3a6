"""Request Tracker 5 over its REST2 API (`/REST/2.0`), authenticated with an auth token.

Tickets go to one queue. The idempotency key is kept in a single-value free-form ticket
custom field ("Tier0 Key" by default) that must be applied to that queue, and `find`
searches for it with TicketSQL. What RT 5.0.3 does, checked against the real server
(see .ci/rt.sh and tests/connectors/test_rt.py):

- `POST /ticket` answers 201 with `{"id": "7", ...}`. It silently drops a custom field
  that does not apply to the queue, which would make every retry a duplicate, so the
  queue and its fields are checked once (`GET /queue/<name>`) before the first create.
- `/tickets` reads `query` from the URL or a form body, never from a JSON body (a JSON
  body is an empty query, which matches nothing): the search is a GET with the query
  in the URL. A malformed query is a 400.
- TicketSQL compares custom field values case-insensitively, so the matches are
  filtered to the exact key. Deleted tickets never appear in a search.
- A bad or missing token is 401, an unknown ticket 404, a queue the user cannot create
  in (or that does not exist) 403, malformed JSON 400.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from bot.helpdesk import (
    ExternalTicket,
    TicketSystemRejected,
    TicketSystemUnavailable,
    ticket_description,
)
from bot.tickets import Ticket
from connectors.helpdesks.http import TIMEOUT, JsonClient, Response

# RT's default lifecycle in Tier0's words. "deleted" is not here: get() answers None.
STATUSES = {
    "new": "new",
    "open": "open",
    "stalled": "pending",
    "resolved": "resolved",
    "rejected": "closed",
}
UNKNOWN_STATUS = "open"  # a custom lifecycle's status: still someone's to handle

# RT's default labels are Low 0, Medium 50, High 100; a site can label these P1..P4
# with %PriorityAsString (as .ci/rt.sh does for the test queue).
PRIORITIES = {"P1": 100, "P2": 75, "P3": 50, "P4": 25}
DEFAULT_PRIORITY = PRIORITIES["P3"]

SUBJECT_LIMIT = 200  # Tickets.Subject is varchar(200)


class RequestTracker:
    """One RT queue as a Tier0 `TicketSystem`."""

    name = "rt"

    def __init__(
        self,
        url: str,
        token: str,
        queue: str = "Tier0",
        key_field: str = "Tier0 Key",
        timeout: float = TIMEOUT,
    ) -> None:
        if not key_field or any(c in key_field for c in "{}'\\"):
            raise ValueError(f"custom field name unusable in TicketSQL: {key_field!r}")
        self.url = url.rstrip("/")  # RT's WebURL, without the trailing /REST/2.0
        self.queue = queue
        self.key_field = key_field
        self._client = JsonClient(
            self.url + "/REST/2.0", {"Authorization": f"token {token}"}, timeout
        )
        self._queue_checked = False

    # -- TicketSystem ---------------------------------------------------------------

    def create(self, ticket: Ticket, idempotency_key: str) -> ExternalTicket:
        self._check_queue()
        body = {
            "Queue": self.queue,
            "Subject": ticket.subject[:SUBJECT_LIMIT],
            "Content": ticket_description(ticket),
            "ContentType": "text/plain",
            "Priority": PRIORITIES.get(ticket.priority, DEFAULT_PRIORITY),
            "CustomFields": {self.key_field: idempotency_key},
        }
        answer = self._client.request("POST", "/ticket", body)
        key = _ticket_id(answer)
        if key is None:
            # Created or not, find() on the retry tells.
            raise TicketSystemUnavailable(f"POST /ticket: HTTP {answer.status} without an id")
        return ExternalTicket(self.name, key, "new", self.ticket_url(key))

    def find(self, idempotency_key: str) -> ExternalTicket | None:
        query = f"'CF.{{{self.key_field}}}' = '{_quote(idempotency_key)}'"
        params = urllib.parse.urlencode(
            {
                "query": query,
                "fields": "Status,CustomFields",
                "orderby": "id",
                "order": "ASC",
                "per_page": 100,
            }
        )
        answer = self._client.request("GET", "/tickets?" + params)
        items = answer.body.get("items") if isinstance(answer.body, dict) else None
        if not isinstance(items, list):
            raise TicketSystemUnavailable(f"GET /tickets: unexpected answer {answer.body!r:.200}")
        for item in items:  # oldest first: every retry settles on the same ticket
            if idempotency_key in self._key_values(item):
                key = str(item["id"])
                return ExternalTicket(
                    self.name, key, _status(item.get("Status")), self.ticket_url(key)
                )
        return None

    def get(self, key: str) -> ExternalTicket | None:
        if not key.isdigit():
            raise TicketSystemRejected(f"not an RT ticket id: {key!r}")
        answer = self._client.request("GET", f"/ticket/{key}", allow=(404,))
        if answer.status == 404:
            return None
        body = answer.body if isinstance(answer.body, dict) else {}
        status = body.get("Status")
        if status == "deleted":
            return None
        # A merged ticket answers as the one it was merged into: follow it.
        current = _ticket_id(answer) or key
        return ExternalTicket(self.name, current, _status(status), self.ticket_url(current))

    # -- helpers --------------------------------------------------------------------

    def ticket_url(self, key: str) -> str:
        return f"{self.url}/Ticket/Display.html?id={key}"

    def _check_queue(self) -> None:
        """Refuse to create where RT would drop the key: no queue, or no field on it."""
        if self._queue_checked:
            return
        name = urllib.parse.quote(self.queue, safe="")
        answer = self._client.request("GET", f"/queue/{name}", allow=(404,))
        if answer.status == 404:
            raise TicketSystemRejected(f"RT has no queue {self.queue!r} this token can see")
        fields = answer.body.get("TicketCustomFields") if isinstance(answer.body, dict) else None
        names = {f.get("name") for f in fields or [] if isinstance(f, dict)}
        if self.key_field not in names:
            raise TicketSystemRejected(
                f"RT custom field {self.key_field!r} is not applied to queue {self.queue!r}"
                " (or this token cannot see it): tickets would lose their idempotency key"
            )
        self._queue_checked = True

    def _key_values(self, item: dict[str, Any]) -> list[Any]:
        for field in item.get("CustomFields") or []:
            if isinstance(field, dict) and field.get("name") == self.key_field:
                return list(field.get("values") or [])
        return []


def _quote(value: str) -> str:
    """A TicketSQL single-quoted string's content: backslash and quote escaped."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _ticket_id(answer: Response) -> str | None:
    ticket_id = answer.body.get("id") if isinstance(answer.body, dict) else None
    return str(ticket_id) if ticket_id is not None and str(ticket_id).isdigit() else None


def _status(status: Any) -> str:
    return STATUSES.get(str(status), UNKNOWN_STATUS)
