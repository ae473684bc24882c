"""Bounded, expiring in-process memory: what a long-running replica remembers about people and threads.

A replica runs for weeks; anything it keeps per person or per thread must be
bounded (or memory grows with the workspace) and expire (or a renamed person,
a moved time zone or a re-opened DM channel is never seen). Each cache keeps at
most `maxsize` entries, each for at most `ttl` seconds; losing one costs a
single Slack lookup, never a wrong answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

from cachetools import TTLCache

HOUR = 3600.0
DAY = 24 * HOUR


class ExpiringSet:
    """A set whose members are forgotten after `ttl` seconds, keeping at most `maxsize` of them."""

    def __init__(self, *, maxsize: int, ttl: float, timer: Callable[[], float] = time.monotonic) -> None:
        self._members: TTLCache[Hashable, bool] = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, Hashable) and key in self._members

    def __len__(self) -> int:
        return len(self._members)

    def add(self, key: Hashable) -> None:
        self._members[key] = True
