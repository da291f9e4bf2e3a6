"""A fake Zendesk Support account: the Tickets API endpoints Tier0 uses, over real HTTP.

Implemented as documented (developer.zendesk.com, Support API reference):

- `POST /api/v2/tickets` ("Create Ticket"): body `{"ticket": {...}}`; the first comment
  (`comment.body` or `comment.html_body`) is required and becomes the description;
  `priority` is urgent/high/normal/low, `status` new/open/pending/hold/solved/closed,
  `type` problem/incident/question/task, `tags` a list of strings (stored lower-cased,
  as Zendesk does). Validation failures answer 422 `{"error": "RecordInvalid",
  "description": "Record validation errors", "details": {field: [{"description",
  "error"}]}}`. Answers 201 `{"ticket": ..., "audit": ...}` with a Location header.
- Idempotency ("Idempotency" in the Support API introduction): with an `Idempotency-Key`
  header, a first create answers `x-idempotency-lookup: miss`; a retry with the same
  key and the same body answers the original response with `x-idempotency-lookup: hit`
  and creates nothing; the same key with a different body answers 400
  `{"error": "IdempotentRequestError", "description": ...}`. Keys last two hours
  (`forget_idempotency_keys` simulates their expiry).
- `GET /api/v2/tickets` ("List Tickets"), with the `external_id` filter: `{"tickets":
  [...], "next_page", "previous_page", "count"}`; external ids need not be unique.
- `GET /api/v2/tickets/{ticket_id}` ("Show Ticket"): 404 `{"error": "RecordNotFound",
  "description": "Not found"}` for an unknown or deleted ticket.
- Authentication: API token, Basic `{email}/token:{token}`; otherwise 401
  `{"error": "Couldn't authenticate you"}`. Rate limit: 429 with `Retry-After`.

Stricter than Zendesk on purpose: an attribute the fake does not know is refused (422)
rather than ignored, so a misspelt field in the adapter fails here instead of being
dropped silently; and wrong JSON types are refused rather than coerced. The 400
bodies for unparseable JSON or a missing `ticket` object are approximations.
"""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime
from typing import Any

from tests.fakes.http_fake import INVALID_JSON, FakeHttpServer, Recorded, Reply

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TYPES = ("problem", "incident", "question", "task")
WRITABLE = frozenset(
    {
        "subject",
        "raw_subject",
        "comment",
        "priority",
        "status",
        "type",
        "tags",
        "external_id",
        "requester_id",
        "requester",
        "submitter_id",
        "assignee_id",
        "assignee_email",
        "group_id",
        "organization_id",
        "collaborator_ids",
        "email_cc_ids",
        "follower_ids",
        "custom_fields",
        "custom_status_id",
        "due_at",
        "brand_id",
        "ticket_form_id",
        "problem_id",
        "via",
        "metadata",
        "recipient",
    }
)
COMMENT_KEYS = frozenset({"body", "html_body", "public", "author_id", "uploads", "metadata"})


