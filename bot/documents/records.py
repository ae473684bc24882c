"""What every document about one apprentice starts from, read in one session.

Access is the caller's business (the services check it before calling);
this only reads: the person, their enrolment, progress and entries with tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.coaching.otj import rule_in_words
from bot.coaching.progress import Progress, compute_progress
from bot.coaching.reflections import EntryView
from bot.ui_text import ui
from knowledge.registry import Knowledge
from storage import entries, people, tags
from storage.db import SessionFactory
from storage.enrolments import get_enrolment
from storage.models import Enrolment


@dataclass(frozen=True)
class ApprenticeRecord:
    person_id: int
    name: str
    enrolment: Enrolment
    progress: Progress
    views: tuple[EntryView, ...]  # oldest first

    @property
    def otj_rule(self) -> str:
        """The off-the-job rule in force for this enrolment, in words."""
        return rule_in_words(self.progress.otj)


def load_record(sessions: SessionFactory, knowledge: Knowledge, *, person_id: int,
                today: date) -> ApprenticeRecord:
    with sessions() as session:
        person = people.get_person(session, person_id=person_id)
        enrolment = get_enrolment(session, person_id=person_id)
        if person is None or enrolment is None:
            raise LookupError(ui("error_no_enrolment"))
        rows = entries.list_entries(session, person_id=person_id, newest_first=False)
        found = tags.tags_for(session, entry_ids=[r.id for r in rows if r.id is not None])
        progress = compute_progress(
            standard=knowledge.standard, stats=tags.ksb_stats(session, person_id=person_id),
            enrolment=enrolment, hours_logged=sum(r.otj_hours for r in rows),
            entry_count=len(rows), today=today)
        session.expunge_all()
    views = tuple(EntryView(r, tuple(found.get(r.id or 0, ()))) for r in rows)
    return ApprenticeRecord(person_id=person_id, name=person.display_name or person.user_id,
                            enrolment=enrolment, progress=progress, views=views)
