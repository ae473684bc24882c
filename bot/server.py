"""One aiohttp server for every chat platform; each adapter mounts its own routes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.coach import Coach
from bot.config import Settings

log = logging.getLogger(__name__)

Mount = Callable[[web.Application, Coach, Settings], Awaitable[None] | None]


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def build_app(*, settings: Settings, coach: Coach, mounts: list[Mount] | None = None) -> web.Application:
    """The web app with health checks and every configured platform's routes."""
    app = web.Application(client_max_size=1024 * 1024)
    app["settings"] = settings
    app["coach"] = coach
    app.router.add_get("/healthz", _healthz)
    for mount in mounts if mounts is not None else configured_mounts(settings):
        result = mount(app, coach, settings)
        if result is not None:
            await result
    return app


def configured_mounts(settings: Settings) -> list[Mount]:
    """The platform adapters whose settings are present; adapters add themselves here."""
    mounts: list[Mount] = []
    return mounts


async def serve(*, settings: Settings, coach: Coach, host: str, port: int) -> None:
    app = await build_app(settings=settings, coach=coach)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.warning("KSB Coach listening on http://%s:%s", host, port)
    try:
        import asyncio

        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
