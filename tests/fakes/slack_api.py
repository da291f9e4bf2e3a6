"""A fake Slack Web API on 127.0.0.1, after bolt-python's tests/mock_web_api_server:
it checks the bot token, records every call, and answers the few methods Tier0
uses (auth.test, users.info, chat.postMessage, chat.update) as Slack does."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakes.http_fake import FakeHttpServer, Recorded, Reply

BOT_USER = "UTIER0BOT"
TEAM = "T0TEAM"


class FakeSlackApi(FakeHttpServer):
    def __init__(self, token: str) -> None:
        super().__init__(f"Bearer {token}")
        self._ts = itertools.count(1)
        self.messages: list[dict[str, Any]] = []  # every chat.postMessage, with its ts

    def route(self, request: Recorded) -> Reply:
        method = request.path.rsplit("/", 1)[-1]
        body: dict[str, Any] = request.body if isinstance(request.body, dict) else {}
        if method == "auth.test":
            return ok(user_id=BOT_USER, bot_id="BTIER0", team_id=TEAM, user="tier0", team="Acme")
        if method == "users.info":
            user = (request.query.get("user") or [body.get("user", "")])[0]
            profile = {"display_name": "Pat", "real_name": "Pat Doe", "email": "pat@example.com"}
            return ok(user={"id": user, "profile": profile})
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            self.messages.append({"ts": ts, **body})
            return ok(channel=body.get("channel"), ts=ts, message={"ts": ts, **body})
        if method == "chat.update":
            return ok(channel=body.get("channel"), ts=body.get("ts"))
        return Reply(200, {"ok": False, "error": "unknown_method"})

    def posted(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.messages)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The JSON bodies of every call to `method`, in order."""
        return [r.body for r in self.requests_to("POST", f"/api/{method}")]

    def unauthorised(self) -> Reply:
        return Reply(200, {"ok": False, "error": "invalid_auth"})


def ok(**fields: Any) -> Reply:
    return Reply(200, {"ok": True, **fields})
