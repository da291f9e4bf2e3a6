"""The OpenAPI 3.1 description of HTTP API v1; tests check responses against it."""

from __future__ import annotations

from typing import Any

from connectors.web.openapi_articles import SCHEMAS as ARTICLE_SCHEMAS
from connectors.web.openapi_articles import article_paths
from connectors.web.openapi_parts import json_response as _json
from connectors.web.openapi_parts import ref as _ref


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Malformed request (invalid JSON, wrong field types, empty text)",
        401: "Missing or wrong API token",
        403: "The agent endpoints are off: TIER0_API_TOKEN is not set",
        404: "Unknown conversation or ticket",
        413: "Text longer than the limit (4,000 characters) or body too large",
        415: "Content-Type is not application/json",
        422: "The choice id is not on offer in this conversation",
    }
    return {str(s): _json(_ref("Error"), text[s]) for s in statuses}


CHOICE = {
    "type": "object",
    "required": ["id", "label"],
    "properties": {"id": {"type": "string"}, "label": {"type": "string"}},
}

REPLY = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {
        "type": {"enum": ["text", "choices", "article", "ticket"]},
        "text": {"type": "string"},
        "choices": {"type": "array", "items": _ref("Choice")},
        "article_id": {"type": "string"},
        "title": {"type": "string"},
        "url": {"type": "string"},
        "ticket_id": {"type": "integer"},
        "status": {"type": "string"},
    },
    "allOf": [
        {"if": {"properties": {"type": {"const": "choices"}}}, "then": {"required": ["choices"]}},
        {
            "if": {"properties": {"type": {"const": "article"}}},
            "then": {"required": ["article_id", "title", "url"]},
        },
        {
            "if": {"properties": {"type": {"const": "ticket"}}},
            "then": {"required": ["ticket_id", "status"]},
        },
    ],
}

MESSAGE = {
    "type": "object",
    "required": ["seq", "sender", "type", "text", "created_at"],
    "properties": {
        "seq": {"type": "integer"},
        "sender": {"enum": ["user", "bot"]},
        "type": {"type": "string"},
        "text": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "intent": {"type": ["string", "null"]},
        "confidence": {"type": ["number", "null"]},
        "choice": {"type": "string"},
        "agent": {
            "type": "string",
            "description": "On a support agent's reply (type ticket): their name, empty when "
            "they gave none; `reply` holds their words alone",
        },
        "reply": {"type": "string"},
    },
}

# fixed / not fixed: an action's answer; answered: a check's or collect step's (in
# `answer`); handed_off: the step the user asked for a person at; resolved /
# escalate: an outcome step reached.
STEP_OUTCOMES = (
    "fixed",
    "not_fixed",
    "skipped",
    "answered",
    "handed_off",
    "resolved",
    "escalate",
)

TICKET = {
    "type": "object",
    "required": [
        "id",
        "status",
        "priority",
        "tier",
        "subject",
        "transcript",
        "steps_tried",
        "articles",
        "created_at",
        "sla",
    ],
    "properties": {
        "id": {"type": "integer"},
        "sla": {
            "type": "object",
            "description": "Due times from the priority's SLA target, in business hours",
            "required": ["first_response_due", "resolution_due", "breached"],
            "properties": {
                "first_response_due": {"type": ["string", "null"], "format": "date-time"},
                "resolution_due": {"type": ["string", "null"], "format": "date-time"},
                "breached": {"type": "boolean"},
                "first_response_breached": {"type": "boolean"},
                "resolution_breached": {"type": "boolean"},
                "warning": {"type": "boolean"},
                "paused": {"type": "boolean"},
            },
        },
        "status": {"enum": ["new", "open", "pending", "resolved", "closed"]},
        "priority": {"enum": ["P1", "P2", "P3", "P4"]},
        "tier": {"type": "integer", "minimum": 1, "maximum": 3},
        "queue": {"type": "string"},
        "subject": {"type": "string"},
        "channel": {"type": "string"},
        "user_id": {"type": "string"},
        "email": {
            "type": ["string", "null"],
            "description": "The person's email, when a channel vouched for it",
        },
        "conversation_id": {"type": ["string", "null"]},
        "intent": {"type": ["string", "null"]},
        "entities": {"type": "object", "additionalProperties": {"type": "string"}},
        "transcript": {"type": "array", "items": _ref("Message")},
        "steps_tried": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["article_id", "step", "title", "outcome"],
                "properties": {
                    "article_id": {"type": "string"},
                    "step": {"type": "integer"},
                    "title": {"type": "string"},
                    "outcome": {"enum": list(STEP_OUTCOMES)},
                    "answer": {"type": ["string", "null"]},
                    "step_id": {"type": "string"},
                },
            },
        },
        "articles": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["article_id", "title"],
                "properties": {
                    "article_id": {"type": "string"},
                    "title": {"type": "string"},
                    "feedback": {"enum": ["helpful", "not_helpful", None]},
                },
            },
        },
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "history": {
            "type": "array",
            "description": (
                "Status changes, replies, changes of priority or tier, an agent taking the "
                "conversation over and handing it back, and what the user said meanwhile; "
                "oldest first"
            ),
            "items": {
                "type": "object",
                "required": ["kind", "actor", "at"],
                "properties": {
                    "kind": {
                        "enum": [
                            "status",
                            "reply",
                            "change",
                            "takeover",
                            "handback",
                            "user_message",
                        ]
                    },
                    "status": {"type": ["string", "null"]},
                    "actor": {"enum": ["agent", "helpdesk", "user", "system"]},
                    "at": {"type": "string", "format": "date-time"},
                },
            },
        },
        "external": {
            "type": ["object", "null"],
            "description": "Where the outbox delivered the ticket (null: embedded helpdesk only)",
            "properties": {
                "system": {"enum": ["rt", "jira", "zendesk"]},
                "key": {"type": ["string", "null"]},
                "url": {"type": ["string", "null"]},
                "status": {"type": ["string", "null"]},
                "delivered": {"type": "boolean"},
                "attempts": {"type": "integer"},
                "last_error": {"type": ["string", "null"]},
            },
        },
    },
}

