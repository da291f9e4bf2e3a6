"""Every branch of every shipped guided fix, walked through the real engine.

For each answer of each step (yes and no of an action, every answer of a check or
collect step) the test reaches that step from the first one by clicking, gives the
answer and checks where the bot goes: the expected step, "glad that fixed it", a
handoff offer when the steps run out, or a ticket prepared for the tier and priority
the fix escalates to. Each fix is also walked with a server restart in the middle,
with skip, back and start over, and with "talk to a human" half-way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app import Assistant, build_assistant
from bot.dialogue.state import DialogueState, Flow
from bot.handlers.fix_steps import ESCALATING, EXHAUSTED, GLAD
from bot.kb.articles import Article, load_articles
from bot.kb.fixes import ACTION, COLLECT, ESCALATE, NEXT, OUTCOME, RESOLVED, STEP, Step, Target
from bot.settings import Settings
from bot.types import IncomingMessage, Participant, reply_to_dict
from tests.conftest import KB_DIR
from tests.drivers import open_ticket

FIXES = sorted(
    (a for a in load_articles(KB_DIR).articles if a.guided_fix and a.guided_fix.runnable),
    key=lambda a: a.id,
)
# A typed answer that fits each collect format, for collect steps without buttons.
SAMPLES = {
    "text": "it prints a long error",
    "version": "3.10.4",
    "os": "Linux",
    "email": "ana@example.com",
    "url": "https://example.com/page",
    "error_code": "0x80070005",
    "number": "8000",
}


@dataclass(frozen=True)
class Answer:
    message: dict[str, str]  # what the user sends
    target: Target  # where it should lead


def answers(step: Step) -> list[Answer]:
    """Every answer a step takes, with the target the article gives it."""
    if step.kind == ACTION:
        return [
            Answer({"choice": "yes"}, Target(RESOLVED)),
            Answer({"choice": "no"}, step.then or Target(NEXT)),
        ]
    if step.branches:
        return [Answer({"choice": f"fix:{i}"}, b.target) for i, b in enumerate(step.branches)]
    assert step.kind == COLLECT and step.pattern is None, f"add a sample answer for {step.id}"
    return [Answer({"text": SAMPLES[step.format or "text"]}, step.then or Target(NEXT))]


def following(article: Article, index: int, target: Target) -> int | None:
    """The step index a target leads to, None for the end of the fix."""
    steps = article.guided_fix.steps  # type: ignore[union-attr]
    if target.kind == STEP:
        return next(i for i, s in enumerate(steps) if s.id == target.step_id)
    if target.kind == NEXT:
        return index + 1 if index + 1 < len(steps) else None
    return None


def paths_to_every_step(article: Article) -> dict[int, list[Answer]]:
    """The shortest answers that lead from the first step to each step (BFS)."""
    steps = article.guided_fix.steps  # type: ignore[union-attr]
    paths: dict[int, list[Answer]] = {0: []}
    queue = deque([0])
    while queue:
        index = queue.popleft()
        if steps[index].kind == OUTCOME:
            continue
        for answer in answers(steps[index]):
            nxt = following(article, index, answer.target)
            if nxt is not None and nxt not in paths:
                paths[nxt] = [*paths[index], answer]
                queue.append(nxt)
    return paths


class Chat:
    """One conversation with the engine, whose state the test may look at."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.id = assistant.engine.start_conversation(Participant("test", "walker"))

    def send(self, message: dict[str, str]) -> list[dict[str, Any]]:
        incoming = IncomingMessage(self.id, message.get("text"), message.get("choice"))
        return [reply_to_dict(r) for r in self.assistant.engine.handle(incoming)]

    def state(self) -> DialogueState:
        with self.assistant.store.transaction() as tx:
            return DialogueState.from_json(tx.conversation(self.id).state)


@pytest.fixture
def assistant(settings: Settings) -> Iterator[Assistant]:
    built = build_assistant(settings)
    yield built
    built.close()


def start(chat: Chat, article: Article) -> list[dict[str, Any]]:
    """Start this article's fix by asking one of its sample questions, as a user would."""
    for question in (article.title, *article.questions):
        replies = chat.send({"text": question})
        state = chat.state()
        if state.article_id == article.id and state.flow in (Flow.GUIDED_FIX, Flow.FIX_ANSWER):
            return replies
        chat.send({"text": "start over"})
        chat.id = chat.assistant.engine.start_conversation(Participant("test", "walker"))
    pytest.fail(f"no sample question of {article.id} starts its guided fix")


def shows_step(replies: list[dict[str, Any]], step: Step) -> bool:
    return any(r["type"] == "text" and f"**{step.title}**" in r["text"] for r in replies)


def waiting_at(chat: Chat, article: Article) -> int:
    state = chat.state()
    assert state.article_id == article.id, state
    steps = article.guided_fix.steps  # type: ignore[union-attr]
    return next(i for i, s in enumerate(steps) if s.id == state.step_id)


