"""Each person's weekly slot: read it, change it in words ("prompts friday 4pm"), snooze it.

The same functions serve the chat handlers and the Slack App Home, so both
always agree on what someone's setting is and when their next send will come.
Managers' settings time their nudge; everyone else's time their prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import time

from bot.scheduler.clock import Clock, zone, zone_name
from bot.scheduler.due import NUDGE, PROMPT, WEEKDAYS, Defaults, Occurrence, Schedule, upcoming
from storage.db import SessionFactory
from storage.people import get_person
from storage.schedule import get_setting, manager_recipients, save_setting

_OFF = re.compile(r"\b(off|stop|pause|disable|no more|unsubscribe)\b", re.I)
_ON = re.compile(r"\b(on|start|resume|enable)\b", re.I)
_DAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.I)
_TIME = re.compile(r"\b(?:at\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\s|$|[,.!])",
                   re.I)
_NOON = re.compile(r"\b(noon|midday)\b", re.I)


@dataclass(frozen=True)
class Change:
    """What a settings message asks for; all None means "just tell me my setting"."""

    enabled: bool | None = None
    weekday: int | None = None
    at: time | None = None

    @property
    def empty(self) -> bool:
        return self.enabled is None and self.weekday is None and self.at is None


def _hour(hour: int, minute: int, meridiem: str) -> time | None:
    meridiem = meridiem.lower().replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and 1 <= hour <= 6:  # "at 4" during a working week means 4pm
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def parse_change(text: str) -> Change | None:
    """Understand "prompts off", "prompts on", "prompts friday 4pm", "nudges monday 9:30"; None if not."""
    words = re.sub(r"^\s*(weekly\s+)?(prompts?|reminders?|nudges?)\b", "", text.strip(), flags=re.I)
    if not words.strip():
        return Change()
    day = _DAY.search(words)
    weekday = [w[:3] for w in WEEKDAYS].index(day.group(1).lower()) if day else None
    at: time | None = time(12, 0) if _NOON.search(words) else None
    clock_text = _DAY.sub(" ", words)
    match = _TIME.search(clock_text)
    if match:
        at = _hour(int(match.group(1)), int(match.group(2) or 0), match.group(3) or "")
        if at is None:
            return None
    if _OFF.search(words) and weekday is None and at is None:
        return Change(enabled=False)
    if weekday is not None or at is not None:
        return Change(enabled=True, weekday=weekday, at=at)
    if _ON.search(words):
        return Change(enabled=True)
    return None


_CHANGE_WORDS = re.compile(r"\d|\b(change|move|set|switch|make|put|turn|shift|every|at)\b", re.I)


def tries_to_change(text: str) -> bool:
    """A message `parse_change` did not understand still asked for a change when it names a time or a
    changing verb ("move my prompts to 25pm"); "when does my prompt come?" only asks what the setting is."""
    return bool(_CHANGE_WORDS.search(text) or _DAY.search(text))


@dataclass(frozen=True)
class SettingsView:
    """Someone's setting as they would want to read it."""

    person_id: int
    kind: str  # prompt | nudge
    schedule: Schedule
    timezone: str
    next: Occurrence | None


class PromptSettings:
    """Reads and writes prompt settings; every write is one upsert, so replicas cannot clash."""

    def __init__(self, *, sessions: SessionFactory, clock: Clock, defaults: Defaults) -> None:
        self._sessions = sessions
        self._clock = clock
        self._defaults = defaults

    def _load(self, person_id: int) -> tuple[str, Schedule, str, str | None]:
        with self._sessions() as session:
            person = get_person(session, person_id=person_id)
            if person is None:
                raise LookupError(f"no person {person_id}")
            kind = NUDGE if manager_recipients(session, person_ids=[person_id]) else PROMPT
            row = get_setting(session, person_id=person_id)
            base = self._defaults.for_kind(kind)
            schedule = base if row is None else Schedule(row.weekday, row.local_time, row.enabled,
                                                         row.snoozed_until)
            tz = zone_name(person.timezone, self._defaults.timezone)  # shown is used
            return kind, schedule, tz, None if row is None else row.last_ksb_id

    def view(self, person_id: int) -> SettingsView:
        kind, schedule, tz, _ = self._load(person_id)
        return self._view(person_id, kind, schedule, tz)

    def _view(self, person_id: int, kind: str, schedule: Schedule, tz: str) -> SettingsView:
        next_send = upcoming(schedule, zone(tz, self._defaults.timezone), self._clock.now())
        return SettingsView(person_id, kind, schedule, tz, next_send)

    def _save(self, person_id: int, schedule: Schedule, last_ksb_id: str | None) -> None:
        with self._sessions() as session:
            save_setting(session, person_id=person_id, weekday=schedule.weekday,
                         local_time=schedule.at, enabled=schedule.enabled,
                         snoozed_until=schedule.snoozed_until, last_ksb_id=last_ksb_id)
            session.commit()

    def change(self, person_id: int, change: Change) -> SettingsView:
        kind, schedule, tz, last = self._load(person_id)
        if change.empty:
            return self._view(person_id, kind, schedule, tz)
        updated = replace(
            schedule,
            enabled=schedule.enabled if change.enabled is None else change.enabled,
            weekday=schedule.weekday if change.weekday is None else change.weekday,
            at=schedule.at if change.at is None else change.at,
            snoozed_until=None if change.enabled else schedule.snoozed_until)
        self._save(person_id, updated, last)
        return self._view(person_id, kind, updated, tz)

    def snooze(self, person_id: int) -> tuple[SettingsView, Occurrence | None]:
        """Hold back the next send that would go out; snoozing again holds back the one after."""
        kind, schedule, tz, last = self._load(person_id)
        skipped = upcoming(schedule, zone(tz, self._defaults.timezone), self._clock.now())
        if skipped is None:
            return self._view(person_id, kind, schedule, tz), None
        updated = replace(schedule, snoozed_until=skipped.local_date)
        self._save(person_id, updated, last)
        return self._view(person_id, kind, updated, tz), skipped
