"""The channel-neutral vocabulary that crosses the layers.

Connectors translate a platform event into an `IncomingMessage` and render the
`Reply` objects the engine returns; nothing here knows about Slack, Teams or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class IncomingMessage:
    """One thing a user did: typed `text`, or clicked the choice `choice_id`."""

    conversation_id: str
    text: str | None = None
    choice_id: str | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.choice_id is None):
            raise ValueError("an IncomingMessage carries exactly one of text or choice_id")


@dataclass(frozen=True)
class Choice:
    """A button the user can press; `id` comes back as `IncomingMessage.choice_id`."""

    id: str
    label: str


@dataclass(frozen=True)
class TextReply:
    type: ClassVar[str] = "text"
    text: str


@dataclass(frozen=True)
class ChoicesReply:
    type: ClassVar[str] = "choices"
    text: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class ArticleReply:
    """An article card: title, a short extract (`text`) and a link."""

    type: ClassVar[str] = "article"
    text: str
    article_id: str
    title: str
    url: str


@dataclass(frozen=True)
class TicketReply:
    type: ClassVar[str] = "ticket"
    text: str
    ticket_id: int
    status: str


Reply = TextReply | ChoicesReply | ArticleReply | TicketReply


def reply_to_dict(reply: Reply) -> dict[str, object]:
    """The JSON shape of a reply, shared by the HTTP API and the stored transcript."""
    data: dict[str, object] = {"type": reply.type, "text": reply.text}
    match reply:
        case ChoicesReply(choices=choices):
            data["choices"] = [{"id": c.id, "label": c.label} for c in choices]
        case ArticleReply():
            data.update(article_id=reply.article_id, title=reply.title, url=reply.url)
        case TicketReply():
            data.update(ticket_id=reply.ticket_id, status=reply.status)
    return data


def reply_from_dict(data: dict[str, object]) -> Reply:
    """Inverse of `reply_to_dict`, used when reading a stored transcript back."""
    kind, text = data["type"], str(data["text"])
    if kind == "choices":
        raw = data.get("choices") or []
        assert isinstance(raw, list)
        return ChoicesReply(text, tuple(Choice(str(c["id"]), str(c["label"])) for c in raw))
    if kind == "article":
        return ArticleReply(text, str(data["article_id"]), str(data["title"]), str(data["url"]))
    if kind == "ticket":
        return TicketReply(text, int(str(data["ticket_id"])), str(data["status"]))
    return TextReply(text)


@dataclass(frozen=True)
class Participant:
    """Who is talking, as the channel identifies them."""

    channel: str = "api"
    user_id: str = "anonymous"
    display_name: str | None = None
    timezone: str | None = None  # IANA name ("Europe/Paris"): due times are told in it
    # Only what the channel vouches for (a Slack or Teams profile, the API with its
    # token): whoever has this email sees the tickets of it, from any channel.
    email: str | None = None
