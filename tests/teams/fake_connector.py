"""Local stand-ins for the two Microsoft endpoints a bot writes to: the Entra token
endpoint (client credentials) and a Bot Connector `serviceUrl`, on 127.0.0.1, which
record what they receive."""

from __future__ import annotations

import json
import threading
import urllib.parse
from typing import Any

from tests.teams.local_server import LocalJsonServer

APP_PASSWORD = "test-app-password"


class FakeMicrosoft:
    """POST /token issues `token-N` to the right client; POST
    /v3/conversations/{id}/activities[/{reply}] records the activity (401 without a
    token it issued)."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.tokens: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.activities: list[tuple[str, dict[str, Any], str]] = []  # (path, body, auth)
        self._lock = threading.Lock()
        self._server = LocalJsonServer(lambda method, path, raw, auth: self._route(path, raw, auth))
        self.url = self._server.url

    def _route(self, path: str, raw: str, auth: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if path == "/token":
                form = dict(urllib.parse.parse_qsl(raw))
                self.token_requests.append(form)
                if (
                    form.get("client_id") != self.app_id
                    or form.get("client_secret") != APP_PASSWORD
                ):
                    return 401, {"error": "invalid_client"}
                token = f"token-{len(self.tokens) + 1}"
                self.tokens.append(token)
                return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
            if "/members/" in path:
                if auth.removeprefix("Bearer ") not in self.tokens:
                    return 401, {"error": "unauthorized"}
                member = path.rsplit("/", 1)[-1]
                return 200, {"id": member, "name": "Dana", "email": "dana@example.com",
                             "userPrincipalName": "dana@example.com"}  # fmt: skip
            if path.startswith("/v3/conversations/"):
                if auth.removeprefix("Bearer ") not in self.tokens:
                    return 401, {"error": "unauthorized"}
                self.activities.append((path, json.loads(raw), auth))
                return 201, {"id": f"activity-{len(self.activities)}"}
            return 404, {"error": "no such endpoint"}

    def __enter__(self) -> FakeMicrosoft:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"
