"""Fixtures for the web UIs: an assistant on a copy of the KB (publishing writes files),
users of each role, and a test client that signs in through the real form."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.accounts import add_user
from bot.app import Assistant, build_assistant
from bot.settings import Settings
from tests.conftest import KB_DIR

PASSWORDS = {
    "admin": "admin-password-1",
    "editor": "editor-password-1",
    "agent": "agent-password-1",
}


@pytest.fixture
def editable_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The shipped KB and its prepared index and model, copied: edits stay in the test."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb_dir)
    data_dir = tmp_path / "data"
    shutil.copytree(settings.data_dir, data_dir, ignore=shutil.ignore_patterns("*.db", "*.lock"))
    return replace(
        settings,
        kb_dir=kb_dir,
        data_dir=data_dir,
        api_token="api-token",
        editor_api_token="editor-token",
    )


@pytest.fixture
def web_assistant(editable_settings: Settings) -> Iterator[Assistant]:
    built = build_assistant(editable_settings)
    with built.store.transaction() as tx:
        for role, password in PASSWORDS.items():
            add_user(tx.session, role, password, role, display_name=f"{role.title()} Person")
    yield built
    built.close()


@pytest.fixture
def web_app(web_assistant: Assistant):  # type: ignore[no-untyped-def]
    from connectors.web import create_app

    application = create_app(assistant=web_assistant)
    application.config["TESTING"] = True
    return application


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client, role: str, password: str | None = None):  # type: ignore[no-untyped-def]
    page = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={
            "username": role,
            "password": password or PASSWORDS[role],
            "csrf_token": csrf_of(page.get_data(as_text=True)),
        },
    )


@pytest.fixture
def signed_in(web_app):  # type: ignore[no-untyped-def]
    """`signed_in("editor")`: a client signed in as that role."""

    def make(role: str):  # type: ignore[no-untyped-def]
        client = web_app.test_client()
        response = sign_in(client, role)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
