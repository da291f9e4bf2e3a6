"""A local stand-in for the Bot Framework's OpenID metadata and signing keys: a real
HTTP server on 127.0.0.1 publishing a test RSA key, and a helper that signs tokens
with it the way the Bot Connector service does."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.teams.local_server import LocalJsonServer

APP_ID = "00000000-aaaa-bbbb-cccc-000000000001"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class BotKey:
    def __init__(self, kid: str, endorsements: list[str] | None = None) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.endorsements = endorsements

    def jwk(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        key = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
        }
        if self.endorsements is not None:
            key["endorsements"] = self.endorsements
        return key

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://api.botframework.com",
            "aud": APP_ID,
            "exp": now + 3600,
            "nbf": now - 60,
            "serviceurl": SERVICE_URL,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


class JwksServer:
    """Serves /openid (whose jwks_uri is /keys) and /keys; counts key downloads."""

    def __init__(self, keys: list[BotKey]) -> None:
        self.keys = keys
        self.downloads = 0
        self._server = LocalJsonServer(self._route)
        self.url = self._server.url

    def _route(self, method: str, path: str, body: str, auth: str) -> tuple[int, Any]:
        if path == "/openid":
            return 200, {"issuer": "https://api.botframework.com", "jwks_uri": f"{self.url}/keys"}
        if path == "/keys":
            self.downloads += 1
            return 200, {"keys": [key.jwk() for key in self.keys]}
        return 404, {"error": "not found"}

    def __enter__(self) -> JwksServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/openid"
