"""`tier0 slack manifest` and the Socket Mode start's checks."""

from __future__ import annotations

import json

import pytest
import yaml

from connectors.cli import main


def test_the_manifest_has_the_scopes_events_and_request_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIER0_PUBLIC_URL", "https://help.example.com")
    assert main(["slack", "manifest"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    wanted = "app_mentions:read chat:write im:history im:read im:write users:read users:read.email"
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(wanted.split())  # issue 7
    events = manifest["settings"]["event_subscriptions"]
    assert events["bot_events"] == ["app_mention", "message.im"]
    url = "https://help.example.com/slack/events"
    assert events["request_url"] == url
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert manifest["features"]["bot_user"]["display_name"] == "Tier0"
    assert main(["slack", "manifest", "--json", "--socket-mode"]) == 0
    socket = json.loads(capsys.readouterr().out)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["event_subscriptions"]


def test_socket_mode_without_the_app_token_says_what_to_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIER0_SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("TIER0_SLACK_SIGNING_SECRET", "secret")
    monkeypatch.delenv("TIER0_SLACK_APP_TOKEN", raising=False)
    assert main(["serve", "--slack-socket-mode"]) == 2
    assert "needs TIER0_SLACK_APP_TOKEN" in capsys.readouterr().err
