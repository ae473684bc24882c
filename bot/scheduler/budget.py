"""One rate-limit budget per Slack workspace or Teams tenant, shared by every replica.

Each replica's scheduler sends `concurrency` messages at once; without a shared
budget, N replicas hit one workspace N times as hard, and each backs off from a
429 on its own while the others keep going. Here every send first counts itself
in the workspace's row of `send_budget` (one upsert in PostgreSQL or SQLite):
past `per_second` sends in the current second it waits for the next one; and a
429 seen by any replica pauses that workspace for all of them until its
Retry-After has passed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from storage import schedule as claims
from storage.db import SessionFactory

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]  # asyncio.sleep, or a test's recorder


def scope_of(platform: str, workspace_id: str) -> str:
    return f"{platform}:{workspace_id}"[:160]


class SendBudget:
    """`per_second` sends per scope across all replicas; 0 turns the budget off (no database work)."""

    def __init__(self, *, sessions: SessionFactory, per_second: int, clock: Callable[[], float] = time.time,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._sessions = sessions
        self.per_second = per_second
        self._clock = clock
        self._sleep = sleep

    def _take(self, scope: str, window_start: int) -> tuple[int, float | None]:
        with self._sessions() as session:
            return claims.take_budget(session, scope=scope, window_start=window_start)

    async def acquire(self, scope: str) -> None:
        """Return once this send fits the scope's budget (waiting for the next second if not)."""
        if self.per_second <= 0:
            return
        while True:
            now = self._clock()
            used, paused_until = await self._sessions.run(self._take, scope, int(now))
            if paused_until is not None and paused_until > now:
                wait = paused_until - now
            elif used <= self.per_second:
                return
            else:  # a little jitter, so the waiting replicas do not all come back at the same instant
                wait = int(now) + 1 - now + random.uniform(0.0, 0.05)
            await self._sleep(wait)

    def _pause(self, scope: str, until: float) -> None:
        with self._sessions() as session:
            claims.pause_budget(session, scope=scope, until=until)

    async def hold_off(self, scope: str, seconds: float) -> None:
        """A platform said 429: every replica waits `seconds` before its next send to this scope."""
        if self.per_second <= 0:
            return
        try:
            await self._sessions.run(self._pause, scope, self._clock() + seconds)
        except Exception:  # noqa: BLE001 - the sender still waits out its own 429
            log.exception("could not share a rate-limit pause for %s", scope)
