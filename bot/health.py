"""Liveness and readiness: what a container platform asks before and while routing traffic.

/healthz says only "the process answers"; restarting a replica cannot fix a
database outage, so liveness never looks at dependencies. /readyz checks what
an answer needs (database reachable and migrated, knowledge index built) and
returns 503 naming what is failing, so the platform stops routing to a replica
until it recovers. Checks are blocking library calls, so they run in threads
with READINESS_TIMEOUT each.

`python -m bot.health` is the container HEALTHCHECK: slim images have no curl.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.config import Settings

CheckFn = Callable[[], "CheckResult"]


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


class DatabaseCheck:
    """Reachable and at the migration head; one pooled engine reused across probes."""

    def __init__(self, url: str, *, timeout: float) -> None:
        from storage.db import make_engine, normalize_url

        url = normalize_url(url)
        connect_args: dict[str, Any] = {}
        if url.startswith("postgresql"):
            connect_args["connect_timeout"] = max(1, int(timeout))
        else:
            connect_args["timeout"] = timeout
        self.engine = make_engine(url, connect_args=connect_args)

    def __call__(self) -> CheckResult:
        from sqlalchemy.exc import SQLAlchemyError

        from storage.db import current_revisions, head_revisions

        try:
            current = current_revisions(self.engine)
        except SQLAlchemyError as exc:
            self.engine.dispose()  # drop pooled connections to the old server before the next try
            cause = getattr(exc, "orig", None) or exc
            return CheckResult(False, f"unreachable ({type(cause).__name__})")
        head = head_revisions()
        if current != head:
            at = ",".join(sorted(current)) or "empty"
            heads = ",".join(sorted(head))
            return CheckResult(False, f"migrations not current (at {at}, head {heads}); "
                                      "start-up migrates, see docs/deploy.md")
        return CheckResult(True, f"migrated ({','.join(sorted(head))})")

    def close(self) -> None:
        self.engine.dispose()


def index_check(coach: Any) -> CheckFn:
    """The coach's own index, so readiness sees exactly what answers use."""

    def check() -> CheckResult:
        index = getattr(getattr(coach, "retriever", None), "index", None)
        if index is None or not hasattr(index, "is_current"):
            return CheckResult(True, "no vector index in use")
        if index.is_current():
            return CheckResult(True, f"current ({str(getattr(index, 'digest', ''))[:12]})")
        return CheckResult(False, "not built or stale; run `ksb-coach index`")

    return check


class Readiness:
    """Runs every check concurrently; ready only when all pass."""

    def __init__(self, checks: dict[str, CheckFn], *, timeout: float) -> None:
        self.checks = checks
        self.timeout = timeout

    async def _run(self, check: CheckFn) -> CheckResult:
        try:
            return await asyncio.wait_for(asyncio.to_thread(check), self.timeout)
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


def default_readiness(settings: Settings, coach: Any) -> tuple[Readiness, Callable[[], None]]:
    """The production checks and a function that releases their resources."""
    database = DatabaseCheck(settings.effective_database_url, timeout=settings.readiness_timeout)
    readiness = Readiness({"database": database, "index": index_check(coach)},
                          timeout=settings.readiness_timeout)
    return readiness, database.close


async def warm_up(coach: Any) -> None:
    """Load the embedding model before the first user waits for it (in a thread: it is blocking)."""
    retrieve = getattr(getattr(coach, "retriever", None), "retrieve", None)
    if callable(retrieve):
        await asyncio.to_thread(retrieve, "how do I evidence monitoring a model in production", top=1)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


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
