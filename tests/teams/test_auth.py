"""Bot Framework token checks against a local JWKS: a valid token passes; an expired
token, a wrong audience, a wrong issuer, an unknown key, a forged signature, an
unendorsed channel and a serviceUrl mismatch are each refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest

from connectors.teams.auth import BotFrameworkAuth, TeamsAuthConfig, TokenRejected
from tests.teams.jwks_server import APP_ID, SERVICE_URL, BotKey, JwksServer

ACTIVITY = {"type": "message", "channelId": "msteams", "serviceUrl": SERVICE_URL, "text": "hi"}
KEY = BotKey("key-1", endorsements=["msteams", "webchat"])


@pytest.fixture(scope="module")
def server() -> Iterator[JwksServer]:
    with JwksServer([KEY]) as running:
        yield running


@pytest.fixture
def auth(server: JwksServer) -> BotFrameworkAuth:
    return BotFrameworkAuth(TeamsAuthConfig(APP_ID, server.metadata_url))


def rejected(
    auth: BotFrameworkAuth, header: str | None, activity: dict = ACTIVITY
) -> TokenRejected:
    with pytest.raises(TokenRejected) as caught:
        auth.verify(header, activity)
    return caught.value


def test_a_valid_token_passes(auth: BotFrameworkAuth) -> None:
    claims = auth.verify(f"Bearer {KEY.token()}", ACTIVITY)
    assert claims["aud"] == APP_ID and claims["serviceurl"] == SERVICE_URL


def test_five_minutes_of_clock_skew_are_allowed(auth: BotFrameworkAuth) -> None:
    auth.verify(f"Bearer {KEY.token(exp=int(time.time()) - 240)}", ACTIVITY)
    assert rejected(auth, f"Bearer {KEY.token(exp=int(time.time()) - 360)}").reason == (
        "the token has expired"
    )


@pytest.mark.parametrize(
    ("token", "status", "reason"),
    [
        (lambda: KEY.token(aud="another-bot"), 401, "audience"),
        (lambda: KEY.token(iss="https://sts.windows.net/evil/"), 401, "issued"),
        (lambda: BotKey("key-unknown").token(), 401, "unknown key"),
        (lambda: KEY.token(serviceurl="https://evil.example/"), 403, "serviceUrl"),
        (lambda: KEY.token(serviceurl=None), 403, "serviceUrl"),
        (lambda: KEY.token(exp=None), 401, "not valid"),
    ],
    ids=["audience", "issuer", "unknown-key", "service-url", "no-service-url", "no-exp"],
)
def test_bad_tokens_are_refused(auth: BotFrameworkAuth, token, status: int, reason: str) -> None:  # type: ignore[no-untyped-def]
    refusal = rejected(auth, f"Bearer {token()}")
    assert refusal.status == status and reason in refusal.reason


def test_a_forged_signature_with_a_known_key_id_is_refused(auth: BotFrameworkAuth) -> None:
    impostor = BotKey("key-1")  # same kid, another private key
    assert "not valid" in rejected(auth, f"Bearer {impostor.token()}").reason


def test_other_algorithms_are_refused(auth: BotFrameworkAuth) -> None:
    unsigned = jwt.encode({"aud": APP_ID}, None, algorithm="none", headers={"kid": "key-1"})
    hmac = jwt.encode({"aud": APP_ID}, "secret-secret-secret-secret-1234", algorithm="HS256",
                      headers={"kid": "key-1"})  # fmt: skip
    for token in (unsigned, hmac):
        assert "algorithm" in rejected(auth, f"Bearer {token}").reason


def test_the_key_must_be_endorsed_for_the_channel(auth: BotFrameworkAuth) -> None:
    other = dict(ACTIVITY, channelId="skype")
    refusal = rejected(auth, f"Bearer {KEY.token()}", other)
    assert refusal.status == 403 and "endorsed" in refusal.reason


def test_missing_or_malformed_headers_are_refused(auth: BotFrameworkAuth) -> None:
    for header in (None, "", "Basic abc", "Bearer", "Bearer not-a-jwt"):
        assert rejected(auth, header).status == 401


def test_a_rotated_key_is_fetched_once_and_unknown_ids_do_not_hammer(server: JwksServer) -> None:
    auth = BotFrameworkAuth(TeamsAuthConfig(APP_ID, server.metadata_url))
    auth.verify(f"Bearer {KEY.token()}", ACTIVITY)
    before = server.downloads
    for _ in range(5):
        rejected(auth, f"Bearer {BotKey('key-bogus').token()}")
    assert server.downloads == before  # refetched at most once per interval, here never
    new = BotKey("key-2", endorsements=["msteams"])
    server.keys.append(new)
    fresh = BotFrameworkAuth(TeamsAuthConfig(APP_ID, server.metadata_url))
    fresh.verify(f"Bearer {new.token()}", ACTIVITY)
    server.keys.remove(new)


def test_keys_that_cannot_be_read_refuse_rather_than_crash() -> None:
    auth = BotFrameworkAuth(TeamsAuthConfig(APP_ID, "http://127.0.0.1:9/openid"))
    refusal = rejected(auth, f"Bearer {KEY.token()}")
    assert refusal.status == 503 and "could not be read" in refusal.reason
    started = time.monotonic()
    for _ in range(5):  # no new download (nor its timeout) until the back-off has passed
        assert rejected(auth, f"Bearer {KEY.token()}").status == 503
    assert time.monotonic() - started < 0.5


def test_a_single_tenant_bot_refuses_other_tenants(server: JwksServer) -> None:
    auth = BotFrameworkAuth(TeamsAuthConfig(APP_ID, server.metadata_url, tenant="tenant-a"))
    ours = dict(ACTIVITY, conversation={"id": "c", "tenantId": "tenant-a"})
    theirs = dict(ACTIVITY, conversation={"id": "c", "tenantId": "tenant-b"})
    auth.verify(f"Bearer {KEY.token()}", ours)
    refusal = rejected(auth, f"Bearer {KEY.token()}", theirs)
    assert refusal.status == 403 and "tenant" in refusal.reason


def test_a_single_tenant_bot_takes_tokens_from_its_tenant() -> None:
    from dataclasses import replace

    from bot.settings import Settings
    from connectors.teams import token_url

    settings = replace(Settings(), teams_tenant_id="tenant-a")
    assert token_url(settings) == "https://login.microsoftonline.com/tenant-a/oauth2/v2.0/token"
    assert "botframework.com" in token_url(Settings())


def test_an_activity_without_a_channel_is_not_endorsed(auth: BotFrameworkAuth) -> None:
    nameless = {k: v for k, v in ACTIVITY.items() if k != "channelId"}
    assert rejected(auth, f"Bearer {KEY.token()}", nameless).status == 403
