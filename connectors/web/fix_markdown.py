"""A guided fix as a person reads it on the article page, not as its author typed it.

In the chat, control lines become questions and buttons; on the page they are turned
into sentences before the Markdown is rendered: "Ask: Which message do you see?"
becomes the question in bold, "- Connection refused → #reachable" an answer that
links to its step, "Outcome: escalate tier 2 P2" "A support agent takes over from
here." Tiers and priorities are for the helpdesk, not for the reader.
"""

from __future__ import annotations

import re

from bot.kb.articles import FENCE, GUIDED_FIX_HEADING, HEADING
from bot.kb.fixes import (
    ACTION,
    ARROW,
    ESCALATE,
    NEXT,
    RESOLVED,
    STEP,
    STEP_ID,
    GuidedFix,
    Target,
    parse_target,
)

CONTROL = re.compile(r"^\s*(ask|collect|format|pattern|then|outcome)\s*:\s*(.*)$", re.IGNORECASE)
ANSWER = re.compile(r"^(\s*[-*+]\s+)(.+?)\s*$")
ENDINGS = {RESOLVED: "this solves it", ESCALATE: "a support agent takes over"}


def readable_fix(body: str, fix: GuidedFix | None) -> str:
    """The article body with its guided fix's control lines in plain words."""
    if fix is None:
        return body
    titles = {step.id: step.title for step in fix.steps}
    kinds = {step.title: step.kind for step in fix.steps}
    out: list[str] = []
    in_fix = in_code = False
    kind = ACTION
    for line in body.splitlines():
        if FENCE.match(line):
            in_code = not in_code
        heading = None if in_code else HEADING.match(line)
        if heading and len(heading.group(1)) <= 2:
            in_fix = heading.group(2).strip().lower() == GUIDED_FIX_HEADING
        elif heading and len(heading.group(1)) == 3:
            named = STEP_ID.match(heading.group(2))
            kind = kinds.get(named["title"].strip() if named else heading.group(2), ACTION)
        if not in_fix or in_code:
            out.append(line)
            continue
        out.extend(_rewrite(line, titles, kind))
    return "\n".join(out)


def _rewrite(line: str, titles: dict[str, str], kind: str) -> list[str]:
    control = CONTROL.match(line)
    if control:
        key, value = control.group(1).lower(), control.group(2).strip()
        if key == "ask":
            return ["", f"**{value}**", ""]
        if key == "then":
            lead = "If it is not fixed" if kind == ACTION else "Then"
            return ["", f"{lead}: {_where(value, titles)}.", ""]
        if key == "outcome":
            target = parse_target(value)
            kind = target.kind if isinstance(target, Target) else ""
            ending = "A support agent takes over from here." if kind == ESCALATE else "Solved."
            return ["", f"*{ending}*", ""]
        return []  # collect, format, pattern: how the chat checks an answer
    answer = ANSWER.match(line)
    if answer:
        parts = ARROW.split(answer.group(2), maxsplit=1)
        if len(parts) == 2 and isinstance(parse_target(parts[1]), Target):
            return [f"{answer.group(1)}{parts[0].strip()}: {_where(parts[1], titles)}"]
    return [line]


def _where(text: str, titles: dict[str, str]) -> str:
    target = parse_target(text)
    if not isinstance(target, Target):
        return text
    if target.kind == STEP and target.step_id in titles:
        return f"go to [{titles[target.step_id]}](#{target.step_id})"
    if target.kind == NEXT:
        return "go on with the next step"
    return ENDINGS.get(target.kind, text)
