"""End to end over real HTTP against real `tier0 serve` processes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.kb.generations import read_manifest
from bot.scripts import load_scripts, run_script
from tests.conftest import ROOT
from tests.drivers import http_driver, http_json, open_ticket
from tests.e2e.conftest import Server, start_server

pytestmark = pytest.mark.slow
ACCEPTANCE = load_scripts(ROOT / "tests" / "conversations" / "acceptance.yml")[0]


def test_cold_start_is_healthy_within_ten_seconds(tmp_path: Path, servers: list[Server]) -> None:
    """An empty data dir: the server migrates, indexes and trains before /healthz is 200."""
    data_dir = tmp_path / "fresh"
    server = start_server(data_dir, f"sqlite:///{data_dir / 'tier0.db'}", tmp_path)
    servers.append(server)
    assert server.started_in < 10.0, f"healthy after {server.started_in:.1f}s"
    assert read_manifest(data_dir / "index") is not None
    status, health = http_json("GET", f"{server.url}/healthz")
    assert status == 200 and health["status"] == "ok" and health["articles"] >= 30


def test_acceptance_script_over_http_and_ticket_record(
    tmp_path: Path, prepared_dir: Path, database_url: str, servers: list[Server]
) -> None:
    server = start_server(prepared_dir, database_url, tmp_path)
    servers.append(server)
    conversation_id, send = http_driver(server.url)
    transcript = run_script(ACCEPTANCE, send)
    ticket_id = transcript.variables["ticket_id"]

    status, ticket = http_json("GET", f"{server.url}/api/v1/tickets/{ticket_id}")
    assert status == 200
    assert ticket["status"] == "new" and ticket["conversation_id"] == conversation_id
    user_lines = [m["text"] for m in ticket["transcript"] if m["sender"] == "user"]
    assert "How do I install Tier0 on Windows?" in user_lines
    assert "The tier0 server won't start" in user_lines
    assert ticket["steps_tried"], "the ticket records the guided-fix steps"
    assert all(step["outcome"] == "not_fixed" for step in ticket["steps_tried"])
    assert [s["step"] for s in ticket["steps_tried"]] == list(
        range(1, len(ticket["steps_tried"]) + 1)
    )
    shown = {a["article_id"]: a["feedback"] for a in ticket["articles"]}
    assert shown["install-windows"] == "helpful"
    assert "troubleshoot-server-wont-start" in shown
    assert ticket["subject"] == "The tier0 server won't start"


def _step_number(replies: list[dict]) -> int:
    for reply in replies:
        if reply["type"] == "text" and reply["text"].startswith("Step "):
            return int(reply["text"].split()[1])
    raise AssertionError(f"no step in {replies}")


def test_sigkill_mid_conversation_loses_nothing(
    tmp_path: Path, prepared_dir: Path, database_url: str, servers: list[Server]
) -> None:
    server = start_server(prepared_dir, database_url, tmp_path)
    servers.append(server)
    _, first = http_driver(server.url)
    first({"text": "I need to talk to a human"})
    replies = first({"text": "the export button does nothing"})
    ticket_id = open_ticket(first, replies)["ticket_id"]

    conversation_id, send = http_driver(server.url)
    assert _step_number(send({"text": "The tier0 server won't start"})) == 1
    assert _step_number(send({"choice": "no"})) == 2
    server.kill()

    restarted = start_server(prepared_dir, database_url, tmp_path)
    servers.append(restarted)
    url = f"{restarted.url}/api/v1/conversations/{conversation_id}/messages"
    status, body = http_json("POST", url, {"choice": "no"})
    assert status == 200, body
    assert _step_number(body["replies"]) == 3, "the fix continues at the next step"
    status, ticket = http_json("GET", f"{restarted.url}/api/v1/tickets/{ticket_id}")
    assert status == 200 and ticket["subject"] == "the export button does nothing"
    status, conversation = http_json(
        "GET", f"{restarted.url}/api/v1/conversations/{conversation_id}"
    )
    assert [m["seq"] for m in conversation["messages"]] == list(
        range(1, len(conversation["messages"]) + 1)
    )


def test_two_servers_on_postgresql_share_one_conversation(
    tmp_path: Path, prepared_dir: Path, pg_database: str | None, servers: list[Server]
) -> None:
    if pg_database is None:
        pytest.skip("no PostgreSQL server answers")
    from tests.conftest import reset_postgres

    reset_postgres(pg_database)
    second_dir = tmp_path / "second"
    shutil.copytree(prepared_dir, second_dir)  # each host keeps its own index and model
    first = start_server(prepared_dir, pg_database, tmp_path)
    second = start_server(second_dir, pg_database, tmp_path)
    servers.extend([first, second])

    status, created = http_json("POST", f"{first.url}/api/v1/conversations")
    conversation_id = created["id"]
    messages = [
        {"text": "hello"},
        {"text": "The tier0 server won't start"},
        {"choice": "no"},
        {"choice": "no"},
        {"text": "what can you do"},
        {"text": "how do I back up tier0"},
        {"choice": "yes"},
        {"text": "thanks"},
    ]
    expected_user_turns = []
    for number, message in enumerate(messages):
        server = (first, second)[number % 2]
        url = f"{server.url}/api/v1/conversations/{conversation_id}/messages"
        status, body = http_json("POST", url, message)
        assert status == 200, (server.url, message, body)
        expected_user_turns.append(message)

    status, transcript = http_json("GET", f"{second.url}/api/v1/conversations/{conversation_id}")
    entries = transcript["messages"]
    assert [m["seq"] for m in entries] == list(range(1, len(entries) + 1))
    user_entries = [m for m in entries if m["sender"] == "user"]
    assert len(user_entries) == len(messages)
    for entry, message in zip(user_entries, messages, strict=True):
        if "text" in message:
            assert entry["text"] == message["text"]
        else:
            assert entry["choice"] == message["choice"]
