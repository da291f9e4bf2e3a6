"""Channel-neutral replies as Slack messages: Block Kit blocks plus the plain `text`
fallback that notifications, screen readers and old clients show.

Pure functions, no Slack SDK: the connector posts what these return. Replies are
written in a little Markdown (`**bold**`, `[title](url)`); Slack reads its own
"mrkdwn", in which `&`, `<` and `>` must be escaped or a user's `<!channel>` would
ping a whole channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.types import ArticleReply, ChoicesReply, Reply, TextReply, TicketReply

CHOICES_BLOCK = "tier0-choices"  # block_id prefix of an actions block: + the conversation id
BUTTON_CHARS = 75  # Slack's limit for a button's text
SECTION_CHARS = 3000  # and for a section's text
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage takes: the fallback text and the blocks."""

    text: str
    blocks: tuple[dict[str, Any], ...]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(text: str) -> str:
    """Markdown → mrkdwn: escaped, **bold** → *bold*, [t](u) → <u|t>."""
    escaped = escape(text)
    linked = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '/')}>", escaped)
    return _BOLD.sub(r"*\1*", linked)


def plain(text: str) -> str:
    """The fallback text: links as "title (url)", bold marks dropped."""
    return _BOLD.sub(r"\1", _LINK.sub(r"\1 (\2)", text))


def section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn[:SECTION_CHARS]}}


def context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:SECTION_CHARS]}]}


def render(reply: Reply, conversation_id: str, prefix: str = "") -> SlackMessage:
    """One reply as one Slack message; `prefix` (mrkdwn) goes before its text, as
    "*Ana* (support):" when an agent speaks. Buttons carry the choice id as their
    value and the conversation in their block's id."""
    lead = f"{prefix} " if prefix else ""
    body = lead + to_mrkdwn(reply.text)
    fallback = plain(lead.replace("*", "") + reply.text)
    match reply:
        case ArticleReply():
            title = f"*<{reply.url}|{escape(reply.title)}>*"
            blocks = (section(f"{title}\n{body}"),)
            fallback = f"{reply.title} ({reply.url}): {fallback}"
        case ChoicesReply():
            blocks = (section(body), _buttons(reply, conversation_id))
            fallback += " " + " / ".join(c.label for c in reply.choices)
        case TicketReply():
            blocks = (section(body), context(f"Ticket #{reply.ticket_id} · {reply.status}"))
        case TextReply():
            blocks = (section(body),)
    return SlackMessage(fallback, blocks)


def _buttons(reply: ChoicesReply, conversation_id: str) -> dict[str, Any]:
    elements = [
        {
            "type": "button",
            "action_id": f"tier0-choice-{index}",
            "text": {"type": "plain_text", "text": choice.label[:BUTTON_CHARS], "emoji": True},
            "value": choice.id,
        }
        for index, choice in enumerate(reply.choices[:25])
    ]
    return {
        "type": "actions",
        "block_id": f"{CHOICES_BLOCK}:{conversation_id}",
        "elements": elements,
    }


def chosen(blocks: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    """The clicked message's blocks with its buttons replaced by "You chose: X", so an
    old question cannot be answered twice."""
    said = context(f"You chose: *{escape(label)}*")
    return [said if block.get("type") == "actions" else block for block in blocks]


def conversation_of_block(block_id: str) -> str | None:
    """The conversation id a button's block carries, or None for a block not ours."""
    prefix = CHOICES_BLOCK + ":"
    return block_id.removeprefix(prefix) or None if block_id.startswith(prefix) else None
