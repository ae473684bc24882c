"""One aiohttp server for every chat platform; each adapter mounts its own routes.

Around the adapters' routes sit the operational ones (/healthz, /readyz,
/metrics) and a middleware that counts and logs every request. `serve` drains
in-flight requests on SIGTERM before exiting, so a rolling deploy loses no
Slack event or Teams turn that had already arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from bot.coach import Coach
from bot.config import Settings
from bot.health import LIVENESS_KEY, READINESS_KEY, Readiness, default_readiness, healthz, readyz, warm_up
from bot.index_watch import IndexWatch
from bot.limits import TurnLimiter
from bot.observability import METRICS_KEY, Metrics
from bot.observability.instrument import instrument_coach
from bot.observability.metrics import CONTENT_TYPE_LATEST
from bot.observability.middleware import make_middleware
from knowledge.index import KsbIndex

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)

Mount = Callable[[web.Application, Coach, Settings], Awaitable[None] | None]
Lifetime = Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]
SETTINGS_KEY = web.AppKey("settings", Settings)
COACH_KEY = web.AppKey("coach", Coach)


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(body=request.app[METRICS_KEY].exposition(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})


async def build_app(*, settings: Settings, coach: Coach, mounts: list[Mount] | None = None,
                    metrics: Metrics | None = None, readiness: Readiness | None = None,
                    database: Database | None = None) -> web.Application:
    """The web app with health, readiness, metrics and every configured platform's routes.

    `database` is the process's one engine, which readiness then checks (else it opens its own).
    """
    metrics = metrics or Metrics()
    app = web.Application(client_max_size=1024 * 1024, middlewares=[make_middleware(metrics)])
    app[SETTINGS_KEY] = settings
    app[COACH_KEY] = coach
    app[METRICS_KEY] = metrics
    instrument_coach(coach, metrics)
    coach.limit_rate(TurnLimiter(settings.turns_per_minute))
    if readiness is None:
        readiness, release = default_readiness(settings, coach, database)

        async def _release(_app: web.Application) -> None:
            release()

        app.on_cleanup.append(_release)
    app[READINESS_KEY] = readiness
    index = getattr(coach.retriever, "index", None)
    if isinstance(index, KsbIndex):  # follow re-indexing and outages; fail liveness when a restart would help
        watch = IndexWatch(index, unhealthy_after=settings.index_unhealthy_after)
        app[LIVENESS_KEY] = watch.live
        app.cleanup_ctx.append(watch.lifetime(settings.index_refresh))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", _metrics)
    for mount in mounts or []:
        result = mount(app, coach, settings)
        if result is not None:
            await result
    return app


async def serve(*, settings: Settings, coach: Coach, host: str, port: int, mounts: list[Mount],
                background: Sequence[Lifetime] = (), metrics: Metrics | None = None,
                stop: asyncio.Event | None = None, database: Database | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or `stop`), then drain for up to SHUTDOWN_TIMEOUT seconds.

    `mounts` add the platforms' routes; `background` (the scheduler) starts and
    stops with the app. Both come from `bot.wiring`.
    """
    app = await build_app(settings=settings, coach=coach, mounts=mounts, metrics=metrics, database=database)
    app.cleanup_ctx.extend(background)
    runner = web.AppRunner(app, access_log=None, handle_signals=False,
                           shutdown_timeout=settings.shutdown_timeout)
    await runner.setup()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await warm_up(coach)
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        log.warning("KSB Coach listening on http://%s:%s", host, bound,
                    extra={"host": host, "port": bound})
        await stop.wait()
        log.warning("shutting down: draining in-flight requests",
                    extra={"shutdown_timeout": settings.shutdown_timeout})
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        log.warning("stopped")
