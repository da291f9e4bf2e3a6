"""`Engine.handle`: one user turn in, channel-neutral replies out.

The engine does no I/O of its own: it reads and writes through the store, the
classifier, the KB and the ticket system it was given. A whole turn — the user's
message, the replies, the events, the new state, any ticket — is one transaction
on a locked conversation row, so a crash loses a turn whole or not at all.

While a support agent has taken the conversation over (bot/takeover.py), a turn is
still recorded whole, but the policy hands it to "agent_active", which passes it on
to the ticket's history and keeps the bot quiet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.dialogue.policy import choose_handler
from bot.dialogue.state import DialogueState
from bot.handlers.base import Conversation, HandlerRegistry, Outcome, TurnContext
from bot.intents import (
    ARTICLE_CHOICE_PREFIX,
    CHOICE_INTENTS,
    CHOOSE_ARTICLE,
    FIX_ANSWER,
    FIX_CHOICE_PREFIX,
    HANDOFF_ANSWER,
    HANDOFF_CHOICE_PREFIX,
)
from bot.kb.base import KnowledgeBase
from bot.redact import redact
from bot.routing import Routing, parse_routing
from bot.sla import SlaPolicies, parse_sla
from bot.store import Store, Transaction
from bot.store.models import ConversationRow, MessageRow
from bot.takeover import buttons_shown
from bot.tickets import EmbeddedTicketSystem, Ticket, TicketStore, normal_email
from bot.types import ChoicesReply, IncomingMessage, Participant, Reply, reply_to_dict
from nlu.types import Entity, IntentClassifier, Parse

MAX_MESSAGE_CHARS = 4000
# Buttons whose id is a prefix + a value: the intent a click means, and the entity
# type the value is handed to the handler as.
PREFIXED_CHOICES = {
    ARTICLE_CHOICE_PREFIX: (CHOOSE_ARTICLE, "article"),
    HANDOFF_CHOICE_PREFIX: (HANDOFF_ANSWER, "handoff"),
    FIX_CHOICE_PREFIX: (FIX_ANSWER, "fix"),
}
# C0 control characters other than tab and newline: PostgreSQL rejects NUL in text,
# and none of them means anything in a chat message.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InvalidMessage(ValueError):
    """A message the engine will not process; `code` is stable for API clients."""

    code = "invalid_message"


class EmptyMessage(InvalidMessage):
    code = "empty_text"


class MessageTooLong(InvalidMessage):
    code = "text_too_long"


class UnencodableText(InvalidMessage):
    code = "invalid_text"


class UnknownChoice(InvalidMessage):
    code = "unknown_choice"


@dataclass(frozen=True)
class ConversationView:
    id: str
    channel: str
    user_id: str
    created_at: str
    messages: list[dict[str, Any]]


def transcript_entry(row: MessageRow) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "seq": row.seq,
        "sender": row.sender,
        "type": row.kind,
        "text": row.text,
        "created_at": row.created_at.isoformat(),
    }
    if row.sender == "user":
        entry.update(intent=row.intent, confidence=row.confidence)
        if row.payload:
            entry.update(row.payload)
    elif row.payload:
        entry.update({k: v for k, v in row.payload.items() if k not in ("type", "text")})
    return entry


class Engine:
    def __init__(
        self,
        store: Store,
        classifier: IntentClassifier,
        kb: KnowledgeBase,
        handlers: HandlerRegistry,
        *,
        article_url: Callable[[str], str],
        ticket_system: Callable[[Transaction], TicketStore] = EmbeddedTicketSystem,
        max_message_chars: int = MAX_MESSAGE_CHARS,
        sla: SlaPolicies | None = None,
        routing: Routing | None = None,
    ) -> None:
        self.store = store
        self.classifier = classifier
        self.kb = kb
        self.handlers = handlers
        self._article_url = article_url
        self._ticket_system = ticket_system
        self.max_message_chars = max_message_chars
        self.sla = sla or parse_sla(None)
        self.routing = routing or parse_routing(None)

    def start_conversation(self, participant: Participant | None = None) -> str:
        participant = participant or Participant()
        with self.store.transaction() as tx:
            row = tx.create_conversation(
                participant.channel, participant.user_id, participant.timezone
            )
            if participant.user_id == "anonymous":
                row.user_id = f"anonymous:{row.id}"  # an anonymous user's tickets stay private
            row.email = normal_email(participant.email)
            return row.id

    def handle(self, message: IncomingMessage) -> list[Reply]:
        """Process one turn; raises `ConversationNotFound` or an `InvalidMessage`."""
        self._validate(message)
        with self.store.transaction() as tx:
            row = tx.conversation(message.conversation_id, lock=True)
            state = self._on_offer(tx, row, DialogueState.from_json(row.state), message)
            parse = self._understand(message, state)
            self._record_user(tx, row, message, parse)
            state = state.evolve(entities={**state.entities, **_entity_map(parse)})
            ctx = TurnContext(
                message=message,
                parse=parse,
                state=state,
                conversation=Conversation(
                    row.id, row.channel, row.user_id, row.timezone, row.email
                ),
                kb=self.kb,
                tickets=self._ticket_system(tx),
                article_url=self._article_url,
                transcript=lambda: [transcript_entry(m) for m in tx.messages(row.id)],
                sla=self.sla,
                routing=self.routing,
            )
            outcome = self.handlers.get(choose_handler(state, parse)).handle(ctx)
            self._record_outcome(tx, row, outcome)
        return list(outcome.replies)

    def conversation(self, conversation_id: str, after: int = 0) -> ConversationView:
        """The transcript; with `after` (a seq), only what came since: a channel that
        polls for agent replies and ticket updates asks for the new lines only."""
        with self.store.transaction() as tx:
            row = tx.conversation(conversation_id)
            messages = [transcript_entry(m) for m in tx.messages(conversation_id, after)]
            return ConversationView(
                row.id, row.channel, row.user_id, row.created_at.isoformat(), messages
            )

    def ticket(self, ticket_id: int) -> Ticket | None:
        with self.store.transaction() as tx:
            return self._ticket_system(tx).get(ticket_id)

    def _validate(self, message: IncomingMessage) -> None:
        if message.text is not None:
            try:
                message.text.encode("utf-8")
            except UnicodeEncodeError as error:
                # JSON allows lone surrogates (\ud800); no database or channel can store them.
                raise UnencodableText(
                    f"text contains an invalid Unicode character at position {error.start} "
                    "(a lone surrogate); send UTF-8 text"
                ) from None
            if not _CONTROL.sub(" ", message.text).strip():
                raise EmptyMessage("text must not be empty")
            if len(message.text) > self.max_message_chars:
                raise MessageTooLong(
                    f"text is {len(message.text)} characters; the limit is {self.max_message_chars}"
                )

    @staticmethod
    def _on_offer(
        tx: Transaction, row: ConversationRow, state: DialogueState, message: IncomingMessage
    ) -> DialogueState:
        """The state with the buttons a click may come from: the last turn's, or while an
        agent has the conversation, any the bot ever showed (the user still sees them,
        and a click is something said to the agent, not an error)."""
        if state.takeover is None or message.choice_id is None:
            return state
        return state.evolve(offered=buttons_shown(tx.messages(row.id)))

    def _understand(self, message: IncomingMessage, state: DialogueState) -> Parse:
        if message.text is not None:
            # The classifier sees the text with secrets and personal data replaced by
            # placeholders: a 40-character token is noise that drowns the intent.
            return self.classifier.parse(redact(_CONTROL.sub(" ", message.text).strip()))
        offered = {choice.id: choice for choice in state.offered}
        choice = offered.get(message.choice_id or "")
        prefixed = next(
            (p for p in PREFIXED_CHOICES if choice is not None and choice.id.startswith(p)), None
        )
        if choice is None or (prefixed is None and choice.id not in CHOICE_INTENTS):
            available = ", ".join(offered) or "none"
            raise UnknownChoice(
                f"choice {message.choice_id!r} is not on offer in this conversation "
                f"(available: {available})"
            )
        if prefixed is not None:
            intent, entity = PREFIXED_CHOICES[prefixed]
            value = choice.id.removeprefix(prefixed)
            picked = Entity(entity, value, choice.label, 0, 0, extractor="choice")
            return Parse(choice.label, intent, 1.0, entities=(picked,))
        return Parse(text=choice.label, intent=CHOICE_INTENTS[choice.id], confidence=1.0)

    @staticmethod
    def _record_user(
        tx: Transaction, row: ConversationRow, message: IncomingMessage, parse: Parse
    ) -> None:
        kind = "text" if message.text is not None else "choice"
        payload = {"choice": message.choice_id} if message.choice_id else None
        tx.append_message(
            row, "user", kind, redact(parse.text), payload, parse.intent, round(parse.confidence, 4)
        )

    @staticmethod
    def _record_outcome(tx: Transaction, row: ConversationRow, outcome: Outcome) -> None:
        offered: tuple = ()
        for reply in outcome.replies:
            data = reply_to_dict(reply)
            data["text"] = redact(reply.text)
            tx.append_message(row, "bot", reply.type, str(data["text"]), data)
            if isinstance(reply, ChoicesReply):
                offered = reply.choices
        for event in outcome.events:
            tx.add_event(row.id, event.type, event.data)
        for feedback in outcome.feedback:
            tx.add_feedback(row.id, feedback.article_id, feedback.helpful)
        for note in outcome.ticket_notes:
            tx.add_ticket_event(note.ticket_id, note.kind, note.actor, None, note.data)
        tx.save_state(row, outcome.state.evolve(offered=offered).to_json())


def _entity_map(parse: Parse) -> dict[str, str]:
    """What the user said, to remember: a clicked button is an answer, not an entity."""
    return {e.type: e.value for e in parse.entities if e.extractor != "choice"}
