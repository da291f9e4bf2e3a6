"""Buttons: a click continues the conversation (a guided fix completed by buttons
alone), the question's message shows the answer, a second click counts once; and an
agent's reply reaches the thread through the delivery path."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bot.app import Assistant
from bot.store.models import ChannelThreadRow
from bot.ticket_updates import agent_reply
from tests.slack.conftest import SlackSender, app_mention, dm, wait_for


def buttons_of(message: dict[str, Any]) -> list[str]:
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    return [e["text"]["text"] for e in actions[0]["elements"]] if actions else []


def next_question(slack: SlackSender, seen: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Wait for the bot's next message with buttons after the first `seen` messages."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        posted = slack.api.posted()
        asking = [m for m in posted[seen:] if buttons_of(m)]
        if asking:
            time.sleep(0.1)  # the rest of the turn's replies
            return slack.api.posted(), asking[-1]
        time.sleep(0.02)
    raise AssertionError(f"no question after {seen}: {slack.api.posted()}")


def test_a_guided_fix_completed_by_buttons_alone(slack: SlackSender) -> None:
    slack.event(dm("the tier0 server won't start"))
    posted, question = next_question(slack, 0)
    assert any("Step 1 of" in m["text"] for m in posted)
    assert buttons_of(question) == ["Yes, it's fixed", "No, still broken", "Talk to a human"]
    assert {m["thread_ts"] for m in posted} == {"1700000000.000100"}

    response = slack.click(question, "No, still broken")
    assert response.status_code == 200
    answered = question
    posted, question = next_question(slack, len(posted))
    assert any("Step 2 of" in m["text"] for m in posted)
    [update] = wait_for(lambda: slack.api.calls("chat.update"), 1)
    assert update["ts"] == answered["ts"] and update["channel"] == "D0DM"
    assert "You chose: *No, still broken*" in str(update["blocks"])
    assert not [b for b in update["blocks"] if b["type"] == "actions"]

    slack.click(question, "Yes, it's fixed")
    done = wait_for(slack.api.posted, len(posted) + 1)[-1]
    assert "glad that fixed it" in done["text"]
    assert done["thread_ts"] == "1700000000.000100"


def test_a_second_click_on_one_message_counts_once(slack: SlackSender) -> None:
    slack.event(dm("the tier0 server won't start"))
    posted, question = next_question(slack, 0)
    slack.click(question, "No, still broken")
    slack.click(question, "No, still broken")
    next_question(slack, len(posted))
    time.sleep(0.5)
    assert len(slack.api.calls("chat.update")) == 1
    assert sum("Step 2 of" in m["text"] for m in slack.api.posted()) == 1


def test_an_agent_reply_reaches_the_slack_thread(slack: SlackSender, assistant: Assistant) -> None:
    slack.event(dm("hello", ts="1700000050.000500"))
    before = len(slack.posted(1))
    time.sleep(0.2)
    with assistant.store.transaction() as tx:
        [thread] = tx.session.query(ChannelThreadRow).all()
        conversation = tx.conversation(thread.conversation_id)
        ticket = tx.add_ticket(
            conversation_id=conversation.id,
            channel="slack",
            user_id=conversation.user_id,
            subject="VPN drops",
        )
    with assistant.store.transaction() as tx:
        agent_reply(tx, ticket.id, "Please try the new client.", datetime.now(UTC), agent="Ana")
    posted = wait_for(slack.api.posted, before + 1)
    said = posted[-1]
    assert said["channel"] == "D0DM" and said["thread_ts"] == "1700000050.000500"
    assert said["text"].startswith("Ana (support): Please try the new client.")
    assert said["blocks"][0]["text"]["text"].startswith("*Ana* (support): Please try")
    assert f"Ticket #{ticket.id}" in str(said["blocks"])
    time.sleep(1.5)  # the delivery loop's next passes send it no second time
    assert len(slack.api.posted()) == before + 1
    # The agent has the conversation now: the bot says so once, then stays quiet.
    slack.event(dm("thanks, trying it now", ts="1700000060.000600"), event_id="Ev-after-1")
    acknowledged = wait_for(slack.api.posted, before + 2)
    assert "agent" in acknowledged[-1]["text"].lower()
    slack.event(
        dm("how do I install tier0 on windows?", ts="1700000070.000700"), event_id="Ev-after-2"
    )
    time.sleep(1.5)
    assert len(slack.api.posted()) == before + 2  # no article: the agent answers


def test_in_a_shared_thread_each_person_is_themselves(
    slack: SlackSender, assistant: Assistant
) -> None:
    slack.event(app_mention("the tier0 server won't start"), event_id="Ev-dana-1")
    posted, question = next_question(slack, 0)
    # Someone else clicks Dana's button: it does nothing.
    slack.click(question, "No, still broken", user="U0EVE")
    time.sleep(0.5)
    assert not slack.api.calls("chat.update")
    assert not any("Step 2 of" in m["text"] for m in slack.api.posted())
    # Eve's own message in the thread is her own conversation, answered in the thread.
    reply = app_mention(
        "my tickets", ts="1700000009.000900", user="U0EVE", thread_ts="1700000001.000200"
    )
    slack.event(reply, event_id="Ev-eve-1")
    said = wait_for(slack.api.posted, len(posted) + 1)[-1]
    assert said["thread_ts"] == "1700000001.000200" and "no tickets" in said["text"].lower()
    with assistant.store.transaction() as tx:
        users = sorted(tx.conversation(t.conversation_id).user_id
                       for t in tx.session.query(ChannelThreadRow).all())  # fmt: skip
    assert users == ["T0TEAM:U0EVE", "T0TEAM:U0USER"]
