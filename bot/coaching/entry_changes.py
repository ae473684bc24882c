"""Changes to a saved entry after the fact: its tags (by button, chat or CLI), its date and hours.

Every change is checked by `bot.coaching.authz` (only the author changes an entry)
and audited, and a request is validated whole before anything is written,
so a bad id in "confirm S5 and S99" changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.coaching.authz import Actor, check_own_entries
from bot.coaching.directory import Directory
from bot.messages import UserRef
from bot.ui_text import ui
from knowledge.model import Standard
from storage import audit, entries, tags
from storage.db import SessionFactory
from storage.models import Entry, EntryTag

MAX_ENTRY_HOURS = 24.0

EARLIEST_ENTRY = timedelta(days=6 * 366)  # longer than any apprenticeship, so only absurd dates are refused


@dataclass(frozen=True)
class Pending:
    id: str
    reason: str


@dataclass(frozen=True)
class TagChangeDone:
    """What a tag change did to one entry: the reply to it is written from this."""

    entry_id: int
    source: str  # confirmed | removed
    changed: tuple[str, ...]
    added: tuple[str, ...]  # the changed ids that were not on the entry before
    unchanged: tuple[str, ...]  # already so, or (for removal) never on the entry
    pending: tuple[Pending, ...]  # suggestions still waiting for a decision
    snippet: str  # the entry's first words, so "that one" can be checked


@dataclass(frozen=True)
class Corrected:
    entry_id: int
    work_date: date
    hours: float


class EntryChanges:
    def __init__(self, *, session_factory: SessionFactory, standard: Standard) -> None:
        self._sessions = session_factory
        self._standard = standard

    async def tags(self, *, actor: Actor, entry_id: int, ids: Sequence[str], source: str,
                   every_suggestion: bool = False) -> TagChangeDone:
        """Confirm or remove KSB ids on one entry; `every_suggestion` stands for all that wait."""
        known = self.known_ids(ids)
        return await self._sessions.run(self._tags, actor, entry_id, known, source, every_suggestion)

    async def latest(self, *, actor: Actor) -> int | None:
        def find() -> int | None:
            with self._sessions() as session:
                entry = entries.latest_entry(session, person_id=actor.id)
                return entry.id if entry is not None else None

        return await self._sessions.run(find)

    async def correct(self, *, actor: Actor, entry_id: int, work_date: date | None = None,
                      hours: float | None = None, today: date, event_key: str = "") -> Corrected:
        """Set the entry's date or hours (the same values again on a replay); audited once per chat event."""
        check_entry_fields(work_date=work_date, hours=hours, today=today)
        return await self._sessions.run(self._correct, actor, entry_id, work_date, hours, event_key)

    async def owned_snippet(self, *, actor: Actor, entry_id: int) -> str:
        """The entry's first words when `actor` may act on it; Forbidden or LookupError otherwise."""
        def find() -> str:
            with self._sessions() as session:
                return snippet(self._owned(actor, entries.get_entry(session, entry_id=entry_id), entry_id).text)

        return await self._sessions.run(find)

    def known_ids(self, ids: Sequence[str]) -> list[str]:
        """The ids as the standard spells them; ValueError naming the first it does not have."""
        known: list[str] = []
        for raw in ids:
            ksb = self._standard.ksb(raw.strip())
            if ksb is None:
                raise ValueError(ui("error_no_such_ksb", reference=self._standard.reference, id=raw.strip().upper()))
            if ksb.id not in known:
                known.append(ksb.id)
        return known

    def _owned(self, actor: Actor, entry: Entry | None, entry_id: int) -> Entry:
        if entry is None:
            raise LookupError(ui("error_no_such_entry", id=entry_id))
        check_own_entries(actor, owner_id=entry.person_id)
        return entry

    def _tags(self, actor: Actor, entry_id: int, ids: list[str], source: str,
              every_suggestion: bool) -> TagChangeDone:
        with self._sessions() as session:
            entry = self._owned(actor, entries.get_entry(session, entry_id=entry_id), entry_id)
            current = {t.ksb_id: t for t in tags.tags_for(session, entry_ids=[entry_id]).get(entry_id, [])}
            if every_suggestion:
                ids = [k for k, t in current.items() if t.source == "suggested"]
            changed: list[str] = []
            added: list[str] = []
            unchanged: list[str] = []
            for ksb_id in ids:
                now = current.get(ksb_id)
                absent = now is None or now.source == "removed"
                if (now is not None and now.source == source) or (source == "removed" and absent):
                    unchanged.append(ksb_id)
                    continue
                current[ksb_id] = tags.set_tag(session, entry_id=entry_id, ksb_id=ksb_id, source=source,
                                               reason=None if now is not None else ui("tag_reason_added"))
                audit.record(session, action=f"tag.{source}", actor_id=actor.id, subject_id=entry.person_id,
                             target=f"entry:{entry_id}", detail={"ksb": ksb_id})
                changed.append(ksb_id)
                if absent:
                    added.append(ksb_id)
            session.commit()
            return TagChangeDone(entry_id, source, tuple(changed), tuple(added), tuple(unchanged),
                             _waiting(current.values()), snippet(entry.text))

    def _correct(self, actor: Actor, entry_id: int, work_date: date | None, hours: float | None,
                 event_key: str = "") -> Corrected:
        with self._sessions() as session:
            self._owned(actor, entries.get_entry(session, entry_id=entry_id), entry_id)
            entry = entries.correct_entry(session, entry_id=entry_id, work_date=work_date, otj_hours=hours)
            assert entry is not None
            detail: dict[str, object] = {}
            if work_date is not None:
                detail["date"] = work_date.isoformat()
            if hours is not None:
                detail["hours"] = hours
            audit.record(session, action="entry.corrected", actor_id=actor.id, subject_id=entry.person_id,
                         target=f"entry:{entry_id}", detail=detail, event_key=event_key)
            session.commit()
            return Corrected(entry_id, entry.work_date, entry.otj_hours)


def earliest_entry(today: date) -> date:
    """The earliest day an entry may be dated: anything before is absurd (0001-01-01 would count hours)."""
    return today - EARLIEST_ENTRY


def check_entry_fields(*, work_date: date | None, hours: float | None, today: date) -> None:
    """What an entry's date and hours must be, for a new entry and a correction alike: not a future
    day, not before any apprenticeship could have started, not more than a day's hours."""
    if work_date is not None and work_date > today:
        raise ValueError(ui("error_future_date", date=work_date.isoformat()))
    if work_date is not None and work_date < earliest_entry(today):
        raise ValueError(ui("reflect_date_too_early", date=work_date.isoformat(),
                            earliest=earliest_entry(today).isoformat()))
    if hours is not None and not 0 <= hours <= MAX_ENTRY_HOURS:
        raise ValueError(ui("error_too_many_hours", hours=f"{hours:g}", most=f"{MAX_ENTRY_HOURS:g}"))


def snippet(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _waiting(found: Iterable[EntryTag]) -> tuple[Pending, ...]:
    return tuple(Pending(t.ksb_id, t.reason or "") for t in found if t.source == "suggested")


class EntryAccess:
    """Which entries a person may act on, for the agent's proposals: someone never seen has none."""

    def __init__(self, *, directory: Directory, changes: EntryChanges) -> None:
        self._directory = directory
        self._changes = changes

    async def snippet(self, user: UserRef, entry_id: int) -> str:
        actor = await self._directory.existing_actor(user)
        if actor is None:
            raise LookupError(ui("error_no_such_entry", id=entry_id))
        return await self._changes.owned_snippet(actor=actor, entry_id=entry_id)
