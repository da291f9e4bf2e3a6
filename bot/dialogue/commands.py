"""Commands a user can type at any step of a guided fix: skip, back, start over.

Short, fixed phrases, matched whole (after lower-casing and dropping punctuation),
not learnt by the intent model: "skip" must never be read as a new question, and a
sentence that merely contains "back" ("I backed up the database") is not a command.
"""

from __future__ import annotations

import re

SKIP, BACK, RESTART = "skip", "back", "restart"
_COMMANDS = (
    (
        SKIP,
        re.compile(
            r"(please )?(skip|skip (it|this|that|this one|this step|that step)|next( step)?|"
            r"i (cant|can ?not|dont want to) do (this|that)( step| one)?)( please)?"
        ),
    ),
    (BACK, re.compile(r"(go )?back|(the )?previous( step)?|(the )?step before|undo|one step back")),
    (
        RESTART,
        re.compile(
            r"start (over|again|from the (beginning|start))|restart( the fix| the steps)?|"
            r"from the (beginning|start)|begin again"
        ),
    ),
)


def fix_command(text: str) -> str | None:
    """SKIP, BACK or RESTART when the whole message is one of those commands, else None."""
    words = " ".join(re.sub(r"[^a-z ]+", "", text.lower().replace("'", "")).split())
    for command, pattern in _COMMANDS:
        if pattern.fullmatch(words):
            return command
    return None
