"""Each person's weekly slot: read it, change it, snooze it.

The same functions serve the chat handlers and the Slack App Home, so both
always agree on what someone's setting is and when their next send will come.
Managers' settings time their nudge; everyone else's time their prompt. Reading
a change from chat words is the handlers' job (bot/handlers/setting_words.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import time

from bot.scheduler.clock import Clock, zone, zone_name
from bot.scheduler.due import NUDGE, PROMPT, Defaults, Occurrence, Schedule, upcoming
from storage.db import SessionFactory
from storage.people import get_person
from storage.schedule import get_setting, manager_recipients, save_setting


@dataclass(frozen=True)
class Change:
    """What a settings message asks for; all None means "just tell me my setting"."""

    enabled: bool | None = None
    weekday: int | None = None
    at: time | None = None

    @property
    def empty(self) -> bool:
        return self.enabled is None and self.weekday is None and self.at is None


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
