"""The part every fake helpdesk shares: a real HTTP server on 127.0.0.1 in a thread.

The adapters are tested over real sockets, through the same urllib client as in
production, so the contract covers headers, status codes, bodies and dropped
connections. Each fake checks the Authorization header (401 otherwise), records
every request, can be switched "down" (503), "throttle" (429 with Retry-After),
"drop" (the connection closes without an answer) or "lose_reply" (the request is
carried out, then the connection closes: the client cannot know it worked), and
answers the rest from a subclass's `route`, which runs under one lock so the
in-memory state stays consistent.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("up", "down", "throttle", "drop", "lose_reply")
INVALID_JSON = object()  # the body of a request whose JSON did not parse


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it, for assertions."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, INVALID_JSON, or None when empty


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # dict or list: JSON; str: plain text; None: empty
    headers: dict[str, str] = field(default_factory=dict)


class FakeHttpServer:
    """Start with `with Fake(...) as fake:`; `fake.url` is its base URL."""

    def __init__(self, authorization: str) -> None:
        self.authorization = authorization  # the one accepted Authorization header
        self.mode = "up"
        self.retry_after = 7  # seconds, in throttle mode
        self.requests: list[Recorded] = []
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def answer(self, request: Recorded) -> Reply | None:
        """The reply to one request, or None to drop the connection."""
        with self.lock:
            self.requests.append(request)
            if self.mode == "drop":
                return None
            if self.mode == "down":
                return self.unavailable()
            if self.mode == "throttle":
                return self.throttled()
            if request.headers.get("authorization") != self.authorization:
                return self.unauthorised()
            reply = self.route(request)
            return None if self.mode == "lose_reply" else reply

    # What a subclass provides: the API's own answers.

    def route(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def unauthorised(self) -> Reply:
        return Reply(401, "Unauthorized")

    def unavailable(self) -> Reply:
        return Reply(503, "Service Unavailable")

    def throttled(self) -> Reply:
        return Reply(429, "Too Many Requests", {"Retry-After": str(self.retry_after)})


def _handler(fake: FakeHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:  # quiet tests
            pass

        def _serve(self) -> None:
            reply = fake.answer(self._recorded())
            if reply is None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._send(reply)

        def _recorded(self) -> Recorded:
            split = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: Any = None
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = INVALID_JSON
            return Recorded(
                method=self.command,
                path=split.path,
                query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )

        def _send(self, reply: Reply) -> None:
            if reply.body is None:
                payload, kind = b"", "text/plain"
            elif isinstance(reply.body, str):
                payload, kind = reply.body.encode(), "text/plain; charset=utf-8"
            else:
                payload, kind = json.dumps(reply.body).encode(), "application/json"
            self.send_response(reply.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
