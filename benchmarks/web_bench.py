"""The web UIs: how long their pages and the editor's publishing take.

Issue 6 names no speed target; these are the figures to keep an eye on, each against
a baseline in the same run (the KB article page, the cheapest page there is):

- publish: an edited article through the workflow API (save, submit, publish) until
  the search finds the new text, against saving a draft alone;
- the agent console's queue with many open tickets (each with its SLA computed);
- /admin/insights over many conversations (gaps, deflection, escalation, SLA);
- a sign-in (scrypt) and a signed-in page view (session lookup).

Run: .venv/bin/python benchmarks/web_bench.py [--rounds 15] [--tickets 2000]
     [--conversations 5000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.accounts import add_user  # noqa: E402
from bot.app import build_assistant  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.models import ConversationRow, EventRow, MessageRow, TicketRow  # noqa: E402
from connectors.web import create_app  # noqa: E402

EDITOR = {"Authorization": "Bearer bench-token"}


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def line(name: str, millis: list[float], baseline: list[float] | None = None) -> str:
    median = statistics.median(millis)
    text = f"{name}: median {median:.1f} ms, max {max(millis):.1f} ms ({len(millis)} runs)"
    if baseline:
        text += f", {median / statistics.median(baseline):.1f}x the article page"
    return text


def fill(assistant: Any, tickets: int, conversations: int) -> None:
    """Open tickets and finished conversations, written straight into the store."""
    now = datetime.now(UTC)
    with assistant.store.transaction() as tx:
        session = tx.session
        for n in range(conversations):
            cid = uuid.uuid4().hex
            at = now - timedelta(minutes=n % 10_000)
            session.add(
                ConversationRow(
                    id=cid,
                    channel="widget",
                    user_id=f"u{n}",
                    state={},
                    message_count=2,
                    created_at=at,
                    updated_at=at,
                )
            )
            text = f"how do I configure widget number {n % 50} on the quux {n % 7}"
            session.add(
                MessageRow(
                    conversation_id=cid,
                    seq=1,
                    sender="user",
                    kind="text",
                    text=text,
                    intent="ask_howto",
                    confidence=0.9,
                    created_at=at,
                )
            )
            if n % 3 == 0:
                session.add(
                    EventRow(
                        conversation_id=cid,
                        type="fallback",
                        data={"text": text, "reason": "no_article"},
                        created_at=at,
                    )
                )
            if n % 2 == 0 and n // 2 < tickets:
                session.add(
                    TicketRow(
                        conversation_id=cid,
                        channel="widget",
                        user_id=f"u{n}",
                        subject=text[:200],
                        status="new",
                        priority=f"P{1 + n % 4}",
                        tier=1 + n % 3,
                        created_at=at,
                        updated_at=at,
                    )
                )
        extra = max(0, tickets - conversations // 2)
        for n in range(extra):
            at = now - timedelta(minutes=n)
            session.add(TicketRow(channel="api", user_id=f"x{n}", subject=f"ticket {n}",
                                  status="open", priority="P3", tier=1, created_at=at,
                                  updated_at=at))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--conversations", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        kb_dir = Path(temp) / "kb"
        shutil.copytree(ROOT / "kb_articles", kb_dir)
        settings = Settings(data_dir=Path(temp) / "data", kb_dir=kb_dir,
                            editor_api_token="bench-token", sla_check_interval=0)  # fmt: skip
        assistant = build_assistant(settings)
        with assistant.store.transaction() as tx:
            add_user(tx.session, "admin", "bench-password-1", "admin")
        fill(assistant, args.tickets, args.conversations)
        app = create_app(assistant=assistant)
        client = app.test_client()
        print(f"{args.tickets} open tickets, {args.conversations} conversations")

        article = [timed(lambda: client.get("/kb/install-windows")) for _ in range(args.rounds)]
        print(line("KB article page (baseline)", article))

        def sign_in_once() -> float:
            fresh = app.test_client()
            page = fresh.get("/admin/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token is not None
            form = {
                "username": "admin",
                "password": "bench-password-1",
                "csrf_token": token.group(1),
            }
            started = time.perf_counter()
            assert fresh.post("/admin/login", data=form).status_code == 302
            return (time.perf_counter() - started) * 1000

        sign_in = [sign_in_once() for _ in range(5)]
        print(line("sign-in (scrypt)", sign_in, article))
        page = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        client.post("/admin/login", data={"username": "admin", "password": "bench-password-1",
                                          "csrf_token": token.group(1)})  # fmt: skip
        articles = [timed(lambda: client.get("/admin/articles")) for _ in range(args.rounds)]
        print(line("/admin/articles, signed in", articles, article))

        queue = [timed(lambda: client.get("/agent")) for _ in range(max(3, args.rounds // 3))]
        print(line(f"/agent queue ({args.tickets} open tickets)", queue, article))
        insights = [timed(lambda: client.get("/admin/insights?days=30")) for _ in range(3)]
        print(line(f"/admin/insights ({args.conversations} conversations)", insights, article))

        drafts, publishes = [], []
        for n in range(args.rounds):
            body = {"fields": {"title": f"Bench article {n}", "category": "howto",
                               "questions": [f"how do I calibrate gizmo {n}"]},
                    "body": f"Turn the gizmo-{n} dial to {n}."}  # fmt: skip
            started = time.perf_counter()
            created = client.post("/api/v1/articles", json=body, headers=EDITOR)
            drafts.append((time.perf_counter() - started) * 1000)
            article_id = created.get_json()["article"]["id"]
            client.post(f"/api/v1/articles/{article_id}/submit", headers=EDITOR)
            client.post(f"/api/v1/articles/{article_id}/publish", headers=EDITOR)
            hits = assistant.kb.search(f"how do I calibrate gizmo {n}")
            publishes.append((time.perf_counter() - started) * 1000)
            assert hits and hits[0].article_id == article_id, (article_id, hits[:1])
        print(line("save a draft (API)", drafts, article))
        print(line("draft → review → published → found by search", publishes, article))
        assistant.close()


if __name__ == "__main__":
    main()
