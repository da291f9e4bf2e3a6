"""Human takeover: while an agent has a ticket's conversation the bot stays quiet.

The user's messages (typed or clicked, however old the button) still reach the
transcript and the ticket's history; the bot acknowledges the first one only, and
speaks again when the agent hands back or the ticket is resolved or closed. The
takeover is durable state: another engine on the same database sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.app import Assistant, build_assistant
from bot.engine import Engine, UnknownChoice
from bot.handlers.agent_active import ACKNOWLEDGED
from bot.store.models import TicketRow
from bot.takeover import TakeoverRefused, is_taken_over, takeover_status
from bot.ticket_updates import agent_reply, change_status, hand_back, take_over, update_ticket
from bot.types import IncomingMessage, Participant, reply_to_dict
from tests.drivers import open_ticket

ACK = [{"type": "text", "text": ACKNOWLEDGED}]


@dataclass
class Chat:
    """One user's conversation with a ticket opened from it by "talk to a human"."""

    engine: Engine
    conversation_id: str
    ticket_id: int

    def send(self, text: str | None = None, choice: str | None = None) -> list[dict[str, Any]]:
        message = IncomingMessage(self.conversation_id, text=text, choice_id=choice)
        return [reply_to_dict(r) for r in self.engine.handle(message)]

    def lines(self, sender: str) -> list[str]:
        view = self.engine.conversation(self.conversation_id)
        return [m["text"] for m in view.messages if m["sender"] == sender]


def chat_with_ticket(engine: Engine, user: str = "ana") -> Chat:
    conversation_id = engine.start_conversation(Participant("test", user))
    chat = Chat(engine, conversation_id, 0)
    chat.send("I need to talk to a human")
    replies = chat.send("the nightly export stopped running")
    sender: Callable[[dict[str, str]], list[dict[str, Any]]] = lambda m: chat.send(**m)  # noqa: E731
    chat.ticket_id = open_ticket(sender, replies)["ticket_id"]
    return chat


def agent(assistant: Assistant, act: Callable[..., Any], *args: Any) -> Any:
    """An agent's act on the ticket, in its own transaction, as the console's would be."""
    with assistant.store.transaction() as tx:
        return act(tx, *args)


