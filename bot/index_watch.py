"""Keep a running replica on the current index: follow re-indexing, survive Chroma outages, know when to give up.

`serve` re-reads the index pointer every INDEX_REFRESH seconds (in a thread:
Chroma calls block). A re-index elsewhere (`ksb-coach index --force`) is picked
up without a restart; a collection deleted under the replica is reloaded or
rebuilt. While Chroma is unreachable the vectors already in memory keep
answering and the watch logs one line when the outage starts and one when it
ends, not one per try.

Liveness: a replica whose index has been unusable (nothing in memory, and every
reload failing for a reason other than an outage) for longer than
INDEX_UNHEALTHY_AFTER seconds fails /healthz, so the platform restarts it.
Restarting cannot fix an outage, so an unreachable Chroma never fails liveness;
/readyz names it instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bot.periodic import Lifetime, every
from knowledge.index import IndexUnavailable, KsbIndex, unavailable

log = logging.getLogger(__name__)


class IndexWatch:
    def __init__(self, index: KsbIndex, *, unhealthy_after: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.index = index
        self._unhealthy_after = unhealthy_after
        self._clock = clock
        self._problem: IndexUnavailable | None = None
        self._failing_since: float | None = None

    def check(self) -> bool:
        """Follow the pointer once (blocking); True when a new collection was loaded."""
        try:
            changed = self.index.refresh()
        except Exception as exc:  # noqa: BLE001 - recorded and logged once; the next tick tries again
            self._failed(unavailable(exc))
            return False
        if self._problem is not None:
            log.warning("index usable again (after: %s)", self._problem)
        self._problem = None
        self._failing_since = None
        return changed

    def _failed(self, problem: IndexUnavailable) -> None:
        if self._problem is None or self._problem.reason != problem.reason:
            log.warning("index %s: %s; %s", "Chroma" if problem.reason == "unreachable" else "collection",
                        problem, "answering from the loaded vectors" if self.index.loaded else "not answering")
        self._problem = problem
        if self._failing_since is None:
            self._failing_since = self._clock()

    def live(self) -> tuple[bool, str]:
        """For /healthz: False only when restarting could help and waiting has not."""
        problem, since = self._problem, self._failing_since
        if problem is None or since is None or self.index.loaded or problem.reason == "unreachable":
            return True, "ok"
        if self._clock() - since < self._unhealthy_after:
            return True, f"index {problem}, retrying"
        return False, f"index unusable for {self._clock() - since:.0f}s ({problem}); restart me"

    def lifetime(self, interval: float) -> Lifetime:
        """An aiohttp cleanup context: the watch runs every `interval` seconds while the app does."""

        async def check() -> None:
            await asyncio.to_thread(self.check)

        return every(interval, check, name="index watch")
