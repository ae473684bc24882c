"""A manager's team at a glance: coverage, hours against the pace, last entry, next review.

Summaries only (no entry text), and only of the apprentices linked to the
manager: the list comes from their links, and each row passes the same
summary check as every other manager view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.coaching.authz import Actor, check_summary, check_team
from bot.coaching.progress import compute_progress
from bot.documents.portfolio_doc import expected_hours
from bot.documents.review_doc import review_due
from knowledge.registry import Knowledge
from storage import people, reviews, tags, team
from storage.db import SessionFactory
from storage.enrolments import get_enrolment
from storage.entries import count_entries, total_hours


@dataclass(frozen=True)
class TeamMember:
    person_id: int
    name: str
    covered: int
    total: int
    coverage: float
    hours_logged: float
    expected_by_now: float
    last_entry: date | None
    next_review: date


class TeamService:
    def __init__(self, *, session_factory: SessionFactory, knowledge: Knowledge) -> None:
        self._sessions = session_factory
        self._knowledge = knowledge

    def members(self, *, actor: Actor, today: date) -> list[TeamMember]:
        check_team(actor)
        found: list[TeamMember] = []
        with self._sessions() as session:
            apprentices = people.apprentices_of(session, manager_id=actor.id)
            ids = [p.id for p in apprentices if p.id is not None]
            last_entries = team.last_entry_dates(session, person_ids=ids)
            last_reviews = reviews.last_reviews(session, person_ids=ids)
            for person in apprentices:
                assert person.id is not None
                check_summary(session, actor, apprentice_id=person.id)
                enrolment = get_enrolment(session, person_id=person.id)
                if enrolment is None:
                    continue
                progress = compute_progress(
                    standard=self._knowledge.standard,
                    stats=tags.ksb_stats(session, person_id=person.id), enrolment=enrolment,
                    hours_logged=total_hours(session, person_id=person.id),
                    entry_count=count_entries(session, person_id=person.id), today=today)
                setting = reviews.get_setting(session, person_id=person.id)
                found.append(TeamMember(
                    person_id=person.id, name=person.display_name or person.user_id,
                    covered=progress.covered, total=progress.total, coverage=progress.coverage,
                    hours_logged=progress.hours_logged, expected_by_now=expected_hours(progress),
                    last_entry=last_entries.get(person.id),
                    next_review=review_due(last_held=last_reviews.get(person.id),
                                           start=enrolment.start_date,
                                           interval_weeks=setting.interval_weeks)))
        return found

    def find(self, *, actor: Actor, name: str) -> list[tuple[int, str]]:
        """The manager's apprentices whose name contains `name` (case-insensitive)."""
        check_team(actor)
        wanted = " ".join(name.split()).casefold()
        with self._sessions() as session:
            return [(p.id, p.display_name or p.user_id)
                    for p in people.apprentices_of(session, manager_id=actor.id)
                    if p.id is not None and wanted and wanted in
                    " ".join((p.display_name or p.user_id).split()).casefold()]
