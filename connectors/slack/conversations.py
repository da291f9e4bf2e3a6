"""Which Tier0 conversation a Slack thread holds, started on first contact.

A channel thread holds one conversation per person who talks to the bot there (an
@mention and what follows), all answered in the thread. A DM channel
is one conversation as a whole, replied to in the thread of the user's latest
message, so a reply in that thread stays in it; a thread the user starts elsewhere
in the DM is a conversation of its own. The mapping is a `channel_threads` row,
so every app server finds the same conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.engine import Engine
from bot.store import Store
from bot.store.models import ChannelThreadRow
from bot.store.store import Transaction
from bot.types import Participant
from connectors.slack.events import SlackPlace, SlackTurn

log = logging.getLogger(__name__)
SLACK = "slack"


@dataclass(frozen=True)
class Profile:
    display_name: str | None
    email: str | None


ProfileLookup = Callable[[str], Profile]  # a Slack user id → what Slack says of them


class SlackConversations:
    def __init__(self, engine: Engine, store: Store, profile: ProfileLookup) -> None:
        self.engine = engine
        self.store = store
        self._profile = profile

    def for_turn(self, turn: SlackTurn) -> str:
        """The conversation of the turn's thread, started now if it has none."""
        place = turn.place
        with self.store.transaction() as tx:
            row = _existing(tx, place, turn.direct)
            if row is not None:
                row.thread_ts = place.reply_ts if row.thread_key == "" else row.thread_ts
                return row.conversation_id
        profile = self._profile(turn.user)
        participant = Participant(
            channel=SLACK,
            user_id=f"{place.team}:{turn.user}",
            display_name=profile.display_name,
            email=profile.email,
        )
        conversation_id = self.engine.start_conversation(participant)
        with self.store.transaction() as tx:
            return tx.map_channel_thread(
                channel=SLACK,
                team=place.team,
                address=place.channel,
                thread_key=place.thread_key,
                thread_ts=place.reply_ts,
                conversation_id=conversation_id,
            )


def _existing(tx: Transaction, place: SlackPlace, direct: bool) -> ChannelThreadRow | None:
    row = tx.channel_thread(SLACK, place.team, place.channel, place.thread_key, lock=True)
    if row is None and direct and place.thread_key:
        whole = tx.channel_thread(SLACK, place.team, place.channel, "", lock=True)
        if whole is not None and whole.thread_ts == place.thread_key:
            return whole
    return row
