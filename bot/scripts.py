"""Conversation scripts: "user says → bot replies" in YAML, replayed against any driver.

The same script runs against the engine in-process, through the HTTP API and through
`tier0 chat`, so a KB editor's check and the end-to-end tests share one format:

    name: a problem ends in a ticket
    steps:
      - user: the server won't start
        expect:
          - {type: article, article_id: troubleshoot-server-wont-start}
          - {type: choices, choices: [yes, no, human]}
      - choice: "no"
        repeat_until: "open a ticket"     # answer "no" until a reply contains this
      - choice: "yes"
        expect: [{type: ticket, status: new}]
      - user: what's the status of ticket ${ticket_id}
        expect: [{type: ticket, text_contains: "is new"}]

`${ticket_id}` is the id from the latest ticket reply. Expectations match replies in
order; other replies may come between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Send = Callable[[dict[str, str]], list[dict[str, Any]]]
MATCH_KEYS = ("type", "article_id", "status", "title")
MAX_REPEATS = 20


class ScriptError(ValueError):
    """A malformed script file."""


class ScriptFailure(AssertionError):
    """The bot did not answer as the script expects."""


@dataclass(frozen=True)
class ScriptStep:
    message: dict[str, str]
    expect: tuple[dict[str, Any], ...] = ()
    repeat_until: str | None = None


@dataclass(frozen=True)
class Script:
    name: str
    steps: tuple[ScriptStep, ...]


@dataclass
class Transcript:
    turns: list[tuple[dict[str, str], list[dict[str, Any]]]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)


def _step(raw: Any, where: str) -> ScriptStep:
    if not isinstance(raw, dict) or ("user" in raw) == ("choice" in raw):
        raise ScriptError(f"{where}: each step needs exactly one of 'user' or 'choice'")
    message = {"text": str(raw["user"])} if "user" in raw else {"choice": str(raw["choice"])}
    expect = raw.get("expect") or []
    if not isinstance(expect, list) or not all(isinstance(e, dict) for e in expect):
        raise ScriptError(f"{where}: 'expect' must be a list of mappings")
    until = raw.get("repeat_until")
    return ScriptStep(message, tuple(expect), str(until) if until is not None else None)


def load_scripts(path: Path) -> list[Script]:
    """A file holds one script (a mapping) or several (a list of mappings)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ScriptError(f"{path}: invalid YAML: {error}") from None
    documents = data if isinstance(data, list) else [data]
    scripts = []
    for number, doc in enumerate(documents, 1):
        if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list):
            raise ScriptError(f"{path}: script {number} needs a 'steps' list")
        name = str(doc.get("name") or f"{path.stem} #{number}")
        steps = tuple(_step(s, f"{path}: {name}: step {i}") for i, s in enumerate(doc["steps"], 1))
        scripts.append(Script(name, steps))
    return scripts


def _substitute(message: dict[str, str], variables: dict[str, str]) -> dict[str, str]:
    result = {}
    for key, value in message.items():
        for name, replacement in variables.items():
            value = value.replace("${" + name + "}", replacement)
        result[key] = value
    return result


def _matches(reply: dict[str, Any], expected: dict[str, Any]) -> bool:
    if any(key in expected and reply.get(key) != expected[key] for key in MATCH_KEYS):
        return False
    wanted = expected.get("text_contains")
    if wanted is not None and str(wanted).lower() not in str(reply.get("text", "")).lower():
        return False
    if "choices" in expected:
        return [c["id"] for c in reply.get("choices", [])] == list(expected["choices"])
    return True


def check_replies(replies: list[dict[str, Any]], expect: tuple[dict[str, Any], ...]) -> None:
    position = 0
    for expected in expect:
        while position < len(replies) and not _matches(replies[position], expected):
            position += 1
        if position == len(replies):
            raise ScriptFailure(f"expected a reply like {expected}, got {replies}")
        position += 1


def run_script(script: Script, send: Send) -> Transcript:
    """Play the script; raises `ScriptFailure` at the first reply that does not match."""
    transcript = Transcript()
    for number, step in enumerate(script.steps, 1):
        for _ in range(MAX_REPEATS if step.repeat_until else 1):
            message = _substitute(step.message, transcript.variables)
            replies = send(message)
            transcript.turns.append((message, replies))
            for reply in replies:
                if reply.get("type") == "ticket":
                    transcript.variables["ticket_id"] = str(reply["ticket_id"])
            if step.repeat_until is None or any(
                step.repeat_until.lower() in str(r.get("text", "")).lower() for r in replies
            ):
                break
        else:
            raise ScriptFailure(
                f"{script.name}: step {number}: no reply contained {step.repeat_until!r}"
            )
        try:
            check_replies(replies, step.expect)
        except ScriptFailure as failure:
            raise ScriptFailure(f"{script.name}: step {number} {message}: {failure}") from None
    return transcript
