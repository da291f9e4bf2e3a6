"""A Tier0 ticket as the outbox would hand it to an external helpdesk."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.tickets import Ticket


def a_ticket(**changes: Any) -> Ticket:
    """A complete ticket: transcript, steps tried and articles shown, priority P2."""
    now = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    ticket = Ticket(
        id=42,
        status="new",
        priority="P2",
        tier=1,
        subject="VPN drops every few minutes",
        channel="web",
        user_id="u-17",
        conversation_id="c-9",
        intent="vpn_problem",
        entities={"os": "windows"},
        transcript=[
            {"sender": "user", "text": "my vpn keeps dropping"},
            {"sender": "bot", "text": "Let's try reconnecting."},
        ],
        steps_tried=[{"title": "Reconnect", "outcome": "no"}],
        articles=[{"article_id": "vpn-basics", "title": "VPN basics", "feedback": "unhelpful"}],
        created_at=now,
        updated_at=now,
        queue="network",
    )
    return replace(ticket, **changes)
