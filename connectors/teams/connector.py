"""Sending to Teams: the Bot Connector REST API at the activity's `serviceUrl`, with a
client-credentials token from Microsoft Entra ID.

`POST {serviceUrl}/v3/conversations/{conversationId}/activities` (a proactive
message) or `.../activities/{replyToId}` (a reply), `Authorization: Bearer <token>`
where the token comes from `TIER0_TEAMS_TOKEN_URL` (the bot's app id and password,
scope `https://api.botframework.com/.default`) and is reused until shortly before
it expires. Only `serviceUrl`s a verified activity named are ever written to, so a
forged activity cannot send the bot's token elsewhere.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

SCOPE = "https://api.botframework.com/.default"
REFRESH_MARGIN = 300.0  # seconds before expiry a token is replaced
TIMEOUT = 10.0


class TeamsSendError(Exception):
    """The Bot Connector or the token endpoint refused or did not answer; the
    message says which and the status, never the token or the password. `status` is
    the HTTP status, None when nothing answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TeamsCredentials:
    app_id: str
    app_password: str
    token_url: str


class ConnectorClient:
    def __init__(self, credentials: TeamsCredentials) -> None:
        self._credentials = credentials
        self._token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._lock = threading.Lock()

    def send(
        self, service_url: str, conversation_id: str, activity: dict[str, Any],
        reply_to: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Post one activity to a conversation (as a reply to `reply_to` if given)."""
        path = f"v3/conversations/{urllib.parse.quote(conversation_id, safe='')}/activities"
        if reply_to:
            path += f"/{urllib.parse.quote(reply_to, safe='')}"
        url = service_url.rstrip("/") + "/" + path
        body = json.dumps(activity).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self._bearer()}"}
        request = urllib.request.Request(url, body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                text = response.read().decode() or "{}"
        except urllib.error.HTTPError as error:
            if error.code == 401:
                self._token = None  # a revoked token: fetch another next time
            raise TeamsSendError(
                f"the Bot Connector answered {error.code} for {path}", error.code
            ) from None
        except OSError as error:
            raise TeamsSendError(f"the Bot Connector is unreachable: {error}") from None
        parsed = json.loads(text)
        return parsed if isinstance(parsed, dict) else {}

    def member(self, service_url: str, conversation_id: str, member_id: str) -> dict[str, Any]:
        """A conversation member's profile (name, email, userPrincipalName), as Teams
        gives it to the bot (`GET .../members/{id}`)."""
        path = (
            f"v3/conversations/{urllib.parse.quote(conversation_id, safe='')}"
            f"/members/{urllib.parse.quote(member_id, safe='')}"
        )
        url = service_url.rstrip("/") + "/" + path
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self._bearer()}"}
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                found = json.load(response)
        except urllib.error.HTTPError as error:
            raise TeamsSendError(
                f"the Bot Connector answered {error.code} for {path}", error.code
            ) from None
        except (OSError, ValueError) as error:
            raise TeamsSendError(f"the Bot Connector is unreachable: {error}") from None
        return found if isinstance(found, dict) else {}

    def _bearer(self) -> str:
        with self._lock:
            if self._token is not None and self._token[1] > time.monotonic():
                return self._token[0]
            token, lifetime = self._fetch_token()
            self._token = (token, time.monotonic() + max(0.0, lifetime - REFRESH_MARGIN))
            return token

    def _fetch_token(self) -> tuple[str, float]:
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self._credentials.app_id,
                "client_secret": self._credentials.app_password,
                "scope": SCOPE,
            }
        ).encode()
        request = urllib.request.Request(
            self._credentials.token_url, form,
            {"Content-Type": "application/x-www-form-urlencoded"}, method="POST",
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            raise TeamsSendError(f"the token endpoint answered {error.code}") from None
        except (OSError, ValueError) as error:
            raise TeamsSendError(f"the token endpoint failed: {error}") from None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise TeamsSendError("the token endpoint gave no access_token")
        return token, float(answer.get("expires_in", 3600))
