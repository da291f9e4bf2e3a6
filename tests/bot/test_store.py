"""The store on both backends: migrations, turn locking, transcripts."""

from __future__ import annotations

import threading

from sqlalchemy import inspect

from bot.store import Store
from bot.store.database import current_revision, head_revision, migrate


def test_migrations_reach_head_and_are_idempotent(database_url: str) -> None:
    store = Store.from_url(database_url)
    assert current_revision(store.engine) == head_revision()
    migrate(store.engine)  # a second run is a no-op
    tables = set(inspect(store.engine).get_table_names())
    assert {"conversations", "messages", "events", "feedback", "tickets"} <= tables
    store.close()


def test_concurrent_turns_on_one_conversation_never_collide(database_url: str) -> None:
    """Eight threads append to one conversation at once: no lost or duplicated seq."""
    store = Store.from_url(database_url)
    with store.transaction() as tx:
        conversation_id = tx.create_conversation("test", "u").id

    def turn(number: int) -> None:
        for repeat in range(5):
            with store.transaction() as tx:
                row = tx.conversation(conversation_id, lock=True)
                tx.append_message(row, "user", "text", f"{number}-{repeat}")

    threads = [threading.Thread(target=turn, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.transaction() as tx:
        messages = tx.messages(conversation_id)
    assert [m.seq for m in messages] == list(range(1, 41))
    expected = sorted(f"{n}-{r}" for n in range(8) for r in range(5))
    assert sorted(m.text for m in messages) == expected
    store.close()
