"""Every conversation script in tests/conversations, against the engine on SQLite and
PostgreSQL, and through the HTTP API."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.scripts import Script, load_scripts, run_script
from tests.drivers import engine_driver, flask_driver

SCRIPT_DIR = Path(__file__).resolve().parents[1] / "conversations"
SCRIPTS = [script for path in sorted(SCRIPT_DIR.glob("*.yml")) for script in load_scripts(path)]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_script_against_engine(script: Script, any_db_assistant) -> None:  # type: ignore[no-untyped-def]
    run_script(script, engine_driver(any_db_assistant.engine))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_script_through_http_api(script: Script, client) -> None:  # type: ignore[no-untyped-def]
    run_script(script, flask_driver(client))
