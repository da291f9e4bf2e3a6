"""A fake Jira Service Management Cloud site: the endpoints Tier0 uses, over real HTTP.

Implemented as documented (developer.atlassian.com, JSM Cloud and Jira Cloud platform
REST API references):

- `POST /rest/servicedeskapi/request` ("Create customer request"): `serviceDeskId`,
  `requestTypeId` (strings) and `requestFieldValues`, a map of Jira field ids to
  values; optional `raiseOnBehalfOf`, `requestParticipants`, `channel`, `form`,
  `isAdfRequest`. A field the request type does not have, a missing required field,
  a wrong type, a label with whitespace, or an unknown service desk or request type
  answers 400 with the servicedeskapi error shape `{"errorMessage": ...,
  "i18nErrorMessage": {"i18nKey": ..., "parameters": [...]}}`. Answers 201 with the
  customer request: `issueId`, `issueKey`, `requestFieldValues` as a list of
  `{fieldId, label, value}`, `currentStatus` `{status, statusCategory, statusDate}`.
- `GET /rest/servicedeskapi/request/{issueIdOrKey}` ("Get customer request"): the same
  shape, or 404 in the servicedeskapi error shape.
- `GET` and `POST /rest/api/3/search/jql` ("Search for issues using JQL enhanced
  search"): `jql`, `fields`, `maxResults`, `nextPageToken`; answers `{"issues": [{id,
  key, self, fields}], "isLast", "nextPageToken"?}`. As documented, only `id` comes
  back unless `fields` asks for more; an unbounded query (none, or only ORDER BY) is
  refused. Errors use the platform shape `{"errorMessages": [...], "errors": {}}`.
- Authentication: Basic `email:api_token`; otherwise 401. Rate limit: 429 with
  `Retry-After`, as Jira Cloud does.

Simplifications: the JQL understood is `labels = "<label>"` with an optional
`ORDER BY created ASC|DESC` (anything else is a 400 saying so); the search is
immediately consistent, which Jira's is not; the i18n keys are illustrative; unknown
top-level keys of a create are refused (Jira's own handling of them is undocumented).
"""

from __future__ import annotations

import base64
import itertools
import re
import time
from datetime import UTC, datetime
from typing import Any

from tests.fakes.http_fake import INVALID_JSON, FakeHttpServer, Recorded, Reply

# The default JSM service-request workflow: status name -> category.
WORKFLOW = {
    "Waiting for support": "NEW",
    "Waiting for customer": "INDETERMINATE",
    "In progress": "INDETERMINATE",
    "Pending": "INDETERMINATE",
    "Escalated": "INDETERMINATE",
    "Resolved": "DONE",
    "Closed": "DONE",
    "Canceled": "DONE",
    "Declined": "DONE",
}
CATEGORIES = {  # servicedeskapi category -> platform statusCategory
    "NEW": {"id": 2, "key": "new", "name": "To Do"},
    "INDETERMINATE": {"id": 4, "key": "indeterminate", "name": "In Progress"},
    "DONE": {"id": 3, "key": "done", "name": "Done"},
    "UNDEFINED": {"id": 1, "key": "undefined", "name": "No Category"},
}
PRIORITIES = {"1": "Highest", "2": "High", "3": "Medium", "4": "Low", "5": "Lowest"}
FIELD_LABELS = {
    "summary": "Summary",
    "description": "Description",
    "labels": "Labels",
    "priority": "Priority",
}
CREATE_KEYS = frozenset(
    {
        "serviceDeskId",
        "requestTypeId",
        "requestFieldValues",
        "raiseOnBehalfOf",
        "requestParticipants",
        "channel",
        "form",
        "isAdfRequest",
    }
)
JQL = re.compile(
    r'\s*labels\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))'
    r"(?:\s+ORDER\s+BY\s+created(?:\s+(?P<order>ASC|DESC))?)?\s*",
    re.IGNORECASE,
)


