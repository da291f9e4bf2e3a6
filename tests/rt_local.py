"""Where the local Request Tracker started by `.ci/rt.sh` is, and whether it answers.

RT_URL (default http://127.0.0.1:$RT_PORT, port 8081) and RT_TOKEN_FILE (default
/tmp/tier0-rt/token) say where it is.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.helpdesk import TicketSystemRejected, TicketSystemUnavailable
from connectors.helpdesks.http import JsonClient

RT_URL = os.environ.get("RT_URL", f"http://127.0.0.1:{os.environ.get('RT_PORT', '8081')}")
TOKEN_FILE = Path(os.environ.get("RT_TOKEN_FILE", "/tmp/tier0-rt/token"))
QUEUE = "Tier0"
KEY_FIELD = "Tier0 Key"


def rt_unreachable() -> str | None:
    """Why the local RT cannot be used, or None when it answers with the token."""
    if not TOKEN_FILE.is_file() or not TOKEN_FILE.read_text().strip():
        return f"no RT token in {TOKEN_FILE}"
    client = JsonClient(RT_URL + "/REST/2.0", auth(TOKEN_FILE.read_text().strip()), 5)
    try:
        client.request("GET", "/queues/all")
    except (TicketSystemUnavailable, TicketSystemRejected) as error:
        return f"RT at {RT_URL} does not answer: {error}"
    return None


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def rt_token() -> str:
    """The token, or skip (fail under CI, which runs .ci/rt.sh first)."""
    reason = rt_unreachable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI runs .ci/rt.sh before the tests)", pytrace=False)
        pytest.skip(f"{reason}; start one with `sudo bash .ci/rt.sh`")
    return TOKEN_FILE.read_text().strip()
