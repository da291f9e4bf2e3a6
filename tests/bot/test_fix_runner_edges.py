"""A guided fix meets real users: loose answers, other questions, skips that cannot be,
buttons from before an edit, and ticket questions half-way."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import Assistant, build_assistant
from bot.dialogue.state import DialogueState, Flow
from bot.handlers.guided_fix import CANNOT_SKIP, CHANGED
from bot.settings import Settings
from tests.conftest import KB_DIR

DB_PROBLEM = "tier0 cannot connect to the postgres database"
PY_PROBLEM = "pip says tier0 requires a different python"


def texts(replies: list[dict[str, Any]]) -> str:
    return " ".join(r["text"] for r in replies)


def start(assistant: Assistant, problem: str) -> tuple[Any, str]:
    from bot.types import IncomingMessage, Participant, reply_to_dict

    conversation = assistant.engine.start_conversation(Participant("test", "edge"))

    def send(message: dict[str, str]) -> list[dict[str, Any]]:
        incoming = IncomingMessage(conversation, message.get("text"), message.get("choice"))
        return [reply_to_dict(r) for r in assistant.engine.handle(incoming)]

    send({"text": problem})
    return send, conversation


def waiting(assistant: Assistant, conversation: str) -> DialogueState:
    with assistant.store.transaction() as tx:
        return DialogueState.from_json(tx.conversation(conversation).state)


@pytest.mark.parametrize(
    ("typed", "step_id"),
    [
        ("I see connection refused", "reachable"),
        ("it says password authentication failed for user tier0", "credentials"),
        ("3", "credentials"),
        ("3.", "credentials"),
        ("no pg_hba.conf entry", "pg-hba"),
    ],
)
def test_loose_typed_answers_pick_the_right_branch(
    assistant: Assistant, typed: str, step_id: str
) -> None:
    send, conversation = start(assistant, DB_PROBLEM)
    assert waiting(assistant, conversation).step_id == "which-error"
    send({"text": typed})
    assert waiting(assistant, conversation).step_id == step_id


def test_a_word_like_or_picks_nothing_and_two_misses_offer_a_human(assistant: Assistant) -> None:
    send, conversation = start(assistant, DB_PROBLEM)
    replies = send({"text": "or"})
    assert "didn't catch which one" in texts(replies)
    assert waiting(assistant, conversation).step_id == "which-error"
    replies = send({"text": "purple"})
    assert "open a ticket" in texts(replies)
    assert waiting(assistant, conversation).flow == Flow.HANDOFF_OFFER


def test_another_question_at_a_check_leaves_the_fix_and_is_answered(assistant: Assistant) -> None:
    send, conversation = start(assistant, DB_PROBLEM)
    replies = send({"text": "how do I back up the tier0 database"})
    assert "left the guided fix" in texts(replies)
    assert any(r["type"] == "article" and r["article_id"] == "backup-restore" for r in replies)
    assert waiting(assistant, conversation).flow == Flow.FEEDBACK


def test_skip_follows_the_catch_all_answer_or_refuses(assistant: Assistant) -> None:
    send, conversation = start(assistant, DB_PROBLEM)
    send({"text": "skip"})  # "Something else" is the catch-all: it leads to #driver
    assert waiting(assistant, conversation).step_id == "driver"

    send, conversation = start(assistant, PY_PROBLEM)
    send({"text": "3.10.2"})
    assert waiting(assistant, conversation).step_id == "old-or-new"
    replies = send({"text": "skip"})
    assert CANNOT_SKIP in texts(replies)
    assert waiting(assistant, conversation).step_id == "old-or-new"


def test_a_ticket_question_mid_fix_keeps_the_fix(assistant: Assistant) -> None:
    send, conversation = start(assistant, DB_PROBLEM)
    replies = send({"text": "what's the status of my tickets"})
    assert "Back to the guided fix" in texts(replies)
    assert waiting(assistant, conversation).step_id == "which-error"
    send({"choice": "fix:1"})
    assert waiting(assistant, conversation).step_id == "reachable"


def test_a_clicked_collect_answer_is_stored_like_a_typed_one(assistant: Assistant) -> None:
    send, conversation = start(assistant, PY_PROBLEM)
    send({"text": "3.9"})
    send({"choice": "fix:0"})  # yes, 3.10 or older
    state = waiting(assistant, conversation)
    assert state.step_id == "which-system"
    send({"choice": "fix:0"})  # Linux
    assert waiting(assistant, conversation).entities["os"] == "linux"


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    return copy


@pytest.fixture
def editable(settings: Settings, kb_copy: Path, tmp_path: Path) -> Iterator[Assistant]:
    built = build_assistant(replace(settings, kb_dir=kb_copy, data_dir=tmp_path / "data"))
    yield built
    built.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_buttons_shown_before_an_edit_keep_their_meaning(
    editable: Assistant, kb_copy: Path
) -> None:
    send, conversation = start(editable, PY_PROBLEM)
    send({"text": "3.10.2"})
    article = kb_copy / "troubleshoot-python-version.md"
    edit(  # the editor swaps the two answers while the user looks at the buttons
        article,
        "- Yes, 3.10 or older → #which-system\n- No, 3.11 or newer → #not-the-python",
        "- No, 3.11 or newer → #not-the-python\n- Yes, 3.10 or older → #which-system",
    )
    send({"choice": "fix:0"})  # the button the user saw first: "Yes, 3.10 or older"
    assert waiting(editable, conversation).step_id == "which-system"


def test_a_renamed_step_restarts_the_fix_and_says_why(editable: Assistant, kb_copy: Path) -> None:
    send, conversation = start(editable, PY_PROBLEM)
    send({"text": "3.10.2"})
    article = kb_copy / "troubleshoot-python-version.md"
    edit(article, "{#old-or-new}", "{#is-it-old}")
    edit(article, "Then: #old-or-new", "Then: #is-it-old")
    replies = send({"text": "yes"})
    assert CHANGED in texts(replies)
    # From the first step again; the version it asks was given already, so on to the
    # renamed step, which waits for its answer.
    assert "You told me the python version already (3.10.2)" in texts(replies)
    assert waiting(editable, conversation).step_id == "is-it-old"


def test_i_dont_know_takes_the_catch_all_answer(assistant: Assistant) -> None:
    send, conversation = start(assistant, DB_PROBLEM)
    send({"text": "I don't know"})
    assert waiting(assistant, conversation).step_id == "driver"  # "Something else"


def test_a_question_at_a_collect_step_is_not_its_answer(assistant: Assistant) -> None:
    send, conversation = start(assistant, PY_PROBLEM)
    send({"text": "3.10.2"})
    send({"choice": "fix:0"})
    assert waiting(assistant, conversation).step_id == "which-system"
    replies = send({"text": "how do I install tier0 on windows?"})
    assert "left the guided fix" in texts(replies)
    assert "Restart the VPN" not in texts(replies) and "Install Python" not in texts(replies)
    assert waiting(assistant, conversation).article_id == "install-windows"


def test_branching_fixes_show_titles_without_a_misleading_count(assistant: Assistant) -> None:
    send, _ = start(assistant, DB_PROBLEM)
    replies = send({"choice": "fix:1"})
    assert "**Check that PostgreSQL is reachable**" in texts(replies)
    assert "Step " not in texts(replies)


def test_not_urgent_answers_the_urgency_question(assistant: Assistant) -> None:
    send, conversation = start(assistant, "I want to talk to a human")
    send({"text": "the weekly report is missing a column"})
    send({"choice": "handoff:impact:low"})
    replies = send({"text": "not urgent"})
    assert "Shall I send it?" in texts(replies)
    assert waiting(assistant, conversation).urgency == "low"


ERROR_FIX = """---
title: The sync client shows an error code
category: troubleshooting
summary: Look up the sync client's error code to find the fix.
---
The sync client stops with an error code.

## Guided fix

### Which error code? {#code}
The client shows it in its status window.

Collect: error_code
Format: error_code
Ask: Which error code does it show?
- 809 → #firewall
- Other → escalate tier 2

### Open the VPN ports {#firewall}
Allow UDP 500 and 4500 in the firewall.
"""


def test_an_error_code_said_earlier_fills_the_collect_step(
    editable: Assistant, kb_copy: Path
) -> None:
    (kb_copy / "sync-error-code.md").write_text(ERROR_FIX)
    from bot.kb.index import build_index

    build_index(kb_copy, editable.settings.index_dir, paths=[str(kb_copy / "sync-error-code.md")])
    _, conversation = start(editable, "the sync client shows error 809")
    state = waiting(editable, conversation)
    if state.article_id != "sync-error-code":
        pytest.fail(f"the new article did not start its fix: {state}")
    assert state.step_id == "firewall", "809 was given in the first message"
