"""Sending to Teams: a client-credentials token fetched once and reused, activities
posted to the serviceUrl's conversation, and the replies rendered as Adaptive Cards
whose button presses come back as choices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.types import ArticleReply, Choice, ChoicesReply, TextReply, TicketReply
from connectors.teams.cards import incoming_choice, incoming_text, to_activity
from connectors.teams.connector import ConnectorClient, TeamsCredentials, TeamsSendError
from tests.teams.fake_connector import APP_PASSWORD, FakeMicrosoft
from tests.teams.jwks_server import APP_ID


@pytest.fixture
def microsoft() -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft(APP_ID) as running:
        yield running


def test_replies_go_to_the_conversation_with_one_token(microsoft: FakeMicrosoft) -> None:
    client = ConnectorClient(TeamsCredentials(APP_ID, APP_PASSWORD, microsoft.token_url))
    client.send(microsoft.url, "a:1/conv", to_activity(TextReply("Hello **there**")), "act-7")
    client.send(microsoft.url, "a:1/conv", to_activity(TextReply("Again")))
    assert len(microsoft.tokens) == 1
    assert microsoft.token_requests[0]["scope"] == "https://api.botframework.com/.default"
    (first, body, auth), (second, _, _) = microsoft.activities
    assert first == "/v3/conversations/a%3A1%2Fconv/activities/act-7"
    assert second == "/v3/conversations/a%3A1%2Fconv/activities"
    assert body["text"] == "Hello **there**" and auth == "Bearer token-1"


def test_a_wrong_password_is_a_clear_error_without_secrets(microsoft: FakeMicrosoft) -> None:
    client = ConnectorClient(TeamsCredentials(APP_ID, "wrong", microsoft.token_url))
    with pytest.raises(TeamsSendError) as caught:
        client.send(microsoft.url, "c", to_activity(TextReply("x")))
    assert "401" in str(caught.value) and "wrong" not in str(caught.value)


def test_choices_are_submit_buttons_that_come_back_as_choices() -> None:
    reply = ChoicesReply("Did that fix it?", (Choice("fix:yes", "Yes"), Choice("fix:no", "No")))
    card = to_activity(reply)["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    actions = card["content"]["actions"]
    assert [(a["type"], a["title"]) for a in actions] == [
        ("Action.Submit", "Yes"),
        ("Action.Submit", "No"),
    ]
    submitted = {"type": "message", "value": actions[1]["data"]}
    assert incoming_choice(submitted) == "fix:no"
    assert incoming_choice({"type": "message", "text": "no"}) is None


def test_articles_and_tickets_are_cards() -> None:
    article = to_activity(ArticleReply("Use py -3.12.", "install-windows", "Install on Windows",
                                       "https://help.example.com/kb/install-windows"))  # fmt: skip
    content = article["attachments"][0]["content"]
    assert content["body"][0]["text"] == "Install on Windows"
    link = content["actions"][0]
    assert (link["type"], link["url"]) == (
        "Action.OpenUrl",
        "https://help.example.com/kb/install-windows",
    )
    ticket = to_activity(TicketReply("I've opened ticket #4.", 4, "new"))
    assert ticket["attachments"][0]["content"]["body"][0]["text"] == "Ticket #4 · new"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<at>Tier0</at> how do I install on windows?", "how do I install on windows?"),
        ('<at id="28:abc">Tier0 Bot</at>&nbsp;my sync fails', "my sync fails"),
        ("hey <at>Tier0</at>, <b>help</b> &amp; thanks", "hey , help & thanks"),
        ("", ""),
    ],
)
def test_mention_markup_never_reaches_the_engine(raw: str, clean: str) -> None:
    assert incoming_text({"text": raw}) == clean