def history(assistant: Assistant, ticket_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    with assistant.store.transaction() as tx:
        return [(e.kind, e.actor, dict(e.data)) for e in tx.ticket_events(ticket_id)]


def now() -> datetime:
    return datetime.now(UTC)


def test_after_an_agent_replies_the_user_is_heard_not_answered(assistant) -> None:  # type: ignore[no-untyped-def]
    chat = chat_with_ticket(assistant.engine)
    agent(assistant, agent_reply, chat.ticket_id, "Looking at it now.", now(), "Ana")

    assert chat.send("it also fails on Sundays") == ACK, "one short line, once"
    assert chat.send("and the logs say nothing") == []
    assert chat.send("talk to a human") == [], "a person is reading already: no new handoff"
    assert chat.send(f"status of ticket {chat.ticket_id}") == []
    assert chat.send("how do I install tier0 on windows") == [], "no KB answer either"

    assert chat.lines("user")[-5:] == [
        "it also fails on Sundays",
        "and the logs say nothing",
        "talk to a human",
        f"status of ticket {chat.ticket_id}",
        "how do I install tier0 on windows",
    ]
    said = f"Ana (support), on ticket #{chat.ticket_id}: Looking at it now."
    assert chat.lines("bot")[-2:] == [said, ACKNOWLEDGED]
    events = history(assistant, chat.ticket_id)
    assert [(kind, actor) for kind, actor, _ in events] == [
        ("status", "system"),
        ("takeover", "agent"),
        ("reply", "agent"),
        *[("user_message", "user")] * 5,
    ]
    assert events[1][2] == {"agent": "Ana"}
    assert events[3][2] == {
        "text": "it also fails on Sundays",
        "conversation_id": chat.conversation_id,
    }
    with assistant.store.transaction() as tx:
        status = takeover_status(tx, chat.ticket_id)
        assert status is not None and status.taken_over and status.agent == "Ana"
        assert status.to_dict()["since"] is not None
        assert len(tx.tickets_for_user("test", "ana")) == 1, "no second ticket"


def test_hand_back_gives_the_conversation_back_to_the_bot(assistant) -> None:  # type: ignore[no-untyped-def]
    chat = chat_with_ticket(assistant.engine)
    agent(assistant, take_over, chat.ticket_id, "Ana", now())  # from the console, no reply
    assert chat.send("hello? anyone there?") == ACK
    agent(assistant, take_over, chat.ticket_id, "Ana", now())  # a second click: no news

    agent(assistant, hand_back, chat.ticket_id, "Ana", now())
    assert chat.lines("bot")[-1].startswith("You're back with the assistant")
    replies = chat.send("how do I install tier0 on windows")
    assert replies and replies != ACK, "the bot answers again"
    agent(assistant, hand_back, chat.ticket_id, "Ana", now())  # a retry: nothing to hand back

    kinds = [(kind, actor) for kind, actor, _ in history(assistant, chat.ticket_id)]
    assert kinds == [
        ("status", "system"),
        ("takeover", "agent"),
        ("user_message", "user"),
        ("handback", "agent"),
    ]
    assert history(assistant, chat.ticket_id)[-1][2] == {
        "agent": "Ana",
        "reason": "handed_back",
        "by": "Ana",
    }
    with assistant.store.transaction() as tx:
        assert not is_taken_over(tx, chat.ticket_id)
        assert takeover_status(tx, 999_999) is None


def test_another_agent_can_take_over_and_a_reply_does_not_steal_it(assistant) -> None:  # type: ignore[no-untyped-def]
    chat = chat_with_ticket(assistant.engine)
    agent(assistant, take_over, chat.ticket_id, "Ana", now())
    agent(assistant, agent_reply, chat.ticket_id, "Bo here, adding a note.", now(), "Bo")
    with assistant.store.transaction() as tx:
        assert takeover_status(tx, chat.ticket_id).agent == "Ana"  # type: ignore[union-attr]
    agent(assistant, take_over, chat.ticket_id, "Bo", now())
    with assistant.store.transaction() as tx:
        assert takeover_status(tx, chat.ticket_id).agent == "Bo"  # type: ignore[union-attr]
    takeovers = [d for kind, _, d in history(assistant, chat.ticket_id) if kind == "takeover"]
    assert takeovers == [{"agent": "Ana"}, {"agent": "Bo", "from": "Ana"}]
    with pytest.raises(ValueError, match="must name"):
        agent(assistant, take_over, chat.ticket_id, " \u0000 ", now())


@pytest.mark.parametrize(("status", "actor"), [("resolved", "agent"), ("closed", "helpdesk")])
def test_resolving_or_closing_the_ticket_ends_the_takeover(  # type: ignore[no-untyped-def]
    assistant, status: str, actor: str
) -> None:
    chat = chat_with_ticket(assistant.engine)
    agent(assistant, agent_reply, chat.ticket_id, "Fixed on our side.", now(), "Ana")
    assert chat.send("great, thanks") == ACK

    def settle(tx, ticket_id: int) -> None:  # type: ignore[no-untyped-def]
        row: TicketRow = tx.ticket(ticket_id)
        assert change_status(tx, row, status, actor, now())

    agent(assistant, settle, chat.ticket_id)
    assert "Update on your ticket" in chat.lines("bot")[-1], "the news line, and only it"
    assert chat.send("how do I install tier0 on windows") not in ([], ACK)
    kind, who, data = history(assistant, chat.ticket_id)[-1]
    assert (kind, who, data) == ("handback", actor, {"agent": "Ana", "reason": status})

    with pytest.raises(TakeoverRefused, match="reopen it"):
        agent(assistant, take_over, chat.ticket_id, "Ana", now())
    agent(assistant, agent_reply, chat.ticket_id, "One more thing.", now(), "Ana")
    assert chat.send("what's new?") not in ([], ACK), "a reply to a done ticket takes nothing over"


def test_reopening_does_not_resume_the_takeover(assistant) -> None:  # type: ignore[no-untyped-def]
    chat = chat_with_ticket(assistant.engine)
    agent(assistant, take_over, chat.ticket_id, "Ana", now())
    update = lambda tx, status: update_ticket(tx, chat.ticket_id, now(), status=status)  # noqa: E731
    agent(assistant, update, "resolved")
    agent(assistant, update, "open")
    with assistant.store.transaction() as tx:
        assert not is_taken_over(tx, chat.ticket_id)


def test_a_stale_button_during_a_takeover_reaches_the_agent(assistant) -> None:  # type: ignore[no-untyped-def]
    chat = chat_with_ticket(assistant.engine)
    agent(assistant, agent_reply, chat.ticket_id, "Hi, Ana here.", now(), "Ana")
    # "Send it" was the handoff's last question: long answered, still on the screen.
    assert chat.send(choice="handoff:send") == ACK
    assert chat.send(choice="handoff:impact:high") == []
    view = assistant.engine.conversation(chat.conversation_id).messages
    user = [(m["type"], m["text"], m.get("choice")) for m in view if m["sender"] == "user"]
    assert user[-2:] == [
        ("choice", "Send it", "handoff:send"),
        ("choice", "Everyone, or a production system", "handoff:impact:high"),
    ]
    notes = [d for kind, _, d in history(assistant, chat.ticket_id) if kind == "user_message"]
    assert [(n["text"], n["choice"]) for n in notes] == [
        ("Send it", "handoff:send"),
        ("Everyone, or a production system", "handoff:impact:high"),
    ]
    with assistant.store.transaction() as tx:
        assert len(tx.tickets_for_user("test", "ana")) == 1, "no handler ran: no second ticket"
        assert tx.ticket(chat.ticket_id).priority == "P3", "nor did the old answer change it"  # type: ignore[union-attr]
    with pytest.raises(UnknownChoice):  # a button that was never shown is still an error
        chat.send(choice="handoff:impact:bogus")

    agent(assistant, hand_back, chat.ticket_id, "Ana", now())
    with pytest.raises(UnknownChoice):  # the bot's again: old buttons are void, as ever
        chat.send(choice="handoff:send")


def test_two_conversations_do_not_affect_each_other(assistant) -> None:  # type: ignore[no-untyped-def]
    taken = chat_with_ticket(assistant.engine, "ana")
    free = chat_with_ticket(assistant.engine, "bo")
    agent(assistant, agent_reply, taken.ticket_id, "On it.", now(), "Cy")

    assert free.send("how do I install tier0 on windows") not in ([], ACK)
    assert taken.send("how do I install tier0 on windows") == ACK
    assert free.send("thanks") not in ([], ACK)
    kinds = [kind for kind, _, _ in history(assistant, free.ticket_id)]
    assert kinds == ["status"], "nothing of the other conversation in this ticket"
    with assistant.store.transaction() as tx:
        assert is_taken_over(tx, taken.ticket_id) and not is_taken_over(tx, free.ticket_id)


def test_the_takeover_survives_a_new_engine_on_the_same_database(any_db_assistant) -> None:  # type: ignore[no-untyped-def]
    first = chat_with_ticket(any_db_assistant.engine)
    agent(any_db_assistant, agent_reply, first.ticket_id, "On it.", now(), "Ana")
    assert first.send("anything yet?") == ACK

    restarted = build_assistant(any_db_assistant.settings, prepare=False)
    try:
        chat = Chat(restarted.engine, first.conversation_id, first.ticket_id)
        assert chat.send("still waiting") == [], "taken over, and acknowledged already"
        agent(restarted, hand_back, chat.ticket_id, "Ana", now())
        assert chat.send("how do I install tier0 on windows") not in ([], ACK)
    finally:
        restarted.close()


def test_the_http_api_answers_200_with_no_replies_during_a_takeover(assistant, client) -> None:  # type: ignore[no-untyped-def]
    """What the widget sees: the post succeeds, the replies list is empty (after the one
    acknowledgement), and the user's line is in the conversation it polls."""
    conversation_id = client.post("/api/v1/conversations").get_json()["id"]
    url = f"/api/v1/conversations/{conversation_id}/messages"

    def send(message: dict[str, str]) -> list[dict[str, Any]]:
        response = client.post(url, json=message)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["replies"]  # type: ignore[no-any-return]

    send({"text": "I need to talk to a human"})
    ticket_id = open_ticket(send, send({"text": "backups fail"}))["ticket_id"]
    agent(assistant, agent_reply, ticket_id, "On it.", now(), "Ana")
    assert send({"text": "thanks, waiting"}) == ACK
    assert send({"text": "any news?"}) == []
    assert send({"choice": "handoff:send"}) == []
    view = client.get(f"/api/v1/conversations/{conversation_id}").get_json()
    assert [m["text"] for m in view["messages"] if m["sender"] == "user"][-2:] == [
        "any news?",
        "Send it",
    ]
