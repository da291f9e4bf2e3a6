"""Tier0's channel-neutral replies as Teams activities, and Teams input back as text.

Text goes as Markdown (Teams renders it); an article is an Adaptive Card with its
title, summary and an "Open article" link; choices are an Adaptive Card whose
buttons are `Action.Submit` with `{"tier0_choice": <choice id>}` as data, which
Teams sends back as a message activity with that `value`; a ticket reference is a
card too. `@mention` markup (`<at>Tier0</at>`) is removed before the engine sees
the text, so a mention never changes what the bot understands.
"""

from __future__ import annotations

import html
import re
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, Attachment

from bot.types import ArticleReply, ChoicesReply, Reply, TicketReply

CARD = "application/vnd.microsoft.card.adaptive"
CHOICE_KEY = "tier0_choice"
_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Attachment:
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return Attachment(content_type=CARD, content=content)


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def to_activity(reply: Reply) -> dict[str, Any]:
    """One reply as a message activity (without the conversation fields), built with
    the Agents SDK's `Activity` model so the wire names are the protocol's own."""
    text, attachments = reply.text, []
    if isinstance(reply, ArticleReply):
        body = [_text_block(reply.title, weight="Bolder", size="Medium"), _text_block(reply.text)]
        action = {"type": "Action.OpenUrl", "title": "Open article", "url": reply.url}
        attachments, text = [_card(body, [action])], reply.title
    elif isinstance(reply, ChoicesReply):
        actions = [
            {"type": "Action.Submit", "title": c.label, "data": {CHOICE_KEY: c.id}}
            for c in reply.choices
        ]
        attachments = [_card([_text_block(reply.text)], actions)]
    elif isinstance(reply, TicketReply):
        body = [
            _text_block(f"Ticket #{reply.ticket_id} · {reply.status}", weight="Bolder"),
            _text_block(reply.text),
        ]
        attachments = [_card(body)]
    activity = Activity(type=ActivityTypes.message, text=text, text_format="markdown")
    if attachments:
        activity.attachments = attachments
    wire = activity.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True, mode="json")
    return {"type": "message", **wire}


def incoming_text(activity: dict[str, Any]) -> str:
    """The user's words: mentions (of the bot or anyone) and leftover tags removed,
    entities decoded, spaces collapsed."""
    text = str(activity.get("text") or "")
    text = _TAG.sub(" ", _MENTION.sub(" ", text))
    return " ".join(html.unescape(text).split())


def incoming_choice(activity: dict[str, Any]) -> str | None:
    """The choice id of an Adaptive Card button press, if this activity is one."""
    value = activity.get("value")
    if isinstance(value, dict) and isinstance(value.get(CHOICE_KEY), str):
        return str(value[CHOICE_KEY])
    return None
