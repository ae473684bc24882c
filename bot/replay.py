"""Whether the turn being worked on is a replay: an acked turn taken from the inbox again after its
replica died, handed it back at shutdown, or failed to answer it.

The inbox marks the task that replays a turn (`replaying_turn`); what must treat a replay apart
reads it (`is_replay`) wherever it sits below the adapters, so no platform's handler has to carry
the fact through. The turn limiter is one: a replayed turn was counted when it first came in,
and refusing it now would answer acked words with "slow down".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_REPLAYING: ContextVar[bool] = ContextVar("ksb_replaying", default=False)


def is_replay() -> bool:
    """True inside a turn the inbox is replaying (and the tasks it starts)."""
    return _REPLAYING.get()


@contextlib.contextmanager
def replaying_turn() -> Iterator[None]:
    """Mark what runs inside as a replayed turn."""
    token = _REPLAYING.set(True)
    try:
        yield
    finally:
        _REPLAYING.reset(token)
