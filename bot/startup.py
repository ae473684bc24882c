"""Start-up waits out an outage: Chroma or the database unreachable → retry with back-off, one line per try.

A replica that starts while a dependency is down (a restarting PostgreSQL, a
Chroma server still booting) used to exit with a traceback. It now tries again
with exponential back-off (tenacity), logging one line per wait that names what
is unreachable, and starts as soon as the dependency answers. After
STARTUP_WAIT seconds it gives up with `DependencyDown`, which `serve` prints as
one line before exiting 1, so the platform restarts it. Anything that is not an
outage (a bad URL, a wrong password, a broken migration) fails at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import tenacity
from sqlalchemy.exc import InterfaceError, OperationalError

from knowledge.index import IndexUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_WAIT = 1.0
MAX_WAIT = 30.0


class DependencyDown(Exception):
    """Still unreachable when start-up gave up; the message is one line for the operator."""


def outage(exc: BaseException) -> str:
    """What kind of connection failure `exc` is ("" when it is not an outage)."""
    if isinstance(exc, IndexUnavailable):
        return exc.detail if exc.reason == "unreachable" else ""
    if isinstance(exc, OperationalError | InterfaceError):
        return type(getattr(exc, "orig", None) or exc).__name__
    return ""


def wait_for(what: str, attempt: Callable[[], T], *, within: float, first_wait: float = FIRST_WAIT,
             max_wait: float = MAX_WAIT, sleep: Callable[[float], None] = time.sleep) -> T:
    """`attempt()`, retried while it fails with an outage, for up to `within` seconds."""

    def say(state: tenacity.RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s unreachable (%s); trying again in %.0f s", what,
                    outage(failure) if failure else "?", wait)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: bool(outage(exc))),
        wait=tenacity.wait_exponential(multiplier=first_wait, max=max_wait) + tenacity.wait_random(0, first_wait),
        stop=tenacity.stop_after_delay(within), before_sleep=say, reraise=True, sleep=sleep)
    try:
        return retrying(attempt)
    except Exception as exc:
        kind = outage(exc)
        if kind:
            raise DependencyDown(f"{what} still unreachable after {within:g} s ({kind}); "
                                 f"giving up (STARTUP_WAIT)") from exc
        raise
