"""The store's unit of work: one transaction per conversation turn.

Every turn locks its conversation row first (SELECT ... FOR UPDATE on PostgreSQL,
BEGIN IMMEDIATE on SQLite), so two app servers handling the same conversation
take turns instead of overwriting each other's state or numbering two messages alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.database import create_db_engine, migrate
from bot.store.models import (
    ChannelReceiptRow,
    ChannelThreadRow,
    ConversationRow,
    EventRow,
    FeedbackRow,
    MessageRow,
    SlaEventRow,
    TicketDeliveryRow,
    TicketEventRow,
    TicketRow,
    utcnow,
)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ConversationNotFound(LookupError):
    pass


class Transaction:
    """Repository methods over one SQLAlchemy session; committed by `Store.transaction`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # conversations -----------------------------------------------------------------
    def create_conversation(
        self, channel: str, user_id: str, timezone: str | None = None
    ) -> ConversationRow:
        row = ConversationRow(
            id=uuid.uuid4().hex,
            channel=channel,
            user_id=user_id,
            timezone=timezone,
            state={},
            message_count=0,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def conversation(self, conversation_id: str, *, lock: bool = False) -> ConversationRow:
        query = select(ConversationRow).where(ConversationRow.id == conversation_id)
        if lock:
            query = query.with_for_update()
        row = self.session.scalars(query).one_or_none()
        if row is None:
            raise ConversationNotFound(conversation_id)
        return row

    def save_state(self, conversation: ConversationRow, state: dict[str, Any]) -> None:
        conversation.state = state
        conversation.updated_at = utcnow()

    # transcript --------------------------------------------------------------------
    def append_message(
        self,
        conversation: ConversationRow,
        sender: str,
        kind: str,
        text: str,
        payload: dict[str, Any] | None = None,
        intent: str | None = None,
        confidence: float | None = None,
    ) -> MessageRow:
        conversation.message_count += 1
        row = MessageRow(
            conversation_id=conversation.id,
            seq=conversation.message_count,
            sender=sender,
            kind=kind,
            text=text,
            payload=payload,
            intent=intent,
            confidence=confidence,
        )
        self.session.add(row)
        return row

    def messages(self, conversation_id: str, after: int = 0) -> list[MessageRow]:
        """The transcript in order; with `after`, only the lines after that seq."""
        query = (
            select(MessageRow)
            .where(MessageRow.conversation_id == conversation_id, MessageRow.seq > after)
            .order_by(MessageRow.seq)
        )
        return list(self.session.scalars(query))

    def add_event(self, conversation_id: str, event_type: str, data: dict[str, Any]) -> None:
        self.session.add(EventRow(conversation_id=conversation_id, type=event_type, data=data))

    def events(self, conversation_id: str) -> list[EventRow]:
        query = (
            select(EventRow)
            .where(EventRow.conversation_id == conversation_id)
            .order_by(EventRow.id)
        )
        return list(self.session.scalars(query))

    def add_feedback(self, conversation_id: str, article_id: str, helpful: bool) -> None:
        self.session.add(
            FeedbackRow(conversation_id=conversation_id, article_id=article_id, helpful=helpful)
        )

    # tickets -----------------------------------------------------------------------
    def add_ticket(self, **fields: Any) -> TicketRow:
        row = TicketRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def ticket(self, ticket_id: int) -> TicketRow | None:
        return self.session.get(TicketRow, ticket_id)

    def tickets_for_user(
        self, channel: str, user_id: str, email: str | None = None, limit: int = 10
    ) -> list[TicketRow]:
        """The account's tickets on this channel, and with `email` the person's from
        every channel."""
        mine = (TicketRow.channel == channel) & (TicketRow.user_id == user_id)
        if email:
            mine = mine | (TicketRow.email == email)
        query = select(TicketRow).where(mine).order_by(TicketRow.id.desc()).limit(limit)
        return list(self.session.scalars(query))

    def open_tickets(self, after_id: int = 0, limit: int = 500) -> list[TicketRow]:
        """Tickets not yet resolved, by id, a page at a time (for the SLA scheduler)."""
        query = (
            select(TicketRow)
            .where(TicketRow.status.in_(("new", "open", "pending")), TicketRow.id > after_id)
            .order_by(TicketRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def closed_tickets(self, limit: int = 50) -> list[TicketRow]:
        """Resolved and closed tickets, the most recently changed first."""
        query = (
            select(TicketRow)
            .where(TicketRow.status.in_(("resolved", "closed")))
            .order_by(TicketRow.updated_at.desc(), TicketRow.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def record_sla_event(self, ticket_id: int, kind: str, data: dict[str, Any]) -> bool:
        """Record `kind` for the ticket once; False when it was recorded before."""
        try:
            with self.session.begin_nested():
                self.session.add(SlaEventRow(ticket_id=ticket_id, kind=kind, data=data))
        except IntegrityError:
            return False
        return True

    def raise_tier(self, ticket_id: int, tier: int) -> bool:
        """Move the ticket up to `tier` unless it is there already (or higher): a single
        guarded UPDATE, so a concurrent change of the tier is never overwritten."""
        result = self.session.execute(
            update(TicketRow)
            .where(TicketRow.id == ticket_id, TicketRow.tier < tier)
            .values(tier=tier)
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def sla_events(self, ticket_id: int) -> list[SlaEventRow]:
        query = select(SlaEventRow).where(SlaEventRow.ticket_id == ticket_id)
        return list(self.session.scalars(query.order_by(SlaEventRow.id)))

    # the helpdesk outbox -------------------------------------------------------------
    def add_delivery(self, ticket_id: int, system: str) -> TicketDeliveryRow:
        key = f"tier0-{ticket_id}-{uuid.uuid4().hex[:16]}"  # unique across installations
        row = TicketDeliveryRow(
            ticket_id=ticket_id, system=system, idempotency_key=key, state="pending", attempts=0
        )
        self.session.add(row)
        self.session.flush()
        return row

    def delivery(self, delivery_id: int) -> TicketDeliveryRow | None:
        return self.session.get(TicketDeliveryRow, delivery_id)

    def delivery_for_ticket(self, ticket_id: int) -> TicketDeliveryRow | None:
        query = select(TicketDeliveryRow).where(TicketDeliveryRow.ticket_id == ticket_id)
        return self.session.scalars(query.order_by(TicketDeliveryRow.id)).first()

    def due_deliveries(self, now: datetime, limit: int) -> list[TicketDeliveryRow]:
        query = (
            select(TicketDeliveryRow)
            .where(TicketDeliveryRow.state == "pending", TicketDeliveryRow.next_attempt_at <= now)
            .order_by(TicketDeliveryRow.next_attempt_at, TicketDeliveryRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def claim_delivery(self, row: TicketDeliveryRow, until: datetime) -> bool:
        """Take the delivery for one worker until `until`, counting the attempt: a
        guarded UPDATE on the time it was due, so two servers draining the outbox never
        send the same ticket at once."""
        result = self.session.execute(
            update(TicketDeliveryRow)
            .where(
                TicketDeliveryRow.id == row.id,
                TicketDeliveryRow.state == "pending",
                TicketDeliveryRow.next_attempt_at == row.next_attempt_at,
            )
            .values(next_attempt_at=until, attempts=TicketDeliveryRow.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def deliveries_to_poll(self, before: datetime, limit: int) -> list[TicketDeliveryRow]:
        """Delivered tickets still open in the helpdesk, least recently polled first."""
        never = TicketDeliveryRow.polled_at.is_(None)
        query = (
            select(TicketDeliveryRow)
            .where(
                TicketDeliveryRow.state == "delivered",
                TicketDeliveryRow.external_status.not_in(("closed",)),
                never | (TicketDeliveryRow.polled_at < before),
            )
            .order_by(TicketDeliveryRow.polled_at.is_not(None), TicketDeliveryRow.polled_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    # ticket life events ----------------------------------------------------------------
    def add_ticket_event(
        self,
        ticket_id: int,
        kind: str,
        actor: str,
        status: str | None = None,
        data: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> TicketEventRow:
        row = TicketEventRow(
            ticket_id=ticket_id, kind=kind, actor=actor, status=status, data=data or {}
        )
        if at is not None:
            row.created_at = at
        self.session.add(row)
        self.session.flush()
        return row

    def ticket_events(self, ticket_id: int) -> list[TicketEventRow]:
        query = select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id)
        return list(self.session.scalars(query.order_by(TicketEventRow.id)))

    # chat platforms' threads -----------------------------------------------------------
    def channel_thread(
        self, channel: str, team: str, address: str, thread_key: str, *, lock: bool = False
    ) -> ChannelThreadRow | None:
        query = select(ChannelThreadRow).where(
            ChannelThreadRow.channel == channel,
            ChannelThreadRow.team == team,
            ChannelThreadRow.address == address,
            ChannelThreadRow.thread_key == thread_key,
        )
        return self.session.scalars(query.with_for_update() if lock else query).one_or_none()

    def channel_thread_of(
        self, conversation_id: str, *, lock: bool = False
    ) -> ChannelThreadRow | None:
        query = select(ChannelThreadRow).where(ChannelThreadRow.conversation_id == conversation_id)
        return self.session.scalars(query.with_for_update() if lock else query).one_or_none()

    def map_channel_thread(self, **fields: Any) -> str:
        """Map a thread to `fields["conversation_id"]`; the conversation it is mapped
        to, which is another when a second server mapped the thread a moment earlier."""
        if self.add_channel_thread(**fields) is not None:
            return str(fields["conversation_id"])
        key = (fields["channel"], fields["team"], fields["address"], fields["thread_key"])
        winner = self.channel_thread(*key)
        assert winner is not None  # the unique key that refused ours is that row's
        return winner.conversation_id

    def add_channel_thread(self, **fields: Any) -> ChannelThreadRow | None:
        """The new thread's row; None when another server mapped that thread first."""
        row = ChannelThreadRow(delivered_seq=0, claimed_seq=0, **fields)
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return None
        return row

    def threads_behind(self, channel: str, limit: int = 100) -> list[str]:
        """Conversations of `channel` with transcript lines not yet delivered there."""
        query = (
            select(ChannelThreadRow.conversation_id)
            .join(ConversationRow, ConversationRow.id == ChannelThreadRow.conversation_id)
            .where(
                ChannelThreadRow.channel == channel,
                ConversationRow.message_count > ChannelThreadRow.delivered_seq,
            )
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def record_receipt(self, channel: str, key: str) -> bool:
        """Note a platform request as taken in; False when it was taken in before.
        Keys are stored as their SHA-256: a Teams conversation id alone can be longer
        than the column, and two long keys must never collide by truncation."""
        try:
            with self.session.begin_nested():
                self.session.add(ChannelReceiptRow(channel=channel, key=_digest(key)))
        except IntegrityError:
            return False
        return True

    def prune_receipts(self, before: datetime) -> int:
        """Drop receipts older than any retry can be (platforms retry for minutes)."""
        result = self.session.execute(
            delete(ChannelReceiptRow).where(ChannelReceiptRow.created_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def forget_receipt(self, channel: str, key: str) -> None:
        """Undo `record_receipt` for a request whose turn failed: its retry is taken."""
        self.session.execute(
            delete(ChannelReceiptRow).where(
                ChannelReceiptRow.channel == channel, ChannelReceiptRow.key == _digest(key)
            )
        )

    def count(self, model: type[Any]) -> int:
        return int(self.session.scalar(select(func.count()).select_from(model)) or 0)


class Store:
    """Owns the engine; hands out one `Transaction` per unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, *, upgrade: bool = True) -> Store:
        engine = create_db_engine(url)
        if upgrade:
            migrate(engine)
        return cls(engine)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._sessions() as session, session.begin():
            yield Transaction(session)

    def close(self) -> None:
        self.engine.dispose()
