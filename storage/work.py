"""The database's own bounded thread pool, so a slow or unreachable database cannot silence the bot.

Blocking SQL used to share asyncio's default pool with everything else run in threads; a network
partition then held every thread and nothing else (readiness checks, programme answers) ran.
Here database work gets `workers` threads of its own (one per pooled connection) and a
deadline from the moment it is queued:

- work still queued at its deadline is not started (its caller has already been told);
- work running at its deadline has its connection's socket shut down, which wakes a driver
  blocked on a silent server, so the thread comes back instead of waiting for ever;
- a connection failure or a missed deadline marks the database down for `cooldown` seconds,
  during which work fails at once (people are told in milliseconds, not after another
  timeout); the next call after that, or a readiness probe at any time, tries for real,
  so service comes back by itself when the database does.

The tagging / CPU pool is a different thing (bot/): this one is only for the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
GRACE = 2.0  # seconds past the deadline the caller still waits for the thread's own outcome


class DatabaseUnavailable(SQLAlchemyError):
    """Database work refused (the database is known down) or not done by its deadline."""


@dataclass
class _Call:
    deadline: float
    thread: int | None = None
    done: threading.Event = field(default_factory=threading.Event)


class DatabaseWork:
    """`run` blocking database calls on `workers` threads, each call within `deadline` seconds."""

    def __init__(self, *, workers: int, deadline: float, cooldown: float = 3.0,
                 trips_on_errors: bool = True) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="database")
        self.deadline = deadline
        self._cooldown = cooldown
        self._trips_on_errors = trips_on_errors  # SQLite's "locked" is not an outage
        self._held: dict[int, list[Any]] = {}  # worker thread -> DBAPI connections it has checked out
        self._lock = threading.Lock()
        self._down_until = 0.0

    def watch(self, engine: Engine, *, ping: bool = False) -> None:
        """Track which thread holds which connection, so a stuck one can be cut at its deadline.

        With `ping` (instead of the pool's pre-ping, which runs before a connection counts as
        checked out) each checkout is tested once it is tracked, so a ping that hangs is cut too.
        """
        sa.event.listen(engine, "checkout", self._checked_out)
        sa.event.listen(engine, "checkin", self._checked_in)
        if ping:
            def pinged(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
                try:
                    engine.dialect.do_ping(dbapi_connection)
                except Exception as exc:  # the pool then drops it and connects afresh
                    self._checked_in(dbapi_connection, record)
                    raise sa.exc.DisconnectionError("pooled connection failed its ping") from exc

            sa.event.listen(engine, "checkout", pinged)

    @property
    def down(self) -> bool:
        return time.monotonic() < self._down_until

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` on a database thread; DatabaseUnavailable when it cannot be done in time."""
        if self.down:
            raise DatabaseUnavailable("the database was unreachable a moment ago; not retried yet")
        return await self._run(functools.partial(fn, *args, **kwargs))

    async def run_within(self, deadline: float, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Like `run`, with a shorter `deadline` of its own (work done before a platform's ack).

        Waiting past so short a deadline in the queue is a busy pool, not an outage: it fails this
        call only, without marking the database down."""
        if self.down:
            raise DatabaseUnavailable("the database was unreachable a moment ago; not retried yet")
        return await self._run(functools.partial(fn, *args, **kwargs), min(deadline, self.deadline),
                               queue_trips=False)

    async def probe(self, fn: Callable[[], T]) -> T:
        """Like `run`, but tried even while marked down: readiness checks are how recovery is seen."""
        return await self._run(fn)

    async def _run(self, fn: Callable[[], T], deadline: float | None = None, *, queue_trips: bool = True) -> T:
        loop = asyncio.get_running_loop()
        deadline = self.deadline if deadline is None else deadline
        call = _Call(deadline=time.monotonic() + deadline)
        future = loop.run_in_executor(self._pool, self._execute, call, fn)
        cut = loop.call_later(deadline, self._interrupt, call)
        try:
            result = await asyncio.wait_for(future, deadline + GRACE)
        except TimeoutError:
            self._trip(f"no answer within {deadline:g}s")
            raise DatabaseUnavailable(f"no answer from the database within {deadline:g}s") from None
        except DatabaseUnavailable:
            if queue_trips:
                self._trip("work waited past its deadline")
            raise
        except OperationalError as exc:
            if self._trips_on_errors:
                self._trip(type(getattr(exc, "orig", None) or exc).__name__)
            raise
        finally:
            cut.cancel()
        self._down_until = 0.0
        return result

    def _execute(self, call: _Call, fn: Callable[[], T]) -> T:
        if time.monotonic() >= call.deadline:
            raise DatabaseUnavailable("database work waited past its deadline in the queue")
        call.thread = threading.get_ident()
        try:
            return fn()
        finally:
            call.thread = None
            call.done.set()
            with self._lock:  # a finished unit holds no connection; forget any left by invalidation
                self._held.pop(threading.get_ident(), None)

    def _interrupt(self, call: _Call) -> None:
        """At the deadline: shut down the sockets the worker holds, so a driver waiting on them returns."""
        thread = call.thread
        if thread is None or call.done.is_set():
            return
        with self._lock:
            held = list(self._held.get(thread, ()))
        for connection in held:
            _shut_down(connection)
        if held:
            log.warning("database work passed its deadline; cut %d connection(s)", len(held))

    def _trip(self, why: str) -> None:
        if not self.down:
            log.warning("database unavailable (%s); failing fast for %gs", why, self._cooldown)
        self._down_until = time.monotonic() + self._cooldown

    def _checked_out(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        thread = threading.get_ident()
        record.info["ksb_thread"] = thread
        with self._lock:
            self._held.setdefault(thread, []).append(dbapi_connection)

    def _checked_in(self, dbapi_connection: Any, record: Any) -> None:
        thread = record.info.pop("ksb_thread", None)
        if thread is None:
            return
        with self._lock:
            held = self._held.get(thread, [])
            with contextlib.suppress(ValueError):
                held.remove(dbapi_connection)
            if not held:
                self._held.pop(thread, None)

    def shutdown(self, *, wait: bool = False) -> None:
        """Queued work is dropped; with `wait`, until running work (cut at its deadline) has ended."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


def _shut_down(dbapi_connection: Any) -> None:
    """Shut the connection's socket both ways (libpq's descriptor, via psycopg); others are left alone."""
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception:  # noqa: BLE001 - not psycopg, or already closed: nothing to wake
        return
    if not isinstance(fd, int) or fd < 0:
        return
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=fd)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.detach()  # the descriptor stays libpq's to close
