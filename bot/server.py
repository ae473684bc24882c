"""One aiohttp server for every chat platform; each adapter mounts its own routes.

Around the adapters' routes sit the operational ones (/healthz, /readyz,
/metrics) and a middleware that counts and logs every request. /readyz and
/metrics go on OPS_PORT when it is set, else behind OPS_TOKEN, else only on a
loopback HOST; /healthz ("the process answers") is always on the chat port. `serve` drains
in-flight requests on SIGTERM before exiting, so a rolling deploy loses no
Slack event or Teams turn that had already arrived.
"""

from __future__ import annotations

import asyncio
import hmac
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
from bot.periodic import Lifetime
from knowledge.index import KsbIndex

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)

Mount = Callable[[web.Application, Coach, Settings], Awaitable[None] | None]
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SETTINGS_KEY = web.AppKey("settings", Settings)
COACH_KEY = web.AppKey("coach", Coach)


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(body=request.app[METRICS_KEY].exposition(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})


def _guarded(handler: RouteHandler, token: str) -> RouteHandler:
    """`handler` behind `Authorization: Bearer <token>` when a token is set (compared in constant time)."""
    if not token:
        return handler
    expected = f"Bearer {token}".encode()

    async def checked(request: web.Request) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    return checked


def add_ops_routes(app: web.Application, settings: Settings) -> None:
    """/readyz and /metrics: they say which dependency is down and how busy the bot is, so only the
    network's own probes and scrapers should read them (OPS_PORT, OPS_TOKEN or a loopback HOST)."""
    token = settings.ops_token.get_secret_value()
    app.router.add_get("/readyz", _guarded(readyz, token))
    app.router.add_get("/metrics", _guarded(_metrics, token))


async def build_ops_app(app: web.Application, settings: Settings) -> web.Application:
    """The OPS_PORT app: /healthz, /readyz and /metrics reading the main app's readiness and metrics."""
    ops = web.Application()
    ops[READINESS_KEY] = app[READINESS_KEY]
    ops[METRICS_KEY] = app[METRICS_KEY]
    ops.router.add_get("/healthz", healthz)
    add_ops_routes(ops, settings)
    return ops


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
    if settings.ops_on_main_port:
        add_ops_routes(app, settings)
    elif not settings.ops_port:
        log.warning("/readyz and /metrics are not served: HOST %s is reachable from outside; set OPS_PORT "
                    "(an internal port) or OPS_TOKEN for probes and scrapers", settings.host)
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
    ops_runner = None
    if settings.ops_port:
        ops_runner = web.AppRunner(await build_ops_app(app, settings), access_log=None, handle_signals=False)
        await ops_runner.setup()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await warm_up(coach)
        site = web.TCPSite(runner, host, port)
        await site.start()
        if ops_runner is not None:
            await web.TCPSite(ops_runner, host, settings.ops_port).start()
            log.warning("/readyz and /metrics on port %s only", settings.ops_port)
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
        if ops_runner is not None:
            await ops_runner.cleanup()
        await asyncio.to_thread(coach.close)  # heavy work, retrieval and database threads: none outlives serve
        log.warning("stopped")
