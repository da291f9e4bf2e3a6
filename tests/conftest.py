"""Shared fixtures: the real shipped KB and NLU data, a real index and model built once
per session, and a fresh real database (SQLite file, or PostgreSQL) per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import Assistant, build_assistant, ensure_index, ensure_model
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
KB_DIR = ROOT / "kb_articles"
DEFAULT_PG_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


def postgres_admin_url() -> str | None:
    """The PostgreSQL server for the PG leg, or None to skip it (never in CI)."""
    url = os.environ.get("TIER0_TEST_DATABASE_URL", DEFAULT_PG_URL)
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        if os.environ.get("CI") or os.environ.get("TIER0_TEST_DATABASE_URL"):
            raise RuntimeError(f"PostgreSQL for tests is unreachable at {url}: {error}") from None
        return None
    return url


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A throwaway PostgreSQL database for this test session, dropped at the end."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        yield None
        return
    name = f"tier0_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose index and NLU model are built once from the shipped content."""
    data_dir = tmp_path_factory.mktemp("prepared")
    settings = Settings(data_dir=data_dir, kb_dir=KB_DIR)
    ensure_index(settings)
    ensure_model(settings)
    return data_dir


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_database: str | None) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tier0.db'}"
    if pg_database is None:
        pytest.skip("no PostgreSQL server answers (set TIER0_TEST_DATABASE_URL)")
    reset_postgres(pg_database)
    return pg_database


@pytest.fixture
def settings(prepared_dir: Path, tmp_path: Path) -> Settings:
    """SQLite-only settings for tests that are not about the database backend."""
    return Settings(
        data_dir=prepared_dir,
        kb_dir=KB_DIR,
        database_url=f"sqlite:///{tmp_path / 'tier0.db'}",
        public_url="http://tier0.test",
    )


@pytest.fixture
def assistant(settings: Settings) -> Iterator[Assistant]:
    built = build_assistant(settings)
    yield built
    built.close()


@pytest.fixture
def any_db_assistant(settings: Settings, database_url: str) -> Iterator[Assistant]:
    """The assistant on each backend in turn: SQLite and PostgreSQL."""
    built = build_assistant(replace(settings, database_url=database_url))
    yield built
    built.close()


@pytest.fixture
def app(assistant: Assistant):  # type: ignore[no-untyped-def]
    from connectors.web import create_app

    application = create_app(assistant=assistant)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()
