"""`tier0 chat` driven as a real subprocess: the acceptance script in JSON mode, and the
human mode's numbered choices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.scripts import load_scripts, run_script
from tests.conftest import KB_DIR, ROOT

pytestmark = pytest.mark.slow
ACCEPTANCE = load_scripts(ROOT / "tests" / "conversations" / "acceptance.yml")[0]


def chat_process(data_dir: Path, database_url: str, *extra: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "connectors.cli",
        "chat",
        "--data-dir",
        str(data_dir),
        "--kb",
        str(KB_DIR),
        *extra,
    ]
    env = {**os.environ, "TIER0_DATABASE_URL": database_url, "TIER0_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_acceptance_script_through_tier0_chat(prepared_dir: Path, tmp_path: Path) -> None:
    process = chat_process(prepared_dir, f"sqlite:///{tmp_path / 'chat.db'}", "--json")
    assert process.stdin and process.stdout
    header = json.loads(process.stdout.readline())
    assert header["conversation_id"]

    def send(message: dict[str, str]) -> list[dict[str, Any]]:
        line = message["text"] if "text" in message else f"/choice {message['choice']}"
        process.stdin.write(line + "\n")
        process.stdin.flush()
        answer = json.loads(process.stdout.readline())
        assert "replies" in answer, answer
        return answer["replies"]

    try:
        transcript = run_script(ACCEPTANCE, send)
    finally:
        process.stdin.close()
        process.wait(timeout=30)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert transcript.variables["ticket_id"]


def test_human_mode_numbers_pick_choices(prepared_dir: Path, tmp_path: Path) -> None:
    process = chat_process(prepared_dir, f"sqlite:///{tmp_path / 'chat.db'}")
    lines = "How do I install Tier0 on Windows?\n1\n/quit\n"
    output, errors = process.communicate(lines, timeout=60)
    assert process.returncode == 0, errors
    assert "[article] " in output and "/kb/install-windows" in output
    assert "  1. Yes, thanks" in output and "  2. Not really" in output
    assert "Glad it helped" in output
    assert "Traceback" not in output + errors
