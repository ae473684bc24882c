"""Liveness and readiness: what a container platform asks before and while routing traffic.

/healthz says "the process answers"; restarting a replica cannot fix a
database or Chroma outage, so liveness never looks at dependencies. It fails
only for an index that has been unusable for INDEX_UNHEALTHY_AFTER seconds
for another reason (bot/index_watch.py), which a restart can fix. /readyz checks what
an answer needs (database reachable and migrated, knowledge index built) and
returns 503 naming what is failing, so the platform stops routing to a replica
until it recovers. The database check runs on the database's own work pool, the
others in threads, each within READINESS_TIMEOUT.

`python -m bot.health` is the container HEALTHCHECK: slim images have no curl.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from bot.config import Settings

if TYPE_CHECKING:
    from storage.db import Database

CheckFn = Callable[[], "CheckResult"] | Callable[[], Awaitable["CheckResult"]]


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


class DatabaseCheck:
    """Reachable and at the migration head, on the process's one engine and database work pool.

    Probes go through the pool even while it is failing fast after an outage: a passing probe
    is how the replica sees the database come back.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(self) -> CheckResult:
        from sqlalchemy.exc import SQLAlchemyError

        from storage.db import current_revisions, head_revisions
        from storage.work import DatabaseUnavailable

        try:
            current = await self.database.session.work.probe(lambda: current_revisions(self.database.engine))
        except DatabaseUnavailable:
            return CheckResult(False, f"unreachable (no answer within {self.database.options.work_timeout:g}s)")
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            return CheckResult(False, f"unreachable ({type(cause).__name__})")
        head = head_revisions()
        if current != head:
            at = ",".join(sorted(current)) or "empty"
            heads = ",".join(sorted(head))
            return CheckResult(False, f"migrations not current (at {at}, head {heads}); "
                                      "start-up migrates, see docs/deploy.md")
        return CheckResult(True, f"migrated ({','.join(sorted(head))})")


def index_check(coach: Any) -> CheckFn:
    """The coach's own index, so readiness sees exactly what answers use.

    Names an unreachable Chroma as such. A replica whose vectors are already in
    memory still answers through a Chroma outage (or while a lost collection is
    rebuilt), so it stays ready and the detail says why.
    """

    def check() -> CheckResult:
        from knowledge.index import IndexUnavailable

        index = getattr(getattr(coach, "retriever", None), "index", None)
        if index is None or not hasattr(index, "status"):
            return CheckResult(True, "no vector index in use")
        try:
            index.status()
        except IndexUnavailable as exc:
            what = (f"Chroma unreachable ({exc.detail})" if exc.reason == "unreachable"
                    else "not built or stale; run `ksb-coach index`")
            if getattr(index, "loaded", False):
                return CheckResult(True, f"{what}; answering from the loaded vectors")
            return CheckResult(False, what)
        return CheckResult(True, f"current ({str(getattr(index, 'digest', ''))[:12]})")

    return check


class Readiness:
    """Runs every check concurrently; ready only when all pass."""

    def __init__(self, checks: dict[str, CheckFn], *, timeout: float) -> None:
        self.checks = checks
        self.timeout = timeout

    async def _run(self, check: CheckFn) -> CheckResult:
        try:
            if inspect.iscoroutinefunction(check) or inspect.iscoroutinefunction(type(check).__call__):
                return await asyncio.wait_for(cast(Awaitable[CheckResult], check()), self.timeout)
            return await asyncio.wait_for(asyncio.to_thread(cast(Callable[[], CheckResult], check)), self.timeout)
        except TimeoutError:
            return CheckResult(False, f"no answer within {self.timeout:g}s")
        except Exception as exc:  # noqa: BLE001 - a failing check is a red light, not a 500
            return CheckResult(False, f"check failed ({type(exc).__name__})")

    async def report(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(self.checks[n]) for n in names))
        details = {n: {"ok": r.ok, "detail": r.detail} for n, r in zip(names, results, strict=True)}
        return all(r.ok for r in results), details


READINESS_KEY = web.AppKey("readiness", Readiness)


def default_readiness(settings: Settings, coach: Any,
                      database: Database | None = None) -> tuple[Readiness, Callable[[], None]]:
    """The production checks and a function that releases their resources.

    `serve` hands in its one database; without one (tests, tools) the check opens its own.
    """
    own = database is None
    if database is None:
        from storage.db import Database, DatabaseOptions

        timeout = settings.readiness_timeout
        database = Database(settings.effective_database_url,
                            DatabaseOptions(pool_size=1, connect_timeout=timeout, work_timeout=timeout))
    readiness = Readiness({"database": DatabaseCheck(database), "index": index_check(coach)},
                          timeout=settings.readiness_timeout)
    return readiness, (database.dispose if own else lambda: None)


async def warm_up(coach: Any) -> None:
    """Load the embedding model before the first user waits for it (in a thread: it is blocking)."""
    retrieve = getattr(getattr(coach, "retriever", None), "retrieve", None)
    if callable(retrieve):
        await asyncio.to_thread(retrieve, "how do I evidence monitoring a model in production", top=1)


Liveness = Callable[[], tuple[bool, str]]
LIVENESS_KEY: web.AppKey[Liveness] = web.AppKey("liveness")


async def healthz(request: web.Request) -> web.Response:
    """200 while the process answers; 503 only when a restart could fix it (an index unusable for long)."""
    live = request.app.get(LIVENESS_KEY)
    ok, detail = live() if live is not None else (True, "ok")
    if ok:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unhealthy", "detail": detail}, status=503)


async def readyz(request: web.Request) -> web.Response:
    ok, details = await request.app[READINESS_KEY].report()
    body = {"status": "ready" if ok else "unavailable", "checks": details}
    return web.json_response(body, status=200 if ok else 503)


def probe(url: str, *, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return 200 <= int(response.status) < 400
    except OSError:
        return False


def main() -> int:
    """Container HEALTHCHECK: exit 0 when this container's /healthz answers."""
    port = Settings().port
    return 0 if probe(f"http://127.0.0.1:{port}/healthz") else 1


if __name__ == "__main__":
    sys.exit(main())
