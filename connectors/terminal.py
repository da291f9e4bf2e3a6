"""`tier0 chat`: a conversation in the terminal, for trying the bot and testing the KB.

Choices are shown as numbered options; typing the number picks one. The same
conversation can be resumed later with `--conversation ID`. With `--json` the
chat speaks JSON lines instead (`/choice ID` picks a choice), for scripts and tools.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TextIO

from bot.engine import Engine, InvalidMessage
from bot.types import (
    ArticleReply,
    Choice,
    ChoicesReply,
    IncomingMessage,
    Participant,
    Reply,
    TicketReply,
    reply_to_dict,
)

QUIT_WORDS = frozenset({"/quit", "/exit", "quit", "exit"})


def render(reply: Reply) -> str:
    match reply:
        case ArticleReply():
            return f"[article] {reply.title}\n  {reply.text}\n  {reply.url}"
        case ChoicesReply():
            options = "\n".join(f"  {n}. {c.label}" for n, c in enumerate(reply.choices, 1))
            return f"{reply.text}\n{options}"
        case TicketReply():
            return f"[ticket #{reply.ticket_id} · {reply.status}] {reply.text}"
    return reply.text


def _message(conversation_id: str, line: str, choices: tuple[Choice, ...]) -> IncomingMessage:
    if line.isdigit() and 1 <= int(line) <= len(choices):
        return IncomingMessage(conversation_id, choice_id=choices[int(line) - 1].id)
    return IncomingMessage(conversation_id, text=line)


def _json_message(conversation_id: str, line: str) -> IncomingMessage:
    if line.startswith("/choice "):
        return IncomingMessage(conversation_id, choice_id=line.removeprefix("/choice ").strip())
    return IncomingMessage(conversation_id, text=line)


def run_chat(
    engine: Engine,
    read_line: Callable[[str], str],
    out: TextIO,
    *,
    user: str,
    conversation_id: str | None = None,
    json_lines: bool = False,
) -> str:
    """Run until EOF or /quit; returns the conversation id."""
    conversation_id = conversation_id or engine.start_conversation(Participant("cli", user))
    if json_lines:
        print(json.dumps({"conversation_id": conversation_id}), file=out, flush=True)
    else:
        print(f"Tier0 chat (conversation {conversation_id}). Type /quit to leave.", file=out)
    choices: tuple[Choice, ...] = ()
    prompt = "" if json_lines else "you> "
    while True:
        try:
            line = read_line(prompt).strip()
        except EOFError:
            break
        if line.lower() in QUIT_WORDS:
            break
        if not line:
            continue
        if json_lines:
            _json_turn(engine, _json_message(conversation_id, line), out)
        else:
            choices = _human_turn(engine, _message(conversation_id, line, choices), out, choices)
    return conversation_id


def _json_turn(engine: Engine, message: IncomingMessage, out: TextIO) -> None:
    try:
        replies = engine.handle(message)
    except InvalidMessage as error:
        print(json.dumps({"error": {"code": error.code, "message": str(error)}}), file=out)
    else:
        print(json.dumps({"replies": [reply_to_dict(r) for r in replies]}), file=out)
    out.flush()


def _human_turn(
    engine: Engine, message: IncomingMessage, out: TextIO, choices: tuple[Choice, ...]
) -> tuple[Choice, ...]:
    """Show one turn's replies; returns the choices now on offer."""
    try:
        replies = engine.handle(message)
    except InvalidMessage as error:
        print(f"bot> ({error})", file=out, flush=True)
        return choices
    offered: tuple[Choice, ...] = ()
    for reply in replies:
        print("bot> " + render(reply).replace("\n", "\n     "), file=out, flush=True)
        if isinstance(reply, ChoicesReply):
            offered = reply.choices
    return offered
