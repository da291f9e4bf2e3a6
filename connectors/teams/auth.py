"""Verify that an activity really comes from the Bot Framework (Microsoft Teams).

Every request to `POST /api/messages` carries `Authorization: Bearer <JWT>`. As the
Bot Framework documents ("Authenticate requests from the Bot Connector service"),
the token must be signed (RS256) by a key published in the JWKS that the OpenID
metadata document names, be issued by `https://api.botframework.com`, be meant for
this bot (audience = its app id), be within its validity (5 minutes' clock skew),
be endorsed for the activity's channel when the key lists endorsements, and carry
a `serviceUrl` claim equal to the activity's `serviceUrl` — otherwise a token for
one service URL could make the bot post its replies (with its own credentials) to
another. There is no switch to turn this off: tests publish their own keys.

Why not the Agents SDK's `JwtTokenValidator`: it is asynchronous (aiohttp) where
Tier0 serves Flask, its key URL is fixed by issuer rather than read from a
configurable OpenID metadata document, and it does not bind `serviceUrl`.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
CLOCK_SKEW_SECONDS = 300
KEYS_LIFETIME = 24 * 3600.0  # Microsoft rotates the keys; fetch them again daily
MIN_REFRESH_INTERVAL = 300.0  # an unknown key id refetches the keys at most this often
FAILURE_BACKOFF = 30.0  # after a failed download, requests wait this long for the next try
FETCH_TIMEOUT = 10.0


class KeysUnavailable(Exception):
    """The signing keys could not be downloaded and none are cached."""


class TokenRejected(Exception):
    """The request is refused: 401 (no valid token) or 403 (a valid token that does
    not fit this activity). `reason` is for the log, never for the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class TeamsAuthConfig:
    app_id: str
    openid_metadata_url: str
    issuers: tuple[str, ...] = (BOT_FRAMEWORK_ISSUER,)
    tenant: str = ""  # a single-tenant bot: activities from other tenants are refused


def _fetch_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
        return json.load(response)


class SigningKeys:
    """The Bot Framework's public keys by key id, with their endorsements, read from
    the JWKS the OpenID metadata names; cached, and fetched again when a token names
    a key we do not have (rotation), at most every `MIN_REFRESH_INTERVAL`."""

    def __init__(self, metadata_url: str) -> None:
        self._metadata_url = metadata_url
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._failed_at = float("-inf")
        self._lock = threading.Lock()

    def get(self, key_id: str) -> dict[str, Any] | None:
        """The key, or None when it is not published. While the keys cannot be read,
        the last ones go on serving; with none at all, `KeysUnavailable`, and the next
        download is tried only after `FAILURE_BACKOFF` (an outage must not make every
        request wait on a network timeout)."""
        with self._lock:
            now = time.monotonic()
            stale = now - self._fetched_at > KEYS_LIFETIME
            unknown = key_id not in self._keys and now - self._fetched_at > MIN_REFRESH_INTERVAL
            if (stale or unknown) and now - self._failed_at > FAILURE_BACKOFF:
                try:
                    self._keys, self._fetched_at = self._download(), now
                except (OSError, ValueError, TokenRejected) as error:
                    self._failed_at = now
                    if not self._keys:
                        raise KeysUnavailable(str(error)) from None
            elif not self._keys and now - self._failed_at <= FAILURE_BACKOFF:
                raise KeysUnavailable("the last download failed moments ago")
            return self._keys.get(key_id)

    def _download(self) -> dict[str, dict[str, Any]]:
        metadata = _fetch_json(self._metadata_url)
        jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
        if not isinstance(jwks_uri, str):
            raise TokenRejected(401, "the OpenID metadata has no jwks_uri")
        document = _fetch_json(jwks_uri)
        keys = document.get("keys", []) if isinstance(document, dict) else []
        return {k["kid"]: k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}


class BotFrameworkAuth:
    """`claims = auth.verify(request.headers.get("Authorization"), activity)` or
    `TokenRejected`."""

    def __init__(self, config: TeamsAuthConfig, keys: SigningKeys | None = None) -> None:
        if not config.app_id:
            raise ValueError("the Teams app id is required to check tokens' audience")
        self._config = config
        self._keys = keys or SigningKeys(config.openid_metadata_url)

    def verify(self, authorization: str | None, activity: dict[str, Any]) -> dict[str, Any]:
        token = _bearer(authorization)
        key = self._signing_key(token, str(activity.get("channelId") or ""))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._config.app_id,
                issuer=list(self._config.issuers),
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected(401, "the token has expired") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected(401, "the token is for another bot (audience)") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected(401, "the token was not issued by the Bot Framework") from None
        except jwt.PyJWTError as error:
            raise TokenRejected(401, f"the token is not valid: {error}") from None
        claimed = claims.get("serviceurl") or claims.get("serviceUrl")
        if not claimed or claimed != activity.get("serviceUrl"):
            raise TokenRejected(403, "the token's serviceUrl is not the activity's")
        if self._config.tenant and tenant_of(activity) != self._config.tenant:
            raise TokenRejected(403, "the activity comes from another tenant")
        return claims

    def _signing_key(self, token: str, channel_id: str) -> Any:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected(401, "the bearer value is not a JWT") from None
        if header.get("alg") != "RS256":
            raise TokenRejected(401, f"unexpected token algorithm {header.get('alg')!r}")
        key_id = header.get("kid")
        if not isinstance(key_id, str):
            raise TokenRejected(401, "the token names no signing key")
        try:
            found = self._keys.get(key_id)
        except KeysUnavailable as error:  # our outage, not the caller's fault: retry later
            raise TokenRejected(503, f"the signing keys could not be read: {error}") from None
        if found is None:
            raise TokenRejected(401, "the token is signed by an unknown key")
        endorsements = found.get("endorsements")
        if isinstance(endorsements, list) and channel_id not in endorsements:
            raise TokenRejected(403, f"the signing key is not endorsed for {channel_id!r}")
        try:
            return jwt.PyJWK(found).key
        except jwt.PyJWTError as error:
            raise TokenRejected(401, f"the signing key is unusable: {error}") from None


def tenant_of(activity: dict[str, Any]) -> str:
    """The activity's Entra tenant (conversation.tenantId, else channelData.tenant.id)."""
    conversation = activity.get("conversation")
    channel_data = activity.get("channelData")
    tenant = conversation.get("tenantId") if isinstance(conversation, dict) else None
    if (
        not tenant
        and isinstance(channel_data, dict)
        and isinstance(channel_data.get("tenant"), dict)
    ):
        tenant = channel_data["tenant"].get("id")
    return str(tenant or "")


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected(401, "no bearer token")
    return token.strip()
