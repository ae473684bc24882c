"""Reflections: save the apprentice's words first, then suggest the KSBs they evidence.

The entry is committed before the tagger runs. If tagging fails or overruns
its timeout the entry stays, marked 'pending', and `retag_pending` tries again
later; the user's words are never lost to a tagging problem. (A tagger that
overruns is abandoned, not killed: Python cannot stop a thread, so the port's
implementations should keep their own work bounded.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.coaching.authz import Actor, check_own_entries
from bot.coaching.entry_changes import MAX_ENTRY_HOURS
from bot.ports import Tagger, TagSuggestion
from bot.search.entry_noise import noise_kind
from bot.ui_text import ui
from bot.work_pool import PoolFull, WorkPool
from knowledge.registry import Knowledge
from storage import audit, entries, tags
from storage.db import SessionFactory
from storage.models import Entry, EntryTag

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Recorded:
    entry_id: int
    status: str  # ok | pending
    suggestions: tuple[TagSuggestion, ...]
    confirmed: tuple[str, ...]
    ignored: tuple[str, ...] = ()  # KSB ids given that the standard does not have
    problem: str = ""  # "" | timeout | error


@dataclass(frozen=True)
class EntryView:
    entry: Entry
    tags: tuple[EntryTag, ...]

    def ids(self, source: str) -> list[str]:
        return [t.ksb_id for t in self.tags if t.source == source]


class Reflections:
    def __init__(self, *, session_factory: SessionFactory, knowledge: Knowledge, tagger: Tagger,
                 timeout: float = 5.0, top: int = 3, pool: WorkPool | None = None) -> None:
        """`pool` runs the tagger (bounded, fair, cancellable: `bot.work_pool`); share one per process."""
        self._sessions = session_factory
        self._standard = knowledge.standard
        self._tagger = tagger
        self._pool = pool or WorkPool()
        self._timeout = timeout
        self._top = top

    async def record(self, *, actor: Actor, text: str, work_date: date | None = None,
                     hours: float = 0.0, confirmed: Sequence[str] = (), event_key: str = "") -> Recorded:
        """Commit the entry, then tag it; tagging trouble degrades the result, not the data.

        With `event_key` (the chat event that carried the words) the entry is saved once per event:
        a replay from the inbox finds it and answers as the first time would have.
        """
        text = text.strip()
        if not text:
            raise ValueError(ui("error_reflection_empty"))
        if not 0 <= hours <= MAX_ENTRY_HOURS:
            raise ValueError(ui("error_hours_range", most=f"{MAX_ENTRY_HOURS:g}"))
        known, ignored = self._split_known(confirmed)
        entry_id = await self._sessions.run(self._save, actor, text, work_date or date.today(), hours, known,
                                            event_key)
        suggestions, problem = await self._suggest(text, owner=str(actor.id))
        if problem:
            return Recorded(entry_id, "pending", (), tuple(known), tuple(ignored), problem)
        fresh = [s for s in suggestions if s.id not in known]
        try:
            await self._sessions.run(self._store_suggestions, entry_id, fresh)
        except SQLAlchemyError:  # the entry is saved; it stays pending and is retagged later
            log.exception("storing suggestions for entry %s failed", entry_id)
            return Recorded(entry_id, "pending", (), tuple(known), tuple(ignored), "error")
        return Recorded(entry_id, "ok", tuple(fresh), tuple(known), tuple(ignored))

    async def preview(self, text: str, *, owner: str = "") -> tuple[list[TagSuggestion], str]:
        """Suggestions for text that is NOT saved; (suggestions, problem)."""
        return await self._suggest(text, owner=owner)

    async def retag_pending(self, *, limit: int = 50) -> int:
        """Retry tagging for entries left pending; returns how many are now tagged."""
        pending = await self._sessions.run(self._pending, limit)
        done = 0
        for entry_id, text in pending:
            suggestions, problem = await self._suggest(text)
            if problem:
                continue
            await self._sessions.run(self._store_suggestions, entry_id, suggestions)
            done += 1
        return done

    def entries(self, *, actor: Actor, person_id: int, limit: int | None = None) -> list[EntryView]:
        check_own_entries(actor, owner_id=person_id)
        with self._sessions() as session:
            rows = entries.list_entries(session, person_id=person_id, limit=limit)
            found = tags.tags_for(session, entry_ids=[e.id for e in rows if e.id is not None])
            return [EntryView(e, tuple(found.get(e.id or 0, ()))) for e in rows]

    def _split_known(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        known: list[str] = []
        ignored: list[str] = []
        for raw in ids:
            ksb = self._standard.ksb(raw.strip())
            if ksb is None:
                ignored.append(raw)
            elif ksb.id not in known:
                known.append(ksb.id)
        return known, ignored

    async def _suggest(self, text: str, *, owner: str = "") -> tuple[list[TagSuggestion], str]:
        """Tag on the heavy-work pool; the timeout covers the wait in its queue, and on a timeout
        the job is dropped (queued) or stopped at its next checkpoint (running). Emoji, a link, code
        or a trace asks no tagger: the reply gives a hint instead."""
        if noise_kind(text):
            return [], ""
        try:
            raw = await asyncio.wait_for(
                self._pool.run_for(owner, self._tagger.suggest, text, top=self._top), self._timeout)
        except TimeoutError:
            log.warning("tagging timed out after %.1fs", self._timeout)
            return [], "timeout"
        except PoolFull as exc:  # too much waiting already: the entry stays pending, retagged later
            log.warning("tagging not queued: %s", exc)
            return [], "timeout"
        except Exception:
            log.exception("tagging failed")
            return [], "error"
        seen: set[str] = set()
        grounded: list[TagSuggestion] = []
        for s in raw:
            ksb = self._standard.ksb(s.id)
            if ksb is not None and ksb.id not in seen:
                seen.add(ksb.id)
                grounded.append(TagSuggestion(ksb.id, s.confidence, s.reason))
        return grounded[: self._top], ""

    def _save(self, actor: Actor, text: str, work_date: date, hours: float,
              confirmed: list[str], event_key: str = "") -> int:
        with self._sessions() as session:
            if event_key:
                entry, fresh = entries.add_entry_once(session, person_id=actor.id, text=text,
                                                      work_date=work_date, otj_hours=hours, event_key=event_key)
            else:
                entry, fresh = entries.add_entry(session, person_id=actor.id, text=text, work_date=work_date,
                                                 otj_hours=hours, status="pending"), True
            assert entry.id is not None
            if not fresh:
                return entry.id
            for ksb_id in confirmed:
                tags.set_tag(session, entry_id=entry.id, ksb_id=ksb_id, source="confirmed",
                             reason=ui("tag_reason_added"))
            audit.record(session, action="entry.created", actor_id=actor.id, subject_id=actor.id,
                         target=f"entry:{entry.id}", detail={"confirmed": confirmed})
            session.commit()
            return entry.id

    def _store_suggestions(self, entry_id: int, suggestions: list[TagSuggestion]) -> None:
        with self._sessions() as session:
            tags.add_suggestions(session, entry_id=entry_id,
                                 suggestions=[(s.id, s.confidence, s.reason) for s in suggestions])
            entries.set_status(session, entry_id=entry_id, status="ok")
            session.commit()

    def _pending(self, limit: int) -> list[tuple[int, str]]:
        with self._sessions() as session:
            return [(e.id, e.text) for e in entries.pending_entries(session, limit=limit)
                    if e.id is not None]

