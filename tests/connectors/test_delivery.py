"""The transcript delivery (connectors/delivery.py) on SQLite and PostgreSQL: two
senders racing over one thread post every bot line exactly once, a retryable failure
keeps the line for the next pass, and a final refusal skips it."""

from __future__ import annotations

import threading
import time
from typing import Any

from bot.types import Participant
from connectors.delivery import Destination, ThreadDelivery


def _thread_with_lines(assistant: Any, count: int, address: str = "C1") -> str:
    conversation_id = assistant.engine.start_conversation(Participant("slack", "T:U"))
    with assistant.store.transaction() as tx:
        tx.add_channel_thread(
            channel="slack", team="T", address=address, thread_key="",
            thread_ts="1.0", conversation_id=conversation_id,
        )  # fmt: skip
        row = tx.conversation(conversation_id, lock=True)
        tx.append_message(row, "user", "text", "hello")
        for n in range(count):
            tx.append_message(
                row, "bot", "text", f"line {n}", {"type": "text", "text": f"line {n}"}
            )
    return conversation_id


class Recorder:
    def __init__(self, fail_first: Exception | None = None) -> None:
        self.posted: list[str] = []
        self._fail = fail_first
        self._lock = threading.Lock()

    def post(self, destination: Destination, message: str) -> None:
        time.sleep(0.01)  # a network call: long enough for the other sender to try
        with self._lock:
            if self._fail is not None:
                failure, self._fail = self._fail, None
                raise failure
            self.posted.append(message)


def _delivery(
    assistant: Any, recorder: Recorder, final: type[Exception] = KeyError
) -> ThreadDelivery:
    return ThreadDelivery(
        assistant.store, "slack", lambda cid, payload: str(payload["text"]), recorder.post,
        lambda error: isinstance(error, final),
    )  # fmt: skip


def test_two_senders_post_each_line_once(any_db_assistant) -> None:  # type: ignore[no-untyped-def]
    conversation_id = _thread_with_lines(any_db_assistant, 12)
    recorder = Recorder()
    senders = [_delivery(any_db_assistant, recorder) for _ in range(2)]
    threads = [threading.Thread(target=s.deliver, args=(conversation_id,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    senders[0].deliver(conversation_id)  # whatever the loser left is picked up
    assert recorder.posted == [f"line {n}" for n in range(12)]


def test_a_passing_fault_keeps_the_line_and_a_final_refusal_skips_it(any_db_assistant) -> None:  # type: ignore[no-untyped-def]
    conversation_id = _thread_with_lines(any_db_assistant, 2)
    flaky = Recorder(fail_first=OSError("connection reset"))
    delivery = _delivery(any_db_assistant, flaky)
    assert delivery.deliver(conversation_id) == 0  # stopped at the fault
    assert delivery.deliver(conversation_id) == 2 and flaky.posted == ["line 0", "line 1"]
    refused = Recorder(fail_first=KeyError("channel_not_found"))
    other = _thread_with_lines(any_db_assistant, 2, address="C2")
    assert _delivery(any_db_assistant, refused).deliver(other) == 1
    assert refused.posted == ["line 1"]  # the refused line is not sent again
