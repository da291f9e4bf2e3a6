"""Durable state: conversations, messages, events, feedback, tickets (SQLAlchemy 2 + Alembic)."""

from bot.store.database import create_db_engine, migrate
from bot.store.store import ConversationNotFound, Store, Transaction

__all__ = ["ConversationNotFound", "Store", "Transaction", "create_db_engine", "migrate"]
