"""A small JSON-over-HTTP client for helpdesk APIs, on the standard library.

The helpdesk adapters need a handful of authenticated JSON calls with timeouts and a
clear split between "try again later" and "the server refused this": urllib does
that without another dependency. Errors never carry the credentials.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from bot.helpdesk import TicketSystemRejected, TicketSystemUnavailable

RETRYABLE = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
TIMEOUT = 10.0


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # parsed JSON, or None for an empty body
    headers: dict[str, str]


class JsonClient:
    """Calls under one base URL with fixed headers (authorisation among them)."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", **headers}
        self._timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        allow: tuple[int, ...] = (),
    ) -> Response:
        """Send one request; statuses in `allow` are returned rather than raised."""
        data = None if body is None else json.dumps(body).encode()
        all_headers = {**self._headers, **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                return Response(answer.status, _json(answer.read()), dict(answer.headers))
        except urllib.error.HTTPError as error:
            payload = _json(error.read())
            if error.code in allow:
                return Response(error.code, payload, dict(error.headers))
            message = f"{method} {path}: HTTP {error.code}"
            if error.code in RETRYABLE:
                delay = retry_after(dict(error.headers))
                after = f", retry after {delay:g} s" if delay is not None else ""
                raise TicketSystemUnavailable(message + after, delay) from None
            message += f": {_excerpt(payload)}"
            raise TicketSystemRejected(message) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TicketSystemUnavailable(f"{method} {path}: {reason}") from None
        except (ValueError, http.client.HTTPException) as error:
            # An unusable URL or header value; the message would quote it, and with it
            # a password or token: name the kind of problem only.
            raise TicketSystemRejected(
                f"{method} {path}: the helpdesk URL or credentials are malformed "
                f"({type(error).__name__})"
            ) from None


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _excerpt(payload: Any, limit: int = 300) -> str:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return text[:limit]


def retry_after(headers: dict[str, str], now: datetime | None = None) -> float | None:
    """The Retry-After header in seconds (delta-seconds or an HTTP date), if usable.

    Zendesk and Jira Cloud rate-limit per account and say when to come back; the
    outbox waits that long rather than its own guess.
    """
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
