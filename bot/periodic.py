"""Background jobs that run every so often inside `serve`: started and stopped with the web app.

Each job runs to completion before its next wait starts, so a slow one never
piles up; a failing one is the job's own business to log (this loop never dies
of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Lifetime = Callable[[Any], contextlib.AbstractAsyncContextManager[None]]


def every(interval: float, job: Callable[[], Awaitable[object]], *, name: str) -> Lifetime:
    """An aiohttp cleanup context running `job` every `interval` seconds while the app runs."""

    @contextlib.asynccontextmanager
    async def running(_app: Any) -> AsyncIterator[None]:
        stop = asyncio.Event()

        async def loop() -> None:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                if stop.is_set():
                    break
                try:
                    await job()
                except Exception as exc:  # noqa: BLE001 - the loop outlives any one run; one line, no traceback
                    log.warning("%s failed (%s: %s); next run in %g s", name, type(exc).__name__, exc, interval)

        task = asyncio.create_task(loop(), name=name)
        try:
            yield
        finally:
            stop.set()
            await task

    return running
