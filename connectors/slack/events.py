"""Slack events and button clicks read into what Tier0 needs: who, where, what.

Pure functions over the JSON Slack sends, so every filtering rule (bot messages,
edits, subtypes, the mention markup) is tested without a server. Nothing here
posts or stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# "<@U123>" or "<@U123|name>": the markup a mention arrives as.
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class SlackPlace:
    """Where a conversation lives. `thread_key` looks it up ("" for a DM channel as a
    whole); `reply_ts` is the thread a reply goes into."""

    team: str
    channel: str
    thread_key: str
    reply_ts: str


@dataclass(frozen=True)
class SlackTurn:
    place: SlackPlace
    user: str
    text: str
    direct: bool  # a DM: the conversation is the DM channel's unless the thread has its own


@dataclass(frozen=True)
class SlackClick:
    team: str
    user: str
    channel: str
    message_ts: str
    block_id: str
    choice_id: str
    label: str
    blocks: list[dict[str, Any]]


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    """The text without the bot's own mention (other people's stay, as their id)."""
    if bot_user_id is None:
        return text.strip()
    cleaned = _MENTION.sub(lambda m: "" if m.group(1) == bot_user_id else m.group(0), text)
    return " ".join(cleaned.split())


def _team(body: dict[str, Any], event: dict[str, Any]) -> str:
    return str(event.get("team") or body.get("team_id") or "")


def direct_message(body: dict[str, Any], bot_user_id: str | None) -> SlackTurn | None:
    """A user's new message in a DM with the bot, or None for anything else: other
    channel types, edits and deletions (subtypes), the bot's own and other bots'."""
    event = body.get("event") or {}
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    user = event.get("user")
    if not user or user == bot_user_id or not str(event.get("text") or "").strip():
        return None
    ts, thread_ts = str(event["ts"]), event.get("thread_ts")
    place = SlackPlace(_team(body, event), str(event["channel"]), thread_ts or "", thread_ts or ts)
    return SlackTurn(place, user, strip_mentions(str(event["text"]), bot_user_id), True)


def mention(body: dict[str, Any], bot_user_id: str | None) -> SlackTurn | None:
    """An `app_mention` in a channel: the thread it started or was said in. In a DM
    the message event covers it (Slack sends both)."""
    event = body.get("event") or {}
    user = event.get("user")
    if event.get("bot_id") or event.get("subtype") or not user or user == bot_user_id:
        return None
    if str(event.get("channel") or "").startswith("D"):
        return None
    text = strip_mentions(str(event.get("text") or ""), bot_user_id)
    if not text:
        text = "help"  # "@Tier0" alone: say what the bot can do
    ts, thread_ts = str(event["ts"]), event.get("thread_ts")
    thread = str(thread_ts or ts)
    # Everyone in a channel thread talks to the bot in a conversation of their own
    # (their tickets, their guided fix), all of it answered in the one thread.
    place = SlackPlace(_team(body, event), str(event["channel"]), f"{thread}:{user}", thread)
    return SlackTurn(place, user, text, False)


def click(body: dict[str, Any]) -> SlackClick | None:
    """A click on one of Tier0's buttons, or None for a body without one."""
    actions = body.get("actions") or []
    container = body.get("container") or {}
    message = body.get("message") or {}
    if not actions or not container.get("message_ts"):
        return None
    action = actions[0]
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    return SlackClick(
        team=str(team),
        user=str((body.get("user") or {}).get("id") or ""),
        channel=str(container.get("channel_id") or (body.get("channel") or {}).get("id") or ""),
        message_ts=str(container["message_ts"]),
        block_id=str(action.get("block_id") or ""),
        choice_id=str(action.get("value") or ""),
        label=str((action.get("text") or {}).get("text") or action.get("value") or ""),
        blocks=list(message.get("blocks") or []),
    )
