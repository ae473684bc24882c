"""Engines, sessions and migrations.

The schema is created and changed only by Alembic (`upgrade`), never by
`create_all`, so SQLite and PostgreSQL deployments go through the same steps.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from storage.work import DatabaseWork

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_UPGRADE_LOCK = 0x6B73_6263  # "ksbc": one replica migrates at a time on PostgreSQL
_ENGINES = itertools.count(1)  # numbers each engine in application_name: a second one shows up
P = ParamSpec("P")
T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class DatabaseOptions:
    """How a process talks to its database: one pool of `pool_size` connections, bounded waits.

    `pool_size` is the whole process's share of PostgreSQL's `max_connections` (no overflow), and
    as many threads run database work, so a burst queues instead of opening more connections.
    `connect_timeout` bounds reaching the server (and waiting for a free pooled connection),
    `statement_timeout` each statement on the server (PostgreSQL) or waiting for a lock
    (SQLite's busy timeout), `work_timeout` one unit of database work from queueing to result.
    """

    pool_size: int = 5
    connect_timeout: float = 3.0
    statement_timeout: float = 5.0
    work_timeout: float = 8.0
    application_name: str = "ksb-coach"


def make_engine(url: str, options: DatabaseOptions | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` with `options`' pool and timeouts; SQLite gets its folder and pragmas.

    PostgreSQL connections carry `connect_timeout`, a server-side `statement_timeout`, TCP
    keepalives and `tcp_user_timeout` (a partition is noticed, not waited on for ever) and
    an `application_name` naming this process and engine (`ksb-coach:<pid>:<n>`), which is how
    pg_stat_activity tells processes and engines apart.
    """
    options = options or DatabaseOptions()
    url = normalize_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = not parsed.database or parsed.database == ":memory:"
        if not memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
            kwargs.setdefault("pool_size", options.pool_size)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", options.connect_timeout)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", options.statement_timeout)
        engine = sa.create_engine(url, **kwargs)
        busy_ms = int(options.statement_timeout * 1000)
        sa.event.listen(engine, "connect", lambda conn, _record: _sqlite_pragmas(conn, busy_ms))
        return engine
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("connect_timeout", max(1, math.ceil(options.connect_timeout)))
    given = parsed.query.get("options", "")  # e.g. a search_path in the URL: kept, not replaced
    given = " ".join(given) if isinstance(given, tuple) else given
    connect_args.setdefault("options", f"{given} -c statement_timeout={int(options.statement_timeout * 1000)}".strip())
    connect_args.setdefault("application_name", f"{options.application_name}:{os.getpid()}:{next(_ENGINES)}")
    connect_args.setdefault("keepalives", 1)
    connect_args.setdefault("keepalives_idle", 10)
    connect_args.setdefault("keepalives_interval", 3)
    connect_args.setdefault("keepalives_count", 3)
    connect_args.setdefault("tcp_user_timeout", int((options.connect_timeout + options.statement_timeout) * 1000))
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", options.pool_size)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", options.connect_timeout)
    return sa.create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer; cheap commits
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at WAL checkpoints, safe with WAL
    cursor.close()


class Sessions:
    """Sessions on one engine, and the bounded pool their blocking work runs on (`run`).

    Sessions keep loaded values after commit, so services can return rows.
    """

    def __init__(self, engine: Engine, work: DatabaseWork | None = None) -> None:
        self.engine = engine
        self.work = work or DatabaseWork(workers=5, deadline=DatabaseOptions().work_timeout)

    def __call__(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` on the database's own threads, within its deadline."""
        return await self.work.run(fn, *args, **kwargs)

    async def run_within(self, deadline: float, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`run` with a shorter deadline: work a platform's ack waits for."""
        return await self.work.run_within(deadline, fn, *args, **kwargs)


SessionFactory = Sessions


def sessions(engine: Engine) -> Sessions:
    """Sessions on `engine` with a database work pool of their own (tools and tests)."""
    return Sessions(engine)


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
            # waiting for another replica's migration, or a long one, is not a stuck statement
            connection.execute(sa.text("SET LOCAL statement_timeout = 0"))
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
    """The process's one engine, its session factory and its database work pool; dispose when done."""

    def __init__(self, url: str, options: DatabaseOptions | None = None, **engine_kwargs: Any) -> None:
        self.url = normalize_url(url)
        self.options = options or DatabaseOptions()
        remote = sa.make_url(self.url).get_backend_name() != "sqlite"
        if remote:
            engine_kwargs.setdefault("pool_pre_ping", False)  # the work pool pings, where it can cut a hang
        self.engine = make_engine(self.url, self.options, **engine_kwargs)
        work = DatabaseWork(workers=self.options.pool_size, deadline=self.options.work_timeout,
                            trips_on_errors=remote)
        work.watch(self.engine, ping=remote)
        self.session = Sessions(self.engine, work)

    def upgrade(self) -> None:
        upgrade(self.engine)

    def is_current(self) -> bool:
        return is_current(self.engine)

    def dispose(self, *, wait: bool = False) -> None:
        """Stop the work pool (with `wait`, once its threads have ended) and close every connection."""
        self.session.work.shutdown(wait=wait)
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.dispose()


def open_database(url: str, options: DatabaseOptions | None = None) -> Database:
    """A migrated database: what the bot and the CLI use at start-up."""
    database = Database(url, options)
    try:
        database.upgrade()
    except BaseException:
        database.dispose()
        raise
    return database
