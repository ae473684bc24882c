"""When a weekly send is due: one occurrence per ISO week, at a local day and time.

The week key is the ISO week of the occurrence's local date, so the claim key
(person, kind, week) names exactly one send however often the scheduler ticks,
and a person who moves their day within a week is not prompted twice in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PROMPT = "prompt"
NUDGE = "nudge"
DEFAULT_GRACE = timedelta(hours=24)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Schedule:
    """A person's weekly slot; `snoozed_until` suppresses occurrences on or before that date."""

    weekday: int
    at: time
    enabled: bool = True
    snoozed_until: date | None = None


@dataclass(frozen=True)
class Occurrence:
    at: datetime  # aware UTC
    local: datetime  # aware, in the person's zone
    week: str

    @property
    def local_date(self) -> date:
        return self.local.date()


def week_key(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def localize(day: date, at: time, tz: ZoneInfo) -> Occurrence:
    """The instant `at` happens on `day` in `tz`.

    A wall time skipped by a spring-forward change resolves with the offset in
    force before it (01:30 in London becomes 02:30 BST); a repeated one picks
    its first occurrence. Either way there is exactly one instant per day.
    """
    local = datetime.combine(day, at, tzinfo=tz)
    instant = local.astimezone(UTC)
    return Occurrence(at=instant, local=instant.astimezone(tz), week=week_key(day))


def latest(schedule: Schedule, tz: ZoneInfo, now: datetime) -> Occurrence:
    """The most recent occurrence at or before `now`."""
    today = now.astimezone(tz).date()
    day = today - timedelta(days=(today.weekday() - schedule.weekday) % 7)
    occurrence = localize(day, schedule.at, tz)
    if occurrence.at > now:
        occurrence = localize(day - timedelta(days=7), schedule.at, tz)
    return occurrence


def upcoming(schedule: Schedule, tz: ZoneInfo, now: datetime) -> Occurrence | None:
    """The next occurrence that will actually be sent (after any snooze); None when off."""
    if not schedule.enabled:
        return None
    occurrence = latest(schedule, tz, now)
    while occurrence.at <= now or suppressed(schedule, occurrence):
        occurrence = localize(occurrence.local_date + timedelta(days=7), schedule.at, tz)
    return occurrence


def suppressed(schedule: Schedule, occurrence: Occurrence) -> bool:
    return schedule.snoozed_until is not None and occurrence.local_date <= schedule.snoozed_until


def due(schedule: Schedule, tz: ZoneInfo, now: datetime, *,
        grace: timedelta = DEFAULT_GRACE) -> Occurrence | None:
    """The occurrence to send now, if any: passed, at most `grace` ago, not snoozed, not off.

    Whether it was already sent is the claim table's business, not this function's.
    """
    if not schedule.enabled:
        return None
    occurrence = latest(schedule, tz, now)
    if now - occurrence.at > grace or suppressed(schedule, occurrence):
        return None
    return occurrence


@dataclass(frozen=True)
class Defaults:
    """What applies until a person sets their own day and time (settings can change these)."""

    prompt: Schedule = Schedule(weekday=4, at=time(15, 0))
    nudge: Schedule = Schedule(weekday=0, at=time(9, 0))
    timezone: str = "Europe/London"

    def for_kind(self, kind: str) -> Schedule:
        return self.nudge if kind == NUDGE else self.prompt
