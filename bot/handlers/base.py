"""The handler extension point: one small interface, one registry.

The built-in handlers register exactly as a custom one would, via
`HandlerRegistry.register`. A handler does no I/O of its own: it reads the KB and
tickets through the interfaces in its `TurnContext` and returns an `Outcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.dialogue.state import DialogueState
from bot.kb.base import KnowledgeBase
from bot.routing import Routing, parse_routing
from bot.sla import SlaPolicies, parse_sla
from bot.tickets import TicketStore
from bot.types import IncomingMessage, Reply
from nlu.types import Parse


@dataclass(frozen=True)
class Conversation:
    id: str
    channel: str
    user_id: str
    timezone: str | None = None  # the user's, when the channel told us
    email: str | None = None  # vouched for by the channel: their identity across channels


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Feedback:
    article_id: str
    helpful: bool


@dataclass(frozen=True)
class TurnContext:
    """Everything a handler may look at for one turn."""

    message: IncomingMessage
    parse: Parse
    state: DialogueState
    conversation: Conversation
    kb: KnowledgeBase
    tickets: TicketStore
    article_url: Callable[[str], str]
    transcript: Callable[[], list[dict[str, Any]]]
    sla: SlaPolicies = field(default_factory=lambda: parse_sla(None))
    routing: Routing = field(default_factory=lambda: parse_routing(None))

    @property
    def text(self) -> str:
        return self.parse.text


@dataclass(frozen=True)
class TicketNote:
    """A line for a ticket's history (ticket_events), which the agent console reads:
    written by the engine with the turn, so a handler still does no I/O."""

    ticket_id: int
    kind: str
    actor: str  # agent | helpdesk | user | system
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    replies: tuple[Reply, ...]
    state: DialogueState
    events: tuple[Event, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    ticket_notes: tuple[TicketNote, ...] = ()


class Handler(Protocol):
    def handle(self, ctx: TurnContext) -> Outcome: ...


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> None:
        if name in self._handlers:
            raise ValueError(f"a handler named {name!r} is already registered")
        self._handlers[name] = handler

    def get(self, name: str) -> Handler:
        try:
            return self._handlers[name]
        except KeyError:
            raise LookupError(f"no handler registered under {name!r}") from None

    def names(self) -> Iterable[str]:
        return self._handlers.keys()
