"""Work that runs after a chat platform has been answered (acked within its deadline)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWork:
    """Tasks kept referenced (never garbage-collected mid-flight), optionally bounded, drained on shutdown.

    A bound lets a burst queue without taking loop time, so new requests are
    still acked at once; failures are logged, never raised into the platform.
    """

    def __init__(self, *, name: str, max_working: int | None = None) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_working) if max_working else None

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            async with self._slots if self._slots is not None else contextlib.nullcontext():
                await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s background work failed", self._name)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let in-flight work finish; cancel what is still running after `timeout`."""
        pending = set(self._tasks)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)

    @property
    def busy(self) -> int:
        return len(self._tasks)


class Backgrounded:
    """`spawn`, `drain` and `busy` for a platform adapter whose slow work runs in `_background`."""

    _background: BackgroundWork

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the platform has been answered."""
        self._background.spawn(work)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let late answers finish (shutdown, tests); cancel what is still running after `timeout`."""
        await self._background.drain(timeout)

    @property
    def busy(self) -> int:
        return self._background.busy
