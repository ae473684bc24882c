"""The limits every turn passes, whatever path it came by: its length, and how fast one person sends.

Typed messages, slash commands, modals and card submits all reach the coach as
an `Incoming`; the text a person wrote is in `text` or in the payload's string
fields. Checking here, once, means no path can save what another would refuse.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator

from cachetools import LRUCache

from bot.messages import Incoming
from bot.ownership import owner_of
from bot.replay import is_replay

MAX_INPUT = 4000  # characters of one message or one form field
PEOPLE_TRACKED = 10_000
WINDOW = 60.0


def too_long(incoming: Incoming) -> bool:
    """True when the message or any text of a button or form, however deep, is over MAX_INPUT characters."""
    if len(incoming.text) > MAX_INPUT:
        return True
    return any(len(text) > MAX_INPUT for text in _strings(incoming.payload))


def _strings(value: object) -> Iterator[str]:
    """Every string in a payload, keys too, inside lists and dicts at any depth: a submitted card's data
    is the sender's to shape. A stack rather than recursion, so no nesting is deep enough to fail."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


class TurnLimiter:
    """At most `per_minute` turns per person in any sliding minute; memory bounded by PEOPLE_TRACKED.

    A turn replayed from the inbox (`bot.replay`) is let through uncounted: it was counted when it
    came in, and its words were acked, so "slow down" would lose them; counting it again would
    refuse the person's next real turns for something they sent once."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._turns: LRUCache[str, deque[float]] = LRUCache(maxsize=PEOPLE_TRACKED)  # the least recent go first

    def allow(self, incoming: Incoming) -> bool:
        if is_replay():
            return True
        now = self._clock()
        key = owner_of(incoming.user)
        turns = self._turns.get(key) or deque()
        while turns and now - turns[0] >= WINDOW:
            turns.popleft()
        allowed = len(turns) < self._per_minute
        if allowed:
            turns.append(now)
        self._turns[key] = turns
        return allowed
