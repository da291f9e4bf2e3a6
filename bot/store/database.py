"""Connecting to the database and migrating it: SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.settings import SettingsError, mask_url_password

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
PG_MIGRATION_LOCK = 7_130_001  # arbitrary advisory-lock key shared by every Tier0 process


def create_db_engine(url: str) -> Engine:
    """An engine tuned for the backend; raises `SettingsError` for a URL we cannot use."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(
            f"TIER0_DATABASE_URL: cannot parse {mask_url_password(url)!r}"
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url, parsed.database)
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except (NoSuchModuleError, ModuleNotFoundError) as error:
        raise SettingsError(
            f"TIER0_DATABASE_URL: no driver for {parsed.drivername!r} ({error}); for PostgreSQL "
            "install the extra: pip install 'tier0[postgres]' and use postgresql+psycopg://"
        ) from None


def _sqlite_engine(url: str, database: str | None) -> Engine:
    """SQLite with WAL, a busy timeout, and BEGIN IMMEDIATE.

    BEGIN IMMEDIATE takes the write lock at the start of each transaction, so two
    threads or processes handling turns of one conversation queue up instead of
    both reading the old state (SQLite has no SELECT ... FOR UPDATE).
    """
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision; safe when several servers start at once."""
    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
