"""Edge cases of the SLA, routing and handoff found in review: each failed before.

Unreachable or huge targets, config types TOML allows, a queue name longer than its
column, negated answers, typed button labels, a status question or a "no" in the
middle of preparing a ticket, and a ticket id in superscript digits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_assistant
from bot.handlers.handoff import TYPED_LEVELS
from bot.settings import SettingsError, load_settings
from bot.sla import SlaConfigError, parse_sla
from bot.sla.scheduler import check_slas
from bot.store import Store
from tests.drivers import engine_driver

BERLIN = ZoneInfo("Europe/Berlin")
OPENED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALWAYS = parse_sla(
    {
        "policies": {
            "P2": {"first_response": "2h", "resolution": "8h", "calendar": "24x7", "escalate_to": 2}
        }
    }
)


def _ticket(store: Store, **fields) -> int:
    base = dict(
        channel="web",
        user_id="u",
        subject="s",
        status="new",
        priority="P2",
        tier=1,
        created_at=OPENED,
        updated_at=OPENED,
    )
    with store.transaction() as tx:
        return int(tx.add_ticket(**(base | fields)).id)


# --- scheduler -------------------------------------------------------------------


def test_escalation_does_not_fake_a_late_first_response(database_url: str) -> None:
    """An 'open' ticket answered 30 min in (well within 2 h) breaches its resolution;
    the escalation bumps updated_at, which ticket_sla reads as the first-response time,
    so the next round records a bogus first_response_breached."""
    store = Store.from_url(database_url)
    _ticket(store, status="open", updated_at=OPENED + timedelta(minutes=30))
    first = check_slas(store, ALWAYS, OPENED + timedelta(hours=9))
    assert [(n.kind, n.escalated_to) for n in first] == [("resolution_breached", 2)]
    again = check_slas(store, ALWAYS, OPENED + timedelta(hours=9, minutes=1))
    store.close()
    assert again == [], f"spurious: {again}"


def test_one_unreachable_target_does_not_stop_every_check(database_url: str) -> None:
    """A target the calendar never reaches (7000 h of office hours: over three years)
    must not keep the scheduler from recording the other tickets' breaches."""
    policies = parse_sla(None)
    targets = dict(policies.targets)  # a target refused at start-up, slipped in anyway
    targets["P4"] = replace(targets["P4"], resolution=timedelta(hours=7000))
    policies = replace(policies, targets=targets)
    store = Store.from_url(database_url)
    _ticket(store, priority="P4")
    p2 = _ticket(store, priority="P2")
    try:
        notices = check_slas(store, policies, OPENED + timedelta(days=3))
    finally:
        store.close()
    assert p2 in {n.ticket_id for n in notices}


def test_unreachable_target_is_refused_at_config_time() -> None:
    with pytest.raises(SlaConfigError):  # at startup, not a CalendarError per request
        parse_sla({"policies": {"P4": {"first_response": "16h", "resolution": "7000h"}}})


# --- config validation -----------------------------------------------------------


@pytest.mark.parametrize(
    "toml",
    [
        'sla.calendars = ["office"]\n',  # AttributeError: 'list' object has no attribute 'items'
        '[sla.policies.P2]\nfirst_response = "1h"\nresolution = "99999999999h"\n',  # OverflowError
    ],
)
def test_config_mistakes_are_settings_errors(tmp_path: Path, toml: str) -> None:
    path = tmp_path / "tier0.toml"
    path.write_text(toml)
    with pytest.raises(SettingsError):
        load_settings(path, environ={})


def test_toml_datetime_holiday_is_honoured_or_refused(tmp_path: Path) -> None:
    path = tmp_path / "tier0.toml"
    path.write_text('[sla.calendars.c]\ntimezone = "UTC"\nholidays = [2026-12-25T00:00:00]\n')
    try:
        cal = load_settings(path, environ={}).sla.calendars["c"]
    except SettingsError:
        return  # refusing it is fine too
    assert date(2026, 12, 25) in cal.holidays, f"silently ignored: {cal.holidays}"


def test_queue_longer_than_the_column_is_refused(tmp_path: Path) -> None:
    """queue is String(64); on PostgreSQL a longer name fails the INSERT at 'Send it'."""
    path = tmp_path / "tier0.toml"
    path.write_text('[[tickets.routes]]\npriority = "P1"\ntier = 2\nqueue = "' + "q" * 65 + '"\n')
    with pytest.raises(SettingsError):
        load_settings(path, environ={})


