"""The OpenAPI description of the KB editor's endpoints, `/api/v1/articles...`."""

from __future__ import annotations

from typing import Any

from connectors.web.openapi_parts import json_response as _json
from connectors.web.openapi_parts import ref as _ref

STATES = ["draft", "in_review", "published", "archived"]
STEPS = ["submit", "return", "publish", "archive"]


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Malformed request or parameter",
        401: "Missing or wrong API token",
        403: "The articles API is off: TIER0_EDITOR_API_TOKEN is not set",
        404: "No such article or version",
        409: "Not in the state this step starts from, or a newer version was saved meanwhile",
        415: "Content-Type is not application/json",
        422: "The article cannot be saved or published; `problems` says why",
    }
    return {str(s): _json(_ref("Error"), text[s]) for s in statuses}


PROBLEM = {
    "type": "object",
    "required": ["line", "message", "severity"],
    "properties": {
        "line": {"type": "integer"},
        "message": {"type": "string"},
        "severity": {"enum": ["error", "warning"]},
    },
}
REVISION = {
    "type": "object",
    "required": ["id", "version", "state", "path", "author", "created_at", "updated_at", "url"],
    "properties": {
        "id": {"type": "string"},
        "version": {"type": "integer", "description": "0: the file, never edited here"},
        "state": {"enum": [*STATES, "superseded"]},
        "path": {"type": "string", "description": "The file, relative to the KB directory"},
        "author": {"type": "string"},
        "note": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "url": {"type": "string"},
        "markdown": {"type": "string", "description": "The whole file: front matter and body"},
    },
}
LISTED = {
    "type": "object",
    "required": ["id", "title", "state", "published", "guided_fix"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "category": {"type": ["string", "null"]},
        "state": {"enum": STATES},
        "published": {"type": "boolean", "description": "Whether a version is live"},
        "guided_fix": {"type": "boolean"},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
        "author": {"type": ["string", "null"]},
    },
}
ARTICLE_TEXT = {
    "type": "object",
    "description": "The article as `markdown` (the whole file), or as `fields` and `body`",
    "properties": {
        "markdown": {"type": "string"},
        "fields": {"type": "object", "description": "Front matter: title, category, tags..."},
        "body": {"type": "string"},
        "author": {"type": "string", "maxLength": 60},
        "base_version": {
            "type": "integer",
            "description": "The version this text was edited from: if someone saved a newer "
            "one meanwhile, the save is refused with 409 (code conflict)",
        },
        "note": {"type": "string", "maxLength": 500},
    },
}
SCHEMAS = {
    "ArticleProblem": PROBLEM,
    "ArticleRevision": REVISION,
    "ArticleListed": LISTED,
    "ArticleText": ARTICLE_TEXT,
    "ArticleWithProblems": {
        "type": "object",
        "required": ["article", "problems"],
        "properties": {
            "article": _ref("ArticleRevision"),
            "problems": {"type": "array", "items": _ref("ArticleProblem")},
        },
    },
    "ArticleOnly": {
        "type": "object",
        "required": ["article"],
        "properties": {"article": _ref("ArticleRevision")},
    },
}


ARTICLE_ID = {"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}}
BODY = {"required": True, "content": {"application/json": {"schema": _ref("ArticleText")}}}


def article_paths() -> dict[str, Any]:
    secured: dict[str, Any] = {"security": [{"bearer": []}]}
    return {
        "/api/v1/articles": {
            "get": {
                "summary": "Articles: working drafts and reviews first, then published ones",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "state", "in": "query", "schema": {"enum": STATES}},
                    {"name": "category", "in": "query", "schema": {"type": "string"}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 200}},
                ],
                **secured,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "articles": {"type": "array", "items": _ref("ArticleListed")}
                            },
                        },
                        "The list",
                    ),
                    **_errors(400, 401, 403),
                },
            },
            "post": {
                "summary": "A new article, saved as a draft",
                "requestBody": BODY,
                **secured,
                "responses": {
                    "201": _json(
                        _ref("ArticleWithProblems"), "The draft and the linter's problems"
                    ),
                    **_errors(400, 401, 403, 415, 422),
                },
            },
        },
        "/api/v1/articles/preview": {
            "post": {
                "summary": "The HTML users would see, and the linter's problems; nothing saved",
                "requestBody": BODY,
                **secured,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["html", "problems"],
                            "properties": {
                                "html": {"type": "string"},
                                "problems": {"type": "array", "items": _ref("ArticleProblem")},
                            },
                        },
                        "The preview",
                    ),
                    **_errors(400, 401, 403, 415),
                },
            }
        },
        "/api/v1/articles/{article_id}": {
            "get": {
                "summary": "The version being worked on: the latest draft or review, else the file",
                "parameters": [ARTICLE_ID],
                **secured,
                "responses": {
                    "200": _json(_ref("ArticleWithProblems"), "The article"),
                    **_errors(401, 403, 404),
                },
            },
            "put": {
                "summary": "Save a new draft version",
                "parameters": [ARTICLE_ID],
                "requestBody": BODY,
                **secured,
                "responses": {
                    "200": _json(_ref("ArticleWithProblems"), "The new draft"),
                    **_errors(400, 401, 403, 404, 415, 422),
                },
            },
        },
        "/api/v1/articles/{article_id}/{step}": {
            "post": {
                "summary": "A workflow step: submit (draft → in_review), return, publish, archive",
                "description": "publish writes the article's file and updates the search "
                "index at once; it answers 422 with `problems` while the linter finds errors",
                "parameters": [
                    ARTICLE_ID,
                    {"name": "step", "in": "path", "required": True, "schema": {"enum": STEPS}},
                ],
                **secured,
                "responses": {
                    "200": _json(_ref("ArticleOnly"), "The article in its new state"),
                    **_errors(401, 403, 404, 409, 422),
                },
            }
        },
        "/api/v1/articles/{article_id}/versions": {
            "get": {
                "summary": "Every saved version, newest first (without their text)",
                "parameters": [ARTICLE_ID],
                **secured,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "versions": {"type": "array", "items": _ref("ArticleRevision")}
                            },
                        },
                        "The history",
                    ),
                    **_errors(401, 403, 404),
                },
            }
        },
        "/api/v1/articles/{article_id}/versions/{version}": {
            "get": {
                "summary": "One version, with its text",
                "parameters": [
                    ARTICLE_ID,
                    {
                        "name": "version",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                ],
                **secured,
                "responses": {
                    "200": _json(_ref("ArticleOnly"), "The version"),
                    **_errors(401, 403, 404),
                },
            }
        },
        "/api/v1/articles/{article_id}/diff": {
            "get": {
                "summary": "A unified diff between two versions, one string per line",
                "parameters": [
                    ARTICLE_ID,
                    {"name": "old", "in": "query", "required": True, "schema": {"type": "integer"}},
                    {"name": "new", "in": "query", "required": True, "schema": {"type": "integer"}},
                ],
                **secured,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"diff": {"type": "array", "items": {"type": "string"}}},
                        },
                        "The diff",
                    ),
                    **_errors(400, 401, 403, 404),
                },
            }
        },
        "/api/v1/articles/{article_id}/revert": {
            "post": {
                "summary": "Restore an earlier version as a new draft",
                "parameters": [ARTICLE_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["version"],
                                "properties": {"version": {"type": "integer", "minimum": 1}},
                            }
                        }
                    },
                },
                **secured,
                "responses": {
                    "200": _json(_ref("ArticleOnly"), "The new draft"),
                    **_errors(400, 401, 403, 404, 415),
                },
            }
        },
    }
