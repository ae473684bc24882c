"""The real server with one chat platform mounted, on a loopback port: what the Slack and Teams
benches measure, built once so both measure the same thing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.search.retrieval import HybridRetriever
from bot.server import build_app
from bot.wiring import make_coach, make_retriever, open_settings_database


@dataclass(frozen=True)
class Served:
    url: str  # the platform's endpoint
    adapter: Any  # the mounted platform adapter, to drain its background work
    retriever: HybridRetriever


@asynccontextmanager
async def serving(data_dir: Path, *, mount: Callable[..., Awaitable[Any]], adapter_key: web.AppKey[Any],
                  path: str, fake: Any, **platform: Any) -> AsyncIterator[Served]:
    """`build_app` with `mount`, the grounded composer and a fresh database under `data_dir`;
    `platform` is that platform's settings. The fake (already started on its thread) is
    stopped on the way out, with the server and the database."""
    retriever = make_retriever(Settings(_env_file=None, openai_api_key="", openai_base_url=""))
    settings = Settings(_env_file=None, data_dir=data_dir, openai_api_key="", openai_base_url="", **platform)
    database = open_settings_database(settings)
    app = await build_app(settings=settings, coach=make_coach(settings, retriever=retriever, database=database),
                          mounts=[partial(mount, database=database)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield Served(f"http://127.0.0.1:{runner.addresses[0][1]}{path}", app[adapter_key], retriever)
    finally:
        await runner.cleanup()
        fake.stop_thread()
        database.dispose()
