"""Progress review packs and review records, for the apprentice or their linked manager.

The apprentice's own pack quotes their entries; a manager's shows the same
figures without entry text. Recording a review stores its agreed actions,
marks earlier ones done, and starts the next period.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.coaching.authz import Actor, check_manage_enrolment, check_summary
from bot.coaching.evidence import Scorer, grounded_ideas
from bot.documents.doc_entries import doc_entries
from bot.documents.files import DocumentFile
from bot.documents.portfolio_doc import StandardInfo, expected_hours
from bot.documents.records import ApprenticeRecord, load_record
from bot.documents.review_doc import Period, ReviewPack, build_review_pack, review_due
from bot.documents.review_files import review_file
from bot.documents.review_summary import review_summary
from bot.ports import Composer
from bot.ui_text import ui
from knowledge.registry import Knowledge
from storage import audit, reviews
from storage.db import SessionFactory
from storage.enrolments import get_enrolment
from storage.models import ProgressReview, ReviewAction, ReviewSetting


@dataclass(frozen=True)
class ReviewHistory:
    last: ProgressReview | None
    actions: tuple[ReviewAction, ...]
    setting: ReviewSetting


class ReviewService:
    def __init__(self, *, session_factory: SessionFactory, knowledge: Knowledge,
                 composer: Composer | None = None, scorer: Scorer | None = None,
                 timeout: float = 10.0) -> None:
        self._sessions = session_factory
        self._knowledge = knowledge
        self._composer = composer
        self._scorer = scorer
        self._timeout = timeout

    def _private(self, actor: Actor, person_id: int) -> bool:
        """True for the apprentice themself; a linked manager passes without entry text."""
        if actor.id == person_id:
            return True
        with self._sessions() as session:
            check_summary(session, actor, apprentice_id=person_id)
        return False

    def history(self, person_id: int) -> ReviewHistory:
        with self._sessions() as session:
            last = reviews.latest_review(session, person_id=person_id)
            actions = reviews.actions_for(session, review_id=last.id) if last and last.id else []
            setting = reviews.get_setting(session, person_id=person_id)
            session.expunge_all()
        return ReviewHistory(last, tuple(actions), setting)

    def next_due(self, record: ApprenticeRecord, history: ReviewHistory) -> date:
        return review_due(last_held=history.last.held_on if history.last else None,
                          start=record.enrolment.start_date,
                          interval_weeks=history.setting.interval_weeks)

    async def pack(self, *, actor: Actor, person_id: int, today: date,
                   start: date | None = None, end: date | None = None) -> ReviewPack:
        if start is not None and end is not None:
            Period.checked(start, end, today=today)  # a bad period fails before any reading
        private = await self._sessions.run(self._private, actor, person_id)
        record = await self._sessions.run(load_record, self._sessions, self._knowledge,
                                          person_id=person_id, today=today)
        history = await self._sessions.run(self.history, person_id)
        default_start = history.last.held_on if history.last else record.enrolment.start_date
        period = Period.checked(start or default_start, end or today, today=today)
        standard = self._knowledge.standard
        entries = doc_entries(record.views, [k.id for k in standard.ksbs])
        ideas = await asyncio.to_thread(
            grounded_ideas, knowledge=self._knowledge,
            weak_ids=[k.id for k in record.progress.weakest],
            entries=list(record.views) if private else [], scorer=self._scorer)
        period_entries = [e for e in entries if period.start <= e.work_date <= period.end]
        summary = await review_summary(
            standard=standard, progress=record.progress, expected=expected_hours(record.progress),
            entries=period_entries, ideas=ideas, composer=self._composer, private=private,
            timeout=self._timeout)
        return build_review_pack(
            apprentice=record.name, standard=StandardInfo.of(standard), progress=record.progress,
            all_entries=entries, period=period, generated=today, private=private,
            last=history.last, last_actions=history.actions, ideas=ideas, summary=summary,
            next_due=self.next_due(record, history))

    async def pack_file(self, *, actor: Actor, person_id: int, fmt: str, today: date,
                        start: date | None = None,
                        end: date | None = None) -> tuple[ReviewPack, DocumentFile]:
        pack = await self.pack(actor=actor, person_id=person_id, today=today, start=start, end=end)
        return pack, await asyncio.to_thread(review_file, pack, fmt, self._knowledge.standard)

    def configure(self, *, actor: Actor, person_id: int, interval_weeks: int | None = None,
                  remind_days_before: int | None = None, enabled: bool | None = None) -> ReviewSetting:
        """Per enrolment: the apprentice themself or an admin sets the cycle and its reminder."""
        if actor.id != person_id:
            check_manage_enrolment(actor)
        with self._sessions() as session:
            current = reviews.get_setting(session, person_id=person_id)
            setting = reviews.save_setting(
                session, person_id=person_id,
                interval_weeks=current.interval_weeks if interval_weeks is None else interval_weeks,
                remind_days_before=(current.remind_days_before if remind_days_before is None
                                    else remind_days_before),
                enabled=current.enabled if enabled is None else enabled)
            session.commit()
            session.refresh(setting)
            session.expunge(setting)
        return setting

    def record(self, *, actor: Actor, person_id: int, held_on: date, today: date,
               actions: Sequence[str], done: Sequence[int] = (), all_done: bool = False,
               comments: Mapping[str, str] | None = None, event_key: str = "") -> ProgressReview:
        """Store a review held on `held_on` (not in the future): the period since the last one.

        `done` names earlier actions by id (their # in the pack); `all_done` marks every
        action of the last review done. `comments` holds the apprentice's, employer's and
        provider's words, kept with the record as the pack's comment boxes ask. With `event_key`
        (the chat event that asked) the review is recorded once per event: a replay from the inbox
        gets the review its first run stored, and marks, adds and audits nothing more.
        """
        self._private(actor, person_id)
        if event_key:
            with self._sessions() as session:
                found = reviews.review_from_event(session, person_id=person_id, event_key=event_key)
                if found is not None:
                    session.expunge(found)
                    return found
        history = self.history(person_id)
        if all_done:
            done = [*done, *(a.id for a in history.actions if a.id is not None and a.done_on is None)]
        said = {k: v.strip() for k, v in (comments or {}).items() if v.strip()}
        with self._sessions() as session:
            enrolment = get_enrolment(session, person_id=person_id)
            if enrolment is None:
                raise LookupError(ui("error_no_enrolment"))
            start = history.last.held_on if history.last else enrolment.start_date
            period = Period.checked(start, held_on, today=today)
            reviews.mark_done(session, person_id=person_id, action_ids=list(done), on=held_on)
            review, fresh = reviews.add_review_once(
                session, person_id=person_id, event_key=event_key, period_start=period.start,
                period_end=period.end, held_on=held_on, actions=[a.strip() for a in actions if a.strip()],
                apprentice_comment=said.get("apprentice", ""), employer_comment=said.get("employer", ""),
                provider_comment=said.get("provider", ""))
            if fresh:
                audit.record(session, action="review.recorded", actor_id=actor.id,
                             subject_id=person_id, related_id=review.id)
            session.commit()
            session.refresh(review)
            session.expunge(review)
        return review
