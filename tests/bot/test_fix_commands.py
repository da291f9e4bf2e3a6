"""Skip, back and start over at any step of a guided fix, typed in the user's words."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialogue.commands import BACK, RESTART, SKIP, fix_command
from tests.drivers import engine_driver, open_ticket


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("skip", SKIP),
        ("Skip this step!", SKIP),
        ("next", SKIP),
        ("I can't do that", SKIP),
        ("back", BACK),
        ("go back", BACK),
        ("previous step", BACK),
        ("start over", RESTART),
        ("Start again.", RESTART),
        ("restart the fix", RESTART),
        ("from the beginning", RESTART),
        ("I backed up the database", None),
        ("skip the firewall and restart the server", None),
        ("yes", None),
        ("how do I go back to version 0.1", None),
    ],
)
def test_commands_are_whole_messages(text: str, command: str | None) -> None:
    assert fix_command(text) == command


def step_of(replies: list[dict[str, Any]]) -> int:
    text = next(r["text"] for r in replies if r["type"] == "text" and r["text"].startswith("Step "))
    return int(text.split()[1])


def test_skip_back_and_start_over_move_through_the_fix(assistant: Any) -> None:
    send = engine_driver(assistant.engine)
    replies = send({"text": "the tier0 server won't start"})
    assert any('"skip", "back" or "start over"' in r["text"] for r in replies)
    assert step_of(replies) == 1
    assert step_of(send({"text": "back"})) == 1  # nothing before the first step
    assert step_of(send({"text": "skip"})) == 2
    assert step_of(send({"choice": "no"})) == 3
    assert step_of(send({"text": "go back"})) == 2
    assert step_of(send({"text": "start over"})) == 1
    replies = send({"choice": "no"})
    while any(r["type"] == "text" and r["text"].startswith("Step ") for r in replies):
        replies = send({"text": "skip"})
    ticket = open_ticket(send, send({"choice": "yes"}))
    steps = assistant.engine.ticket(ticket["ticket_id"]).steps_tried
    assert [(s["step"], s["outcome"]) for s in steps[:3]] == [
        (1, "skipped"),
        (2, "not_fixed"),
        (1, "not_fixed"),
    ]
    assert {s["outcome"] for s in steps[3:]} == {"skipped"}
