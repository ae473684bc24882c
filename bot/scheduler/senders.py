"""Sending to many platforms: route by platform, and wait out rate limits.

Platform senders implement the `Sender` port (bot/ports.py); `RoutingSender` picks one by the
person's platform. Every platform call goes through `Backoff`, which honours a
429's Retry-After, so a rate-limited burst slows down instead of losing sends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from bot.messages import Reply
from bot.ports import Accepted, Address, Picture, Sender

log = logging.getLogger(__name__)
T = TypeVar("T")
NEEDS_REFERENCE = frozenset({"teams"})  # platforms that can only message a chat they have seen
Sleep = Callable[[float], Awaitable[None]]  # asyncio.sleep, or a test's recorder
RateLimitHook = Callable[[str, float], Awaitable[None]]  # (scope, Retry-After): `SendBudget.hold_off`


class RateLimited(Exception):
    """The platform said 429; `retry_after` is its Retry-After in seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after}s")
        self.retry_after = retry_after


def retry_after(headers: Mapping[str, Any] | None, default: float = 1.0) -> float:
    """Retry-After in seconds from any header mapping (case-insensitive)."""
    for key, value in (headers or {}).items():
        if str(key).lower() == "retry-after":
            try:
                return max(float(value if not isinstance(value, list) else value[0]), 0.0)
            except (TypeError, ValueError):
                return default
    return default


class Backoff:
    """Retries an operation after each 429, waiting what the platform asked (capped)."""

    def __init__(self, *, retries: int = 5, max_wait: float = 60.0,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.waits: list[float] = []

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                return await operation()
            except RateLimited as limited:
                attempt += 1
                if attempt > self.retries:
                    raise
                wait = min(limited.retry_after, self.max_wait)
                self.waits.append(wait)
                log.info("rate limited; waiting %.1fs (attempt %d)", wait, attempt)
                await self.sleep(wait)


def reachable(sender: Sender, *, platform: str, has_reference: bool) -> bool:
    """Whether a send to this person can work at all (else it is not even claimed)."""
    return sender.handles(platform) and (platform not in NEEDS_REFERENCE or has_reference)


class RoutingSender:
    """One sender per platform, chosen by the recipient's platform."""

    def __init__(self, senders: Mapping[str, Sender]) -> None:
        self._senders = dict(senders)

    def handles(self, platform: str) -> bool:
        return platform in self._senders

    async def send(self, *, to: Address, reply: Reply, picture: Picture | None = None,
                   accepted: Accepted | None = None) -> bool:
        sender = self._senders.get(to.platform)
        if sender is None:
            return False
        return await sender.send(to=to, reply=reply, picture=picture, accepted=accepted)

    def learned(self) -> dict[int, tuple[str, dict[str, Any]]]:
        found: dict[int, tuple[str, dict[str, Any]]] = {}
        for sender in self._senders.values():
            found.update(sender.learned())
        return found

    async def close(self) -> None:
        for sender in self._senders.values():
            await sender.close()
