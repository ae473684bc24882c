"""Engines, sessions and migrations.

The schema is created and changed only by Alembic (`upgrade`), never by
`create_all`, so SQLite and PostgreSQL deployments go through the same steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SessionFactory = Callable[[], Session]
_UPGRADE_LOCK = 0x6B73_6263  # "ksbc": one replica migrates at a time on PostgreSQL


def normalize_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets its folder created and foreign keys switched on."""
    url = normalize_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer; cheap commits
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at WAL checkpoints, safe with WAL
    cursor.close()


def sessions(engine: Engine) -> SessionFactory:
    """Sessions that keep loaded values after commit, so services can return rows."""

    def factory() -> Session:
        return Session(engine, expire_on_commit=False)

    return factory


def alembic_config() -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@contextmanager
def _engine_for(target: str | Engine) -> Iterator[Engine]:
    if isinstance(target, Engine):
        yield target
        return
    engine = make_engine(target)
    try:
        yield engine
    finally:
        engine.dispose()


def upgrade(target: str | Engine, revision: str = "heads") -> None:
    """Apply migrations up to `revision`; safe to call from every replica at start-up.

    Every head by default: feature migrations may branch from the same parent.
    """
    config = alembic_config()
    with _engine_for(target) as engine, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _UPGRADE_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revisions(target: str | Engine) -> set[str]:
    with _engine_for(target) as engine, engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def is_current(target: str | Engine) -> bool:
    """True when the database is reachable and migrated to head (a readiness check)."""
    try:
        return current_revisions(target) == head_revisions()
    except SQLAlchemyError as exc:
        log.warning("database not ready: %s", exc.__class__.__name__)
        return False


class Database:
    """One engine plus its session factory; dispose it when done."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.session = sessions(self.engine)

    def upgrade(self) -> None:
        upgrade(self.engine)

    def is_current(self) -> bool:
        return is_current(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.dispose()


def open_database(url: str) -> Database:
    """A migrated database: what the bot and the CLI use at start-up."""
    database = Database(url)
    try:
        database.upgrade()
    except BaseException:
        database.dispose()
        raise
    return database
