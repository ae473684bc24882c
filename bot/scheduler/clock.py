"""Time as the scheduler sees it: an injectable clock and forgiving time-zone lookup.

Everything the scheduler decides depends on "now", so tests and `schedule tick
--now` hand in a fixed clock instead of patching the system one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/London"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = aware(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def aware(value: datetime) -> datetime:
    """Naive datetimes are UTC (that is how storage keeps them)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """ISO-8601 (a trailing Z allowed); without an offset the value is taken as UTC."""
    return aware(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


@lru_cache(maxsize=1024)
def known_zone(name: str) -> str:
    """`name` when it is a time zone this machine knows, else "": an unknown one is never stored."""
    name = name.strip()
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    return name


def zone_name(name: str, default: str = DEFAULT_TIMEZONE) -> str:
    """The zone actually used for `name`: it, or the default when it is missing or unknown.

    What a person is shown is this name, so the zone shown is always the zone used.
    """
    return known_zone(name) or known_zone(default) or DEFAULT_TIMEZONE


def zone(name: str, default: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    """The named zone, or the default when the platform gave none or an unknown one."""
    return ZoneInfo(zone_name(name, default))
