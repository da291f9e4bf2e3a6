"""Block Kit rendering and the reading of events, as pure functions."""

from __future__ import annotations

from bot.types import ArticleReply, Choice, ChoicesReply, TextReply, TicketReply
from connectors.slack.events import direct_message, mention, strip_mentions
from connectors.slack.render import chosen, conversation_of_block, render, to_mrkdwn


def test_markdown_becomes_mrkdwn_with_slack_markup_escaped() -> None:
    assert to_mrkdwn("**Restart** it, see [the guide](https://x.test/a?b=1)") == (
        "*Restart* it, see <https://x.test/a?b=1|the guide>"
    )
    assert to_mrkdwn("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_each_reply_type_has_blocks_and_a_plain_fallback() -> None:
    article = render(ArticleReply("Install it.", "win", "Windows <setup>", "http://t/kb/win"), "c1")
    assert (
        article.blocks[0]["text"]["text"]
        == "*<http://t/kb/win|Windows &lt;setup&gt;>*\nInstall it."
    )
    assert article.text.startswith("Windows <setup> (http://t/kb/win)")
    choices = render(ChoicesReply("Fixed?", (Choice("yes", "Yes"), Choice("fix:1", "No"))), "c1")
    buttons = choices.blocks[1]
    assert buttons["block_id"] == "tier0-choices:c1"
    assert [(e["action_id"], e["value"]) for e in buttons["elements"]] == [
        ("tier0-choice-0", "yes"),
        ("tier0-choice-1", "fix:1"),
    ]
    assert conversation_of_block(buttons["block_id"]) == "c1"
    assert conversation_of_block("other") is None
    ticket = render(TicketReply("Ticket opened.", 7, "new"), "c1")
    assert ticket.blocks[1]["type"] == "context" and "#7" in str(ticket.blocks[1])
    assert render(TextReply("**hi**"), "c1").text == "hi"


def test_a_clicked_question_shows_the_answer_instead_of_buttons() -> None:
    blocks = list(render(ChoicesReply("Fixed?", (Choice("yes", "Yes"),)), "c1").blocks)
    after = chosen(blocks, "Yes")
    assert after[0] == blocks[0]
    assert after[1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "You chose: *Yes*"}],
    }


def test_only_the_bots_own_mention_is_stripped() -> None:
    assert strip_mentions("<@UBOT> my <@U2> VPN", "UBOT") == "my <@U2> VPN"
    assert strip_mentions("<@UBOT|tier0>   hi", "UBOT") == "hi"


def test_what_is_not_a_users_new_message_is_ignored() -> None:
    base = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": "1.0"}
    assert direct_message({"event": {**base, "text": "hi"}}, "UBOT") is not None
    assert direct_message({"event": {**base, "text": "hi", "user": "UBOT"}}, "UBOT") is None
    assert direct_message({"event": {**base, "text": "hi", "subtype": "bot_message"}}, "U") is None
    assert direct_message({"event": {**base, "text": "  "}}, "UBOT") is None
    in_dm = {"type": "app_mention", "channel": "D1", "user": "U1", "ts": "1.0", "text": "<@UBOT>"}
    assert mention({"event": in_dm}, "UBOT") is None  # the message event answers it
    alone = mention({"event": {**in_dm, "channel": "C1"}}, "UBOT")
    assert alone is not None and alone.text == "help"
