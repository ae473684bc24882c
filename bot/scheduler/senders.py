"""Sending to many platforms: route by platform, and the pieces every sender shares for rate limits.

Platform senders implement the `Sender` port (bot/ports.py); `RoutingSender` picks one by the
person's platform. Each sender retries a 429 through a kept library (Slack: slack_sdk's retry
handler, Teams: tenacity) after the platform's Retry-After, reporting it to the shared budget
(`RateLimitHook`) and asking the scheduler's `GoAhead` before it tries again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from bot.messages import Reply
from bot.ports import Accepted, Address, GoAhead, Picture, Sender

NEEDS_REFERENCE = frozenset({"teams"})  # platforms that can only message a chat they have seen
RateLimitHook = Callable[[str, float], Awaitable[None]]  # (scope, Retry-After): `SendBudget.hold_off`
MAX_WAIT = 60.0  # seconds: a longer Retry-After is cut to this


class SendCounter(Protocol):
    """Counts a delivered proactive message (`Metrics.prompt_sent` is one)."""

    def __call__(self, *, kind: str, platform: str) -> None: ...


def retry_after(headers: Mapping[str, Any] | None, default: float = 1.0) -> float:
    """Retry-After in seconds from any header mapping (case-insensitive), capped at MAX_WAIT."""
    for key, value in (headers or {}).items():
        if str(key).lower() == "retry-after":
            try:
                return min(max(float(value if not isinstance(value, list) else value[0]), 0.0), MAX_WAIT)
            except (TypeError, ValueError):
                return default
    return default


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
                   accepted: Accepted | None = None, go_ahead: GoAhead | None = None) -> bool:
        sender = self._senders.get(to.platform)
        if sender is None:
            return False
        return await sender.send(to=to, reply=reply, picture=picture, accepted=accepted, go_ahead=go_ahead)

    def learned(self) -> dict[int, tuple[str, dict[str, Any]]]:
        found: dict[int, tuple[str, dict[str, Any]]] = {}
        for sender in self._senders.values():
            found.update(sender.learned())
        return found

    async def close(self) -> None:
        for sender in self._senders.values():
            await sender.close()
