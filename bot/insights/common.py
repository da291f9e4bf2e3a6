"""What the insights modules share: the database handle, IN lists in chunks, ratios, and
the one JSON look-up.

Counting is done in SQL (GROUP BY, EXISTS) with SQLAlchemy's portable constructs only,
so the same queries run on SQLite and PostgreSQL; the one JSON look-up,
`EventRow.data["article_id"].as_string()`, is compiled by SQLAlchemy for both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.store.models import EventRow
from bot.store.store import Transaction

CHUNK = 500
T = TypeVar("T")

Db = Session | Transaction


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """IN lists of at most CHUNK values, well under SQLite's limit of bound parameters.

    Rows of a few known conversations or tickets are read by IN lists of their ids
    rather than IN (subquery), whose plan on a database without statistics can be a
    nested loop over every message.
    """
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _session(db: Db) -> Session:
    return db.session if isinstance(db, Transaction) else db


def _shown_article() -> ColumnElement[str]:
    return EventRow.data["article_id"].as_string()
