"""What a ticket says after a failed guided fix: its priority comes from the user's words,
and the steps sent to chat link to article pages, not to Markdown files."""

from __future__ import annotations

from typing import Any

from tests.drivers import engine_driver, open_ticket


def run_fix_to_ticket(assistant: Any, problem: str) -> tuple[list[dict[str, Any]], int]:
    send = engine_driver(assistant.engine)
    replies = send({"text": problem})
    seen = list(replies)
    for _ in range(10):
        if not any(r["type"] == "choices" and r["text"] == "Did that fix it?" for r in replies):
            break
        replies = send({"choice": "no"})
        seen += replies
    replies = send({"choice": "yes"})  # yes, open a ticket
    ticket = open_ticket(send, replies)
    return seen, ticket["ticket_id"]


def test_bot_words_do_not_raise_the_priority(assistant) -> None:  # type: ignore[no-untyped-def]
    seen, ticket_id = run_fix_to_ticket(assistant, "the chat widget doesn't show up on my site")
    assert any("Security Policy" in r["text"] for r in seen), "the fix mentions security"
    ticket = assistant.engine.ticket(ticket_id)
    assert ticket.priority != "P1", "only the user said something, and it was not urgent"
    assert len(ticket.steps_tried) >= 3


def test_urgent_words_from_the_user_still_count(assistant) -> None:  # type: ignore[no-untyped-def]
    _, ticket_id = run_fix_to_ticket(
        assistant, "production is down for everyone, the tier0 server won't start"
    )
    assert assistant.engine.ticket(ticket_id).priority == "P1"


def test_step_links_point_at_article_pages(assistant) -> None:  # type: ignore[no-untyped-def]
    seen, _ = run_fix_to_ticket(assistant, "the tier0 server won't start")
    steps = [r["text"] for r in seen if r["type"] == "text" and r["text"].startswith("Step ")]
    assert steps
    assert not any(".md)" in text or ".md#" in text for text in steps)
    assert any("/kb/configuration-reference" in text for text in steps)