def walk_to(chat: Chat, article: Article, index: int, path: list[Answer]) -> list[dict[str, Any]]:
    """Start the fix and answer along `path`; the bot must then wait at step `index`."""
    replies = start(chat, article)
    for answer in path:
        replies = chat.send(answer.message)
    assert waiting_at(chat, article) == index
    return replies


def check_end(chat: Chat, replies: list[dict[str, Any]], target: Target) -> None:
    texts = " ".join(r["text"] for r in replies)
    if target.kind == RESOLVED:
        assert GLAD in texts
        assert chat.state().flow is None
    elif target.kind == ESCALATE:
        assert ESCALATING in texts
        ticket = open_ticket(chat.send, replies)
        stored = chat.assistant.engine.ticket(ticket["ticket_id"])
        assert stored is not None and stored.steps_tried
        if target.tier is not None:
            assert stored.tier == target.tier
        if target.priority is not None:
            assert stored.priority == target.priority
    else:  # ran out of steps
        assert EXHAUSTED in texts
        assert chat.state().flow == Flow.HANDOFF_OFFER


def edges(article: Article) -> Iterator[tuple[int, Answer]]:
    steps = article.guided_fix.steps  # type: ignore[union-attr]
    paths = paths_to_every_step(article)
    for index in sorted(paths):
        if steps[index].kind != OUTCOME:
            for answer in answers(steps[index]):
                yield index, answer


@pytest.mark.parametrize("article", FIXES, ids=lambda a: a.id)
def test_every_answer_of_every_step_leads_where_the_article_says(
    assistant: Assistant, article: Article
) -> None:
    steps = article.guided_fix.steps  # type: ignore[union-attr]
    paths = paths_to_every_step(article)
    assert set(paths) == set(range(len(steps))), "the linter lets no step be unreachable"
    walked = 0
    for index, answer in edges(article):
        chat = Chat(assistant)
        walk_to(chat, article, index, paths[index])
        replies = chat.send(answer.message)
        nxt = following(article, index, answer.target)
        if nxt is not None and steps[nxt].kind != OUTCOME:
            assert shows_step(replies, steps[nxt]), (index, answer, replies)
            assert waiting_at(chat, article) == nxt
        else:
            end = steps[nxt].outcome if nxt is not None else answer.target
            check_end(chat, replies, end)  # type: ignore[arg-type]
        walked += 1
    assert walked >= len(steps)


@pytest.mark.parametrize("article", FIXES, ids=lambda a: a.id)
def test_fix_resumes_after_a_restart_and_takes_skip_back_start_over(
    settings: Settings, article: Article
) -> None:
    steps = article.guided_fix.steps  # type: ignore[union-attr]
    first = build_assistant(settings)
    chat = Chat(first)
    start(chat, article)
    second_index = following(article, 0, answers(steps[0])[-1].target)
    chat.send(answers(steps[0])[-1].message)  # "no" or the last answer: on to another step
    first.close()

    again = build_assistant(settings)  # a new process on the same database
    try:
        chat.assistant = again
        if second_index is None or steps[second_index].kind == OUTCOME:
            pytest.skip("the first step's last answer ends this fix")
        assert waiting_at(chat, article) == second_index
        replies = chat.send({"text": "back"})
        assert shows_step(replies, steps[0]) and waiting_at(chat, article) == 0
        replies = chat.send({"text": "skip"})
        skipped_to = following(article, 0, steps[0].then or Target(NEXT))
        if skipped_to is not None and steps[skipped_to].kind != OUTCOME:
            assert waiting_at(chat, article) == skipped_to
            replies = chat.send({"text": "start over"})
            assert shows_step(replies, steps[0]) and waiting_at(chat, article) == 0
        with again.store.transaction() as tx:
            outcomes = [e.data.get("outcome") for e in tx.events(chat.id) if e.type == "fix_step"]
        assert "skipped" in outcomes
    finally:
        again.close()


@pytest.mark.parametrize("article", FIXES, ids=lambda a: a.id)
def test_talk_to_a_human_half_way_carries_the_steps_tried(
    assistant: Assistant, article: Article
) -> None:
    steps = article.guided_fix.steps  # type: ignore[union-attr]
    paths = paths_to_every_step(article)
    deepest = max((i for i in paths if steps[i].kind != OUTCOME), key=lambda i: len(paths[i]))
    chat = Chat(assistant)
    walk_to(chat, article, deepest, paths[deepest])
    replies = chat.send({"choice": "human"})
    ticket = open_ticket(chat.send, replies)
    stored = assistant.engine.ticket(ticket["ticket_id"])
    assert stored is not None
    tried = [(s["step_id"], s["outcome"]) for s in stored.steps_tried]
    assert len(tried) == len(paths[deepest]) + 1
    assert all(outcome in ("not_fixed", "answered") for _, outcome in tried[:-1])
    assert tried[-1] == (steps[deepest].id, "handed_off"), "the step they were on"
