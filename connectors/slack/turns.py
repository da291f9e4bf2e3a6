"""One Slack event or click, carried through the engine and its replies sent.

Runs after bolt has acknowledged the request (bolt runs listeners in its thread
pool once `ack()` is called; events are acknowledged before the listener starts),
so the engine's work never counts against Slack's 3 seconds. Every request is
first recorded as taken in (`channel_receipts`): a retry Slack sends because an
answer was slow, on whichever server it lands, finds its key there and does
nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.engine import Engine, InvalidMessage, UnknownChoice
from bot.store import ConversationNotFound, Store
from bot.types import IncomingMessage
from connectors.slack.conversations import SLACK, Profile, SlackConversations
from connectors.slack.delivery import slack_delivery
from connectors.slack.events import SlackClick, SlackTurn
from connectors.slack.render import (
    SlackMessage,
    chosen,
    conversation_of_block,
    escape,
    section,
)

log = logging.getLogger(__name__)
STALE_CHOICE = "That question has moved on: answer the latest one, or just type."


class SlackTurns:
    def __init__(self, engine: Engine, store: Store, client: WebClient) -> None:
        self.engine = engine
        self.store = store
        self.client = client
        self.conversations = SlackConversations(engine, store, self._profile)
        self.delivery = slack_delivery(store, self.post)

    def take_message(self, turn: SlackTurn, receipt: str) -> None:
        """A DM or a mention: into the thread's conversation, the replies out."""
        key = f"event:{receipt}"
        if not self._first_time(key):
            return
        with self._retried_on_failure(key):
            conversation_id = self.conversations.for_turn(turn)
            self._handle(IncomingMessage(conversation_id, text=turn.text))

    def take_click(self, click: SlackClick) -> None:
        """A button: the question's message shows the answer, then the turn runs. One
        click per message counts (a double click or a retry is dropped)."""
        conversation_id = conversation_of_block(click.block_id)
        key = f"action:{click.team}:{click.channel}:{click.message_ts}"
        if conversation_id is None or not self._clicked_by_owner(conversation_id, click):
            return
        if not self._first_time(key):
            return
        try:
            self.client.chat_update(
                channel=click.channel,
                ts=click.message_ts,
                text=f"You chose: {click.label}",
                blocks=chosen(click.blocks, click.label),
            )
        except SlackApiError as error:  # the answer still counts
            log.warning("could not mark Slack message %s as answered: %s", click.message_ts, error)
        with self._retried_on_failure(key):
            self._handle(IncomingMessage(conversation_id, choice_id=click.choice_id))

    def post(self, channel: str, thread_ts: str, message: SlackMessage) -> None:
        self.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=message.text, blocks=list(message.blocks)
        )

    def _handle(self, message: IncomingMessage) -> None:
        try:
            self.engine.handle(message)
        except ConversationNotFound:
            log.warning("Slack thread of unknown conversation %s ignored", message.conversation_id)
            return
        except InvalidMessage as error:
            text = STALE_CHOICE if isinstance(error, UnknownChoice) else str(error)
            self._say(message.conversation_id, text)
        self.delivery.deliver(message.conversation_id)

    def _say(self, conversation_id: str, text: str) -> None:
        """A word outside the transcript: why a message was not taken."""
        with self.store.transaction() as tx:
            thread = tx.channel_thread_of(conversation_id)
        if thread is not None:
            message = SlackMessage(text, (section(escape(text)),))
            self.post(thread.address, thread.thread_ts, message)

    def _clicked_by_owner(self, conversation_id: str, click: SlackClick) -> bool:
        """Only the person the question was put to answers it: in a shared thread,
        someone else's click must not act in their conversation, as them."""
        try:
            with self.store.transaction() as tx:
                owner = tx.conversation(conversation_id).user_id
        except ConversationNotFound:
            return False
        if owner != f"{click.team}:{click.user}":
            log.info("a click by %s on %s's question ignored", click.user, owner)
            return False
        return True

    @contextlib.contextmanager
    def _retried_on_failure(self, key: str) -> Iterator[None]:
        """A turn that fails (the database gone, a bug) forgets its receipt, so Slack's
        retry of the request is taken instead of dropped as a duplicate."""
        try:
            yield
        except Exception:
            with self.store.transaction() as tx:
                tx.forget_receipt(SLACK, key)
            raise

    def _first_time(self, key: str) -> bool:
        with self.store.transaction() as tx:
            first = tx.record_receipt(SLACK, key)
        if not first:
            log.info("Slack request %s seen before (a retry): ignored", key)
        return first

    def _profile(self, user: str) -> Profile:
        """The user's name (users:read) and email (users:read.email) in Slack; None for
        what Slack will not say. The email is the person's identity across channels."""
        try:
            profile = (self.client.users_info(user=user).get("user") or {}).get("profile") or {}
        except SlackApiError as error:
            log.info("users.info for %s failed: %s", user, error)
            return Profile(None, None)
        name = profile.get("display_name") or profile.get("real_name") or None
        return Profile(name, profile.get("email") or None)