# --- handoff dialogue ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "level"),
    [
        ("urgency", "it's not urgent", "low"),
        ("urgency", "not critical", "low"),
        ("impact", "nobody else, just me", "low"),
        ("impact", "not everyone, only me", "low"),
    ],
)
def test_typed_levels_respect_negation(name: str, text: str, level: str) -> None:
    found = next((lvl for lvl, pattern in TYPED_LEVELS[name] if pattern.search(text)), None)
    assert found == level


def _to_confirm(send) -> None:
    send({"text": "talk to a human"})
    send({"text": "the export button does nothing"})
    send({"choice": "handoff:impact:low"})
    replies = send({"choice": "handoff:urgency:medium"})
    assert replies[-1]["choices"][0]["id"] == "handoff:send"


@pytest.mark.parametrize("typed", ["Send it", "send it", "Cancel", "Change the summary"])
def test_typed_confirm_labels_are_not_taken_as_the_summary(assistant, typed: str) -> None:
    send = engine_driver(assistant.engine)
    _to_confirm(send)
    replies = send({"text": typed})
    assert f"\u201c{typed}\u201d" not in replies[-1]["text"], replies[-1]["text"]


def test_ticket_status_question_does_not_drop_the_pending_ticket(assistant) -> None:
    """'When will someone answer?' at 'Shall I send it?' is answered, and the question
    stays: a 'yes' after it sends the ticket."""
    send = engine_driver(assistant.engine)
    _to_confirm(send)
    send({"text": "when will someone answer?"})
    replies = send({"text": "yes"})
    assert any(r["type"] == "ticket" for r in replies), replies


def test_insisting_on_a_human_at_the_summary_step_gets_somewhere(assistant) -> None:
    send = engine_driver(assistant.engine)
    texts = [
        send({"text": t})[-1]["text"]
        for t in ("talk to a human", "just get me a human", "I want a real person")
    ]
    assert len(set(texts)) > 1, f"the same question three times: {texts[0]!r}"


def test_no_at_the_summary_step_is_not_the_summary(assistant) -> None:
    send = engine_driver(assistant.engine)
    send({"text": "talk to a human"})
    replies = send({"text": "no"})
    assert not any(r["type"] == "choices" and "Who is affected" in r["text"] for r in replies)


# --- HTTP API --------------------------------------------------------------------


def test_ticket_api_and_chat_status_do_not_500_on_long_targets(settings, tmp_path) -> None:
    from connectors.web import create_app

    sla = parse_sla(None)
    targets = dict(sla.targets)
    targets["P3"] = replace(targets["P3"], resolution=timedelta(hours=7000))
    built = build_assistant(replace(settings, sla=replace(sla, targets=targets)))
    try:
        app = create_app(assistant=built)
        client = app.test_client()
        cid = client.post("/api/v1/conversations").get_json()["id"]

        def post(body: dict[str, str]) -> Any:
            return client.post(f"/api/v1/conversations/{cid}/messages", json=body)

        post({"text": "talk to a human"})
        post({"text": "the export button does nothing"})
        post({"choice": "handoff:impact:low"})
        post({"choice": "handoff:urgency:high"})  # low x high = P3
        sent = post({"choice": "handoff:send"}).get_json()
        ticket_id = next(r for r in sent["replies"] if r["type"] == "ticket")["ticket_id"]
        assert client.get(f"/api/v1/tickets/{ticket_id}").status_code == 200
        assert post({"text": "my tickets"}).status_code == 200
    finally:
        built.close()


def test_a_long_queue_name_is_refused_before_it_reaches_the_database(
    settings, database_url: str
) -> None:
    from bot.routing import RoutingConfigError, parse_routing

    with pytest.raises(RoutingConfigError, match="1 to 64 characters"):
        parse_routing({"routes": [{"priority": "P3", "tier": 1, "queue": "q" * 65}]})
    routing = parse_routing({"routes": [{"priority": "P3", "tier": 1, "queue": "q" * 64}]})
    built = build_assistant(replace(settings, database_url=database_url, tickets=routing))
    try:
        send = engine_driver(built.engine)
        send({"text": "talk to a human"})
        send({"text": "the export button does nothing"})
        send({"choice": "handoff:impact:low"})
        send({"choice": "handoff:urgency:high"})
        ticket = next(r for r in send({"choice": "handoff:send"}) if r["type"] == "ticket")
        assert built.engine.ticket(ticket["ticket_id"]).queue == "q" * 64
    finally:
        built.close()


def test_superscript_ticket_id_is_404_not_500(client) -> None:
    """'²'.isdigit() is True, but int('²') raises."""
    assert client.get("/api/v1/tickets/%C2%B2").status_code == 404
