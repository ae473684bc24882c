"""Progress reviews and their agreed actions, and each enrolment's review settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Enrolment, Person, ProgressReview, ReviewAction, ReviewSetting, utcnow
from storage.unique_insert import EVENT_KEY_LENGTH, once_per_event


def add_review(session: Session, *, person_id: int, period_start: date, period_end: date,
               held_on: date, actions: Sequence[str], apprentice_comment: str = "",
               employer_comment: str = "", provider_comment: str = "",
               event_key: str | None = None) -> ProgressReview:
    review = ProgressReview(person_id=person_id, period_start=period_start,
                            period_end=period_end, held_on=held_on,
                            apprentice_comment=apprentice_comment,
                            employer_comment=employer_comment, provider_comment=provider_comment,
                            event_key=event_key)
    session.add(review)
    session.flush()
    assert review.id is not None
    for text in actions:
        session.add(ReviewAction(person_id=person_id, review_id=review.id, text=text))
    session.flush()
    return review


def add_review_once(session: Session, *, person_id: int, event_key: str, period_start: date, period_end: date,
                    held_on: date, actions: Sequence[str], apprentice_comment: str = "",
                    employer_comment: str = "", provider_comment: str = "") -> tuple[ProgressReview, bool]:
    """The review (with its actions) one chat event recorded, and True; or, when that event recorded it
    already (replayed from the inbox, or two replicas at once), the review it made, and False.
    Without an `event_key` (the CLI) every call records a review."""
    return once_per_event(
        session, event_key,
        insert=lambda key: add_review(session, person_id=person_id, period_start=period_start,
                                      period_end=period_end, held_on=held_on, actions=actions,
                                      apprentice_comment=apprentice_comment, employer_comment=employer_comment,
                                      provider_comment=provider_comment, event_key=key),
        find=lambda key: review_from_event(session, person_id=person_id, event_key=key))


def review_from_event(session: Session, *, person_id: int, event_key: str) -> ProgressReview | None:
    return session.exec(select(ProgressReview).where(ProgressReview.person_id == person_id,
                                                     ProgressReview.event_key == event_key[:EVENT_KEY_LENGTH])).first()


def latest_review(session: Session, *, person_id: int) -> ProgressReview | None:
    return session.exec(
        select(ProgressReview).where(ProgressReview.person_id == person_id)
        .order_by(col(ProgressReview.held_on).desc(), col(ProgressReview.id).desc())
    ).first()


def last_reviews(session: Session, *, person_ids: Sequence[int]) -> dict[int, date]:
    """The date of each person's latest review, for a whole team in one query."""
    if not person_ids:
        return {}
    rows = session.execute(
        sa.select(col(ProgressReview.person_id), sa.func.max(col(ProgressReview.held_on)))
        .where(col(ProgressReview.person_id).in_(list(person_ids)))
        .group_by(col(ProgressReview.person_id))).all()
    return {int(pid): held for pid, held in rows}


def actions_for(session: Session, *, review_id: int) -> list[ReviewAction]:
    return list(session.exec(select(ReviewAction).where(ReviewAction.review_id == review_id)
                             .order_by(col(ReviewAction.id))))


def mark_done(session: Session, *, person_id: int, action_ids: Sequence[int], on: date) -> int:
    """Mark the person's own actions done; ids of anyone else's are ignored."""
    if not action_ids:
        return 0
    result = session.execute(
        sa.update(ReviewAction)
        .where(col(ReviewAction.id).in_(list(action_ids)), col(ReviewAction.person_id) == person_id)
        .values(done_on=on))
    return int(getattr(result, "rowcount", 0) or 0)


def get_setting(session: Session, *, person_id: int) -> ReviewSetting:
    """Stored settings, or the defaults (every 12 weeks, reminded 7 days before)."""
    return session.get(ReviewSetting, person_id) or ReviewSetting(person_id=person_id)


def save_setting(session: Session, *, person_id: int, interval_weeks: int,
                 remind_days_before: int, enabled: bool) -> ReviewSetting:
    if interval_weeks < 1 or not 0 <= remind_days_before <= 7 * interval_weeks:
        raise ValueError("reviews need an interval of a week or more and a reminder inside it")
    setting = session.get(ReviewSetting, person_id) or ReviewSetting(person_id=person_id)
    setting.interval_weeks = interval_weeks
    setting.remind_days_before = remind_days_before
    setting.enabled = enabled
    setting.updated_at = utcnow()
    session.add(setting)
    session.flush()
    return setting


@dataclass(frozen=True)
class ReviewCycle:
    """What decides one apprentice's next review: their start, last review and settings."""

    person_id: int
    start_date: date
    last_held: date | None
    interval_weeks: int
    remind_days_before: int
    enabled: bool


def review_cycles(session: Session) -> list[ReviewCycle]:
    """Every enrolled apprentice's cycle, in one query (settings default where never set)."""
    p, e, s = Person.__table__.c, Enrolment.__table__.c, ReviewSetting.__table__.c  # type: ignore[attr-defined]
    r = ProgressReview.__table__.c  # type: ignore[attr-defined]
    last = (sa.select(r.person_id, sa.func.max(r.held_on).label("held"))
            .group_by(r.person_id).subquery())
    query = (sa.select(p.id, e.start_date, last.c.held, s.interval_weeks, s.remind_days_before,
                       s.enabled)
             .select_from(Person.__table__.join(Enrolment.__table__, e.person_id == p.id)  # type: ignore[attr-defined]
                          .outerjoin(ReviewSetting.__table__, s.person_id == p.id)  # type: ignore[attr-defined]
                          .outerjoin(last, last.c.person_id == p.id))
             .where(p.role == "apprentice").order_by(p.id))
    defaults = ReviewSetting(person_id=0)
    return [ReviewCycle(int(pid), start, held,
                        defaults.interval_weeks if weeks is None else int(weeks),
                        defaults.remind_days_before if days is None else int(days),
                        defaults.enabled if enabled is None else bool(enabled))
            for pid, start, held, weeks, days, enabled in session.execute(query)]

