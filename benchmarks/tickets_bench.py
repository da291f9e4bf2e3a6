"""Guided fixes, handoff and the helpdesk outbox: per-turn latency and throughput.

Issue 5 names no speed target; these are the figures to keep an eye on, each against
its baseline in the same run:

- a guided-fix turn (branching, with a check and a collect step) against a plain
  article answer;
- the ticket-creating turn with an outbox entry (external helpdesk configured)
  against the embedded helpdesk alone;
- outbox delivery to a local Zendesk-protocol server, tickets per second, and the
  same to the real Request Tracker when .ci/rt.sh has started one;
- one SLA check over many open tickets (their history loaded with them).

Run: .venv/bin/python benchmarks/tickets_bench.py [--rounds 30] [--tickets 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import Assistant, build_assistant  # noqa: E402
from bot.outbox import HelpdeskSync  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.sla.scheduler import check_slas  # noqa: E402
from bot.tickets import EmbeddedTicketSystem, TicketDraft  # noqa: E402
from connectors.helpdesks.rt import RequestTracker  # noqa: E402
from connectors.helpdesks.zendesk import Zendesk  # noqa: E402
from tests.drivers import engine_driver, open_ticket  # noqa: E402
from tests.fakes.zendesk_server import FakeZendesk  # noqa: E402
from tests.rt_local import KEY_FIELD, QUEUE, RT_URL, TOKEN_FILE, rt_unreachable  # noqa: E402


def soon() -> datetime:
    """The outbox's clock a minute ahead: every ticket just created is due."""
    return datetime.now(UTC) + timedelta(minutes=1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def figures(name: str, millis: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(millis):.2f} ms, p99 {percentile(millis, 0.99):.2f} ms "
        f"({len(millis)} turns)"
    )


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def turn_latencies(assistant: Assistant, rounds: int) -> tuple[list[float], list[float]]:
    """(guided-fix turns, article-answer turns), interleaved so noise hits both."""
    fix, article = [], []
    for number in range(rounds):
        send = engine_driver(assistant.engine, user=f"fix-{number}")
        send({"text": "tier0 cannot connect to the postgres database"})
        fix.append(timed(lambda send=send: send({"choice": "fix:1"})))  # the check
        fix.append(timed(lambda send=send: send({"choice": "no"})))  # an action
        other = engine_driver(assistant.engine, user=f"faq-{number}")
        article.append(timed(lambda other=other: other({"text": "how do I back up tier0"})))
        article.append(timed(lambda other=other: other({"choice": "yes"})))
    return fix, article


def ticket_turns(assistant: Assistant, rounds: int) -> list[float]:
    """The turn that sends the ticket ("Send it")."""
    latencies = []
    for number in range(rounds):
        send = engine_driver(assistant.engine, user=f"ticket-{number}")
        send({"text": "I need to talk to a human"})
        replies = send({"text": f"the badge reader {number} is offline"})
        for choice in ("handoff:impact:medium", "handoff:urgency:medium"):
            if any(c["id"] == choice for r in replies for c in r.get("choices", [])):
                replies = send({"choice": choice})
        latencies.append(timed(lambda send=send, replies=replies: open_ticket(send, replies)))
    return latencies


def deliver_all(sync: HelpdeskSync) -> tuple[int, float]:
    started = time.perf_counter()
    delivered = 0
    while True:
        report = sync.deliver_due(limit=100)
        delivered += len(report.delivered)
        if not report.delivered and not report.failed:
            break
    return delivered, time.perf_counter() - started


def settings_in(directory: Path) -> Settings:
    return Settings(
        data_dir=directory,
        kb_dir=ROOT / "kb_articles",
        database_url=f"sqlite:///{directory / 'tier0.db'}",
        public_url="http://tier0.bench",
    )


def run(rounds: int, tickets: int, workdir: Path) -> None:
    base = settings_in(workdir / "embedded")
    embedded = build_assistant(base)
    try:
        fix, article = turn_latencies(embedded, rounds)
        print(figures("guided-fix turn", fix))
        print(figures("article-answer turn (baseline)", article))
        print(f"  ratio of medians: {statistics.median(fix) / statistics.median(article):.2f}")
        plain = ticket_turns(embedded, rounds)
    finally:
        embedded.close()

    with FakeZendesk() as server:
        system = Zendesk(server.url, "agent@example.com", "zd-token")
        outboxed = build_assistant(settings_in(workdir / "zendesk"), ticket_system=system)
        try:
            queued = ticket_turns(outboxed, rounds)
            print(figures("ticket turn, embedded helpdesk (baseline)", plain))
            print(figures("ticket turn with an outbox entry", queued))
            ratio = statistics.median(queued) / statistics.median(plain)
            print(f"  ratio of medians: {ratio:.2f}")
            for number in range(tickets - rounds):
                send = engine_driver(outboxed.engine, user=f"bulk-{number}")
                send({"text": "I need to talk to a human"})
                open_ticket(send, send({"text": f"printer {number} jams"}))
            sync = HelpdeskSync(outboxed.store, system, clock=soon)
            delivered, seconds = deliver_all(sync)
            print(
                f"outbox to a local Zendesk-protocol server: {delivered} tickets in "
                f"{seconds:.2f} s ({delivered / seconds:.0f} tickets/s)"
            )
            check_many_slas(outboxed)
        finally:
            outboxed.close()
    deliver_to_rt(workdir, min(tickets, 50))


def check_many_slas(assistant: Assistant, extra: int = 5000) -> None:
    """Open tickets made directly in the store, as many turns would have made them."""
    with assistant.store.transaction() as tx:
        tickets = EmbeddedTicketSystem(tx)
        for number in range(extra):
            tickets.create(TicketDraft("api", f"load-{number}", f"load ticket {number}"))
    with assistant.store.transaction() as tx:
        count = len(tx.open_tickets(limit=100_000))
    policies = assistant.settings.sla
    runs = [
        timed(lambda: check_slas(assistant.store, policies, datetime.now(UTC))) for _ in range(5)
    ]
    print(f"SLA check over {count} open tickets: median {statistics.median(runs):.1f} ms")


def deliver_to_rt(workdir: Path, tickets: int) -> None:
    reason = rt_unreachable()
    if reason:
        print(f"Request Tracker: skipped ({reason})")
        return
    token = TOKEN_FILE.read_text().strip()
    system = RequestTracker(RT_URL, token, queue=QUEUE, key_field=KEY_FIELD)
    assistant = build_assistant(settings_in(workdir / "rt"), ticket_system=system)
    try:
        for number in range(tickets):
            send = engine_driver(assistant.engine, user=f"rt-{number}")
            send({"text": "I need to talk to a human"})
            open_ticket(send, send({"text": f"scanner {number} is offline"}))
        sync = HelpdeskSync(assistant.store, system, clock=soon)
        delivered, seconds = deliver_all(sync)
        print(
            f"outbox to the real Request Tracker: {delivered} tickets in {seconds:.2f} s "
            f"({delivered / seconds:.1f} tickets/s)"
        )
    finally:
        assistant.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--tickets", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        run(args.rounds, args.tickets, Path(workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