class FakeJira(FakeHttpServer):
    """One service desk (`1`, project SD) whose request types have the fields given.

    Request type `10` has summary, description, labels and priority; `11` only summary
    and description, like a type an administrator did not add Labels to.
    """

    def __init__(self, email: str = "bot@example.com", token: str = "jira-token") -> None:
        credentials = base64.b64encode(f"{email}:{token}".encode()).decode()
        super().__init__(f"Basic {credentials}")
        self.email = email
        self.service_desks = {"1": "SD"}  # id -> project key
        self.request_types = {
            "10": ("1", frozenset({"summary", "description", "labels", "priority"})),
            "11": ("1", frozenset({"summary", "description"})),
        }  # id -> (service desk id, fields); summary is required in both
        self.issues: dict[str, dict[str, Any]] = {}  # by key
        self._ids = itertools.count(10001)
        self._numbers = itertools.count(1)

    # Test controls

    def set_status(self, key: str, name: str, category: str | None = None) -> None:
        """Move the request to a workflow status (or any name, with its category)."""
        with self.lock:
            self.issues[key]["status"] = (name, category or WORKFLOW[name])

    def delete(self, key: str) -> None:
        with self.lock:
            del self.issues[key]

    # The API

    def route(self, request: Recorded) -> Reply:
        method, path = request.method, request.path
        if method == "POST" and path == "/rest/servicedeskapi/request":
            return self._create(request.body)
        if method == "GET" and path.startswith("/rest/servicedeskapi/request/"):
            return self._get(path.removeprefix("/rest/servicedeskapi/request/"))
        if path == "/rest/api/3/search/jql" and method in ("GET", "POST"):
            return self._search(search_parameters(request))
        return Reply(404, sd_error("Not found", "sd.resource.not.found"))

    def unauthorised(self) -> Reply:
        return Reply(401, "Client must be authenticated to access this resource.")

    def _create(self, body: Any) -> Reply:
        problem = self._create_problem(body)
        if problem:
            return Reply(400, problem)
        issue_id = str(next(self._ids))
        key = f"{self.service_desks[body['serviceDeskId']]}-{next(self._numbers)}"
        self.issues[key] = {
            "id": issue_id,
            "key": key,
            "serviceDeskId": body["serviceDeskId"],
            "requestTypeId": body["requestTypeId"],
            "fields": dict(body["requestFieldValues"]),
            "status": ("Waiting for support", "NEW"),
            "created": time.time(),
        }
        return Reply(201, self._customer_request(self.issues[key]))

    def _create_problem(self, body: Any) -> dict[str, Any] | None:
        """The 400 body for a create the real API refuses, or None."""
        if body is INVALID_JSON or not isinstance(body, dict):
            return sd_error("The request body is not a JSON object.", "sd.request.body.invalid")
        unknown = sorted(set(body) - CREATE_KEYS)
        if unknown:
            return sd_error(f"Unrecognized field(s): {unknown}", "sd.request.unknown.field")
        desk, request_type = body.get("serviceDeskId"), body.get("requestTypeId")
        if not isinstance(desk, str) or desk not in self.service_desks:
            return sd_error(
                f"The service project {desk!r} does not exist.",
                "sd.servicedesk.error.not.found",
                [str(desk)],
            )
        if (
            not isinstance(request_type, str)
            or self.request_types.get(request_type, ("",))[0] != desk
        ):
            return sd_error(
                f"The request type {request_type!r} does not exist in this service project.",
                "sd.request.create.requesttype.not.found",
                [str(request_type)],
            )
        values = body.get("requestFieldValues")
        if not isinstance(values, dict):
            return sd_error(
                "requestFieldValues must be a JSON object.", "sd.request.fields.invalid"
            )
        return field_problem(values, self.request_types[request_type][1])

    def _get(self, id_or_key: str) -> Reply:
        issue = self.issues.get(id_or_key) or next(
            (i for i in self.issues.values() if i["id"] == id_or_key), None
        )
        if issue is None:
            return Reply(
                404,
                sd_error(
                    "The request either does not exist or you do not have permission to view it.",
                    "sd.request.error.not.found",
                ),
            )
        return Reply(200, self._customer_request(issue))

    def _search(self, parameters: dict[str, Any]) -> Reply:
        jql = parameters.get("jql")
        if not isinstance(jql, str) or not jql.strip() or jql.strip().upper().startswith("ORDER"):
            return Reply(
                400,
                jira_error(
                    "Unbounded JQL queries are not allowed here. "
                    "Please add a search restriction to your query."
                ),
            )
        match = JQL.fullmatch(jql)
        if match is None:
            return Reply(
                400, jira_error(f"Error in the JQL Query (the fake knows only labels): {jql}")
            )
        label = match["quoted"] if match["quoted"] is not None else match["bare"]
        hits = [i for i in self.issues.values() if label in i["fields"].get("labels", [])]
        hits.sort(key=lambda i: i["created"], reverse=(match["order"] or "").upper() == "DESC")
        start = int(parameters.get("nextPageToken") or 0)
        limit = int(parameters.get("maxResults") or 50)
        page = hits[start : start + limit]
        fields = parameters.get("fields") or []
        body: dict[str, Any] = {
            "issues": [self._platform_issue(i, fields) for i in page],
            "isLast": start + limit >= len(hits),
        }
        if not body["isLast"]:
            body["nextPageToken"] = str(start + limit)
        return Reply(200, body)

    def _platform_issue(self, issue: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        if not fields:  # the enhanced search returns only ids by default
            return {"id": issue["id"]}
        name, category = issue["status"]
        known = {
            "status": {"name": name, "statusCategory": CATEGORIES[category]},
            "labels": issue["fields"].get("labels", []),
            "summary": issue["fields"].get("summary"),
        }
        wanted = known if "*all" in fields else {f: known[f] for f in fields if f in known}
        self_url = f"{self.url}/rest/api/3/issue/{issue['id']}"
        return {"id": issue["id"], "key": issue["key"], "self": self_url, "fields": wanted}

    def _customer_request(self, issue: dict[str, Any]) -> dict[str, Any]:
        name, category = issue["status"]
        created = jira_date(issue["created"])
        return {
            "issueId": issue["id"],
            "issueKey": issue["key"],
            "requestTypeId": issue["requestTypeId"],
            "serviceDeskId": issue["serviceDeskId"],
            "createdDate": created,
            "reporter": {"emailAddress": self.email, "displayName": "Tier0"},
            "requestFieldValues": [
                {"fieldId": f, "label": FIELD_LABELS.get(f, f), "value": v}
                for f, v in issue["fields"].items()
            ],
            "currentStatus": {"status": name, "statusCategory": category, "statusDate": created},
            "_links": {
                "self": f"{self.url}/rest/servicedeskapi/request/{issue['id']}",
                "web": f"{self.url}/servicedesk/customer/portal/1/{issue['key']}",
                "agent": f"{self.url}/browse/{issue['key']}",
            },
        }


def field_problem(values: dict[str, Any], fields: frozenset[str]) -> dict[str, Any] | None:
    """The 400 body for request field values the request type refuses, or None."""
    for field in sorted(values):
        if field not in fields:
            return sd_error(
                f"Field '{field}' is not valid for this request type.",
                "sd.request.create.field.not.valid",
                [field],
            )
    summary = values.get("summary")
    if not isinstance(summary, str) or not summary.strip() or len(summary) > 255:
        return sd_error(
            "Summary: you must specify a summary of at most 255 characters.",
            "sd.request.create.field.required",
            ["summary"],
        )
    if not isinstance(values.get("description", ""), str):
        return sd_error(
            "Description: must be a string.", "sd.request.create.field.invalid", ["description"]
        )
    labels = values.get("labels", [])
    if not isinstance(labels, list) or not all(valid_label(label) for label in labels):
        return sd_error(
            "Labels: a label is a string without spaces, at most 255 characters.",
            "sd.request.create.field.invalid",
            ["labels"],
        )
    priority = values.get("priority")
    if priority is not None and not (
        isinstance(priority, dict)
        and (priority.get("id") in PRIORITIES or priority.get("name") in PRIORITIES.values())
    ):
        return sd_error(
            "Priority: specify a valid priority id or name.",
            "sd.request.create.field.invalid",
            ["priority"],
        )
    return None


def valid_label(label: Any) -> bool:
    return isinstance(label, str) and 0 < len(label) <= 255 and not re.search(r"\s", label)


def search_parameters(request: Recorded) -> dict[str, Any]:
    """The enhanced search's parameters, from the query string (GET) or the body (POST)."""
    if request.method == "POST":
        return request.body if isinstance(request.body, dict) else {}
    query = {name: values[-1] for name, values in request.query.items()}
    if "fields" in query:
        query["fields"] = [f.strip() for f in query["fields"].split(",") if f.strip()]
    return query


def sd_error(message: str, key: str, parameters: list[str] | None = None) -> dict[str, Any]:
    """The servicedeskapi error shape."""
    return {
        "errorMessage": message,
        "i18nErrorMessage": {"i18nKey": key, "parameters": parameters or []},
    }


def jira_error(message: str) -> dict[str, Any]:
    """The Jira platform REST error shape."""
    return {"errorMessages": [message], "errors": {}}


def jira_date(epoch: float) -> dict[str, Any]:
    moment = datetime.fromtimestamp(epoch, UTC)
    return {
        "iso8601": moment.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "jira": moment.strftime("%Y-%m-%dT%H:%M:%S.000%z"),
        "friendly": moment.strftime("%d/%b/%y %I:%M %p"),
        "epochMillis": int(epoch * 1000),
    }