class FakeZendesk(FakeHttpServer):
    """Tickets in memory; tests read `tickets` and change them with `set_status`."""

    def __init__(self, email: str = "agent@example.com", token: str = "zd-token") -> None:
        credentials = base64.b64encode(f"{email}/token:{token}".encode()).decode()
        super().__init__(f"Basic {credentials}")
        self.tickets: dict[int, dict[str, Any]] = {}
        self.idempotency: dict[str, tuple[Any, Reply]] = {}  # key -> (body, reply)
        self._ids = itertools.count(1001)

    # Test controls

    def set_status(self, ticket_id: int | str, status: str) -> None:
        assert status in STATUSES, status
        with self.lock:
            self.tickets[int(ticket_id)]["status"] = status

    def delete(self, ticket_id: int | str) -> None:
        with self.lock:
            del self.tickets[int(ticket_id)]

    def forget_idempotency_keys(self) -> None:
        """As if the two hours Zendesk keeps an idempotency key had passed."""
        with self.lock:
            self.idempotency.clear()

    # The API

    def route(self, request: Recorded) -> Reply:
        path = request.path
        if request.method == "POST" and path == "/api/v2/tickets":
            return self._create_idempotently(request)
        if request.method == "GET" and path == "/api/v2/tickets":
            return self._list(request)
        if request.method == "GET" and path.startswith("/api/v2/tickets/"):
            return self._show(path.removeprefix("/api/v2/tickets/"))
        return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def unauthorised(self) -> Reply:
        return Reply(401, {"error": "Couldn't authenticate you"})

    def throttled(self) -> Reply:
        body = {"error": "APIRateLimitExceeded", "description": "Rate limit exceeded"}
        return Reply(429, body, {"Retry-After": str(self.retry_after)})

    def _create_idempotently(self, request: Recorded) -> Reply:
        key = request.headers.get("idempotency-key")
        if key is None:
            return self._create(request.body)
        if key in self.idempotency:
            body, reply = self.idempotency[key]
            if body != request.body:
                return Reply(400, idempotent_request_error())
            return Reply(reply.status, reply.body, {**reply.headers, "x-idempotency-lookup": "hit"})
        reply = self._create(request.body)
        if reply.status < 300:  # only a completed create is kept against its key
            self.idempotency[key] = (request.body, reply)
        return Reply(reply.status, reply.body, {**reply.headers, "x-idempotency-lookup": "miss"})

    def _create(self, body: Any) -> Reply:
        if body is INVALID_JSON or not isinstance(body, dict):
            return Reply(400, {"error": "InvalidJSON", "description": "Body is not a JSON object"})
        attributes = body.get("ticket")
        if not isinstance(attributes, dict):
            return Reply(400, {"error": "InvalidParameter", "description": "ticket is required"})
        details = ticket_errors(attributes)
        if details:
            return Reply(422, record_invalid(details))
        ticket = self._store(attributes)
        audit = {"ticket_id": ticket["id"], "events": [{"type": "Create"}]}
        location = {"Location": ticket["url"]}
        return Reply(201, {"ticket": dict(ticket), "audit": audit}, location)

    def _store(self, attributes: dict[str, Any]) -> dict[str, Any]:
        ticket_id = next(self._ids)
        comment = attributes["comment"]
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        ticket = {
            "id": ticket_id,
            "url": f"{self.url}/api/v2/tickets/{ticket_id}.json",
            "external_id": attributes.get("external_id"),
            "subject": attributes.get("subject"),
            "raw_subject": attributes.get("raw_subject", attributes.get("subject")),
            "description": comment.get("body", comment.get("html_body")),
            "priority": attributes.get("priority"),
            "status": attributes.get("status", "new"),
            "type": attributes.get("type"),
            "tags": sorted({tag.lower() for tag in attributes.get("tags", [])}),
            "via": {"channel": "api"},
            "created_at": now,
            "updated_at": now,
        }
        self.tickets[ticket_id] = ticket
        return ticket

    def _list(self, request: Recorded) -> Reply:
        tickets = sorted(self.tickets.values(), key=lambda t: t["id"])
        if "external_id" in request.query:
            wanted = request.query["external_id"][0]
            tickets = [t for t in tickets if t["external_id"] == wanted]
        body = {"tickets": tickets, "next_page": None, "previous_page": None}
        return Reply(200, {**body, "count": len(tickets)})

    def _show(self, ticket_id: str) -> Reply:
        ticket = self.tickets.get(int(ticket_id)) if ticket_id.isdigit() else None
        if ticket is None:
            return Reply(404, {"error": "RecordNotFound", "description": "Not found"})
        return Reply(200, {"ticket": ticket})


def ticket_errors(attributes: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Validation errors by field, as in RecordInvalid's `details`."""
    errors: dict[str, list[dict[str, str]]] = {}

    def invalid(name: str, description: str, error: str = "InvalidValue") -> None:
        errors.setdefault(name, []).append({"description": description, "error": error})

    for name in sorted(set(attributes) - WRITABLE):
        invalid(name, f"{name}: is not a writable ticket attribute", "UnknownAttribute")
    comment = attributes.get("comment")
    text = comment.get("body") or comment.get("html_body") if isinstance(comment, dict) else None
    if not isinstance(text, str) or not text.strip():
        invalid("base", "Description: cannot be blank", "BlankValue")
    elif set(comment) - COMMENT_KEYS:
        invalid("comment", f"Comment: unknown keys {sorted(set(comment) - COMMENT_KEYS)}")
    for name, allowed in (("priority", PRIORITIES), ("status", STATUSES), ("type", TYPES)):
        if name in attributes and attributes[name] is not None and attributes[name] not in allowed:
            invalid(name, f"{name.capitalize()}: is not valid")
    for name in ("subject", "external_id"):
        if name in attributes and not isinstance(attributes[name], str | None):
            invalid(name, f"{name}: must be a string")
    tags = attributes.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        invalid("tags", "Tags: must be a list of strings")
    return errors


def record_invalid(details: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    return {"error": "RecordInvalid", "description": "Record validation errors", "details": details}


def idempotent_request_error() -> dict[str, str]:
    return {
        "error": "IdempotentRequestError",
        "description": "Request parameters don't match the given idempotency key",
    }