TICKET_CHANGE = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "status": {"enum": ["new", "open", "pending", "resolved", "closed"]},
        "priority": {"enum": ["P1", "P2", "P3", "P4"]},
        "tier": {"type": "integer", "minimum": 1, "maximum": 3},
    },
}

AGENT_REPLY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 4000},
        "agent": {"type": "string", "maxLength": 200},
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

SCHEMAS = {
    "Choice": CHOICE,
    "Reply": REPLY,
    "Message": MESSAGE,
    "Ticket": TICKET,
    "TicketChange": TICKET_CHANGE,
    "AgentReply": AGENT_REPLY,
    "Error": ERROR,
    "ConversationCreated": {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}},
    },
    "Replies": {
        "type": "object",
        "required": ["replies"],
        "properties": {
            "conversation_id": {"type": "string"},
            "replies": {"type": "array", "items": _ref("Reply")},
        },
    },
    "Conversation": {
        "type": "object",
        "required": ["id", "channel", "created_at", "messages"],
        "properties": {
            "id": {"type": "string"},
            "channel": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "messages": {"type": "array", "items": _ref("Message")},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"enum": ["ok", "unavailable"]},
            "articles": {"type": "integer"},
            "database": {"type": "string"},
        },
    },
}

NEW_MESSAGE = {
    "type": "object",
    "oneOf": [
        {
            "required": ["text"],
            "properties": {"text": {"type": "string", "maxLength": 4000}},
            "additionalProperties": False,
        },
        {
            "required": ["choice"],
            "properties": {"choice": {"type": "string"}},
            "additionalProperties": False,
        },
    ],
}


def _paths() -> dict[str, Any]:
    ticket_id = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    conversation_id = {
        "name": "conversation_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    return {
        "/api/v1/conversations": {
            "post": {
                "summary": "Start a conversation",
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "user": {"type": "string"},
                                    "channel": {"type": "string"},
                                    "email": {
                                        "type": "string",
                                        "description": "The user's email, from a caller "
                                        "with the API token: their tickets are then found "
                                        "from any channel they use with it",
                                    },
                                    "timezone": {
                                        "type": "string",
                                        "description": "The user's IANA time zone "
                                        "(Europe/Paris): due times are told in it",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(_ref("ConversationCreated"), "Created"),
                    **_errors(400, 415),
                },
            }
        },
        "/api/v1/conversations/{conversation_id}/messages": {
            "post": {
                "summary": "Send the user's text or a choice id; get the bot's replies",
                "parameters": [conversation_id],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": NEW_MESSAGE}},
                },
                "responses": {
                    "200": _json(_ref("Replies"), "The bot's replies"),
                    **_errors(400, 404, 413, 415, 422),
                },
            }
        },
        "/api/v1/conversations/{conversation_id}": {
            "get": {
                "summary": "The conversation's transcript",
                "description": "With ?after=SEQ, only the messages since that one: a widget "
                "polls this for agent replies and ticket updates.",
                "parameters": [
                    conversation_id,
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 0},
                    },
                ],
                "responses": {
                    "200": _json(_ref("Conversation"), "Transcript"),
                    **_errors(400, 404),
                },
            }
        },
        "/api/v1/tickets/{ticket_id}": {
            "get": {
                "summary": "A ticket with its transcript, steps tried and articles shown",
                "parameters": [ticket_id],
                "security": [{}, {"bearer": []}],
                "responses": {"200": _json(_ref("Ticket"), "The ticket"), **_errors(401, 404)},
            },
            "patch": {
                "summary": "Change a ticket's status, priority or tier (an agent's act)",
                "description": "Recorded in the ticket's history; a status change is told "
                "to the user in their conversation. Needs TIER0_API_TOKEN.",
                "parameters": [ticket_id],
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("TicketChange")}},
                },
                "responses": {
                    "200": _json(_ref("Ticket"), "The changed ticket"),
                    **_errors(400, 401, 403, 404, 415),
                },
            },
        },
        "/api/v1/tickets/{ticket_id}/replies": {
            "post": {
                "summary": "An agent's reply, delivered to the user's conversation",
                "description": "The first reply is the SLA's first response. Needs "
                "TIER0_API_TOKEN.",
                "parameters": [ticket_id],
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("AgentReply")}},
                },
                "responses": {
                    "201": _json(_ref("Ticket"), "The ticket, reply recorded"),
                    **_errors(400, 401, 403, 404, 415),
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness and readiness: database reachable, index loaded",
                "responses": {
                    "200": _json(_ref("Health"), "Ready"),
                    "503": _json(_ref("Health"), "Not ready"),
                },
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tier0 HTTP API", "version": "1.0.0"},
        "paths": _paths() | article_paths(),
        "components": {
            "schemas": SCHEMAS | ARTICLE_SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
