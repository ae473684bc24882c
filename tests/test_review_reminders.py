"""Review reminders: a week before a review falls due (per enrolment), to the apprentice and
their manager, exactly once per due date through the weekly sends' claims."""

from __future__ import annotations

from datetime import date, timedelta

from bot.scheduler.clock import FixedClock
from bot.scheduler.review_reminders import reminders_due
from knowledge.registry import Knowledge
from storage import people, reviews
from storage import schedule as claims
from storage.db import SessionFactory
from storage.reviews import ReviewCycle
from tests.fakes.slack_api import FakeSlackAPI
from tests.test_schedule_support import (
    START,
    TOKEN,
    add_person,
    posts_by_user,
    slack_scheduler,
    utc,
)


def test_a_reminder_is_due_from_a_week_before_the_review() -> None:
    cycle = ReviewCycle(1, date(2026, 1, 5), None, 12, 7, True)
    due = date(2026, 3, 30)  # 12 weeks after the start
    assert reminders_due([cycle], due - timedelta(days=8)) == []
    assert [r.due for r in reminders_due([cycle], due - timedelta(days=7))] == [due]
    assert [r.due for r in reminders_due([cycle], due + timedelta(days=30))] == [due]  # overdue
    held = ReviewCycle(1, date(2026, 1, 5), date(2026, 3, 20), 10, 3, True)
    assert [r.due for r in reminders_due([held], date(2026, 5, 26))] == [date(2026, 5, 29)]
    off = ReviewCycle(1, date(2026, 1, 5), None, 12, 7, False)
    assert reminders_due([off], due) == []


async def test_apprentice_and_manager_are_reminded_once_with_a_pack_button(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    alice = add_person(sessions, "UALICE", name="Alice")
    mo = add_person(sessions, "UMO", role="manager", name="Mo")
    quiet = add_person(sessions, "UQUIET", name="Quiet")
    with sessions() as session:
        people.link(session, manager_id=mo, apprentice_id=alice)
        reviews.save_setting(session, person_id=quiet, interval_weeks=12, remind_days_before=7,
                             enabled=False)
        session.commit()
    due = START + timedelta(weeks=12)
    clock = FixedClock(utc(due.year, due.month, due.day, 3) - timedelta(days=7))
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        report = await scheduler.tick()
        assert (report.reviews.due, report.reviews.claimed, report.reviews.sent) == (1, 1, 1)
        clock.advance(timedelta(hours=1))
        again = await scheduler.tick()
        assert (again.reviews.due, again.reviews.claimed) == (1, 0)  # already sent
        await scheduler.sender.close()
        assert posts_by_user(fake) == {"UALICE": 1, "UMO": 1}
        texts = [c.params.get("text", "") for c in fake.calls_to("chat.postMessage")]
        blocks = " ".join(str(c.params.get("blocks", "")) for c in fake.calls_to("chat.postMessage"))
    assert any(f"review is due on {due.isoformat()}" in t for t in texts)
    assert any(f"Alice's progress review is due on {due.isoformat()}" in t for t in texts)
    assert "review.pack" in blocks and "review_pack" in blocks
    with sessions() as session:
        sent = [s for s in claims.sends_for(session, person_id=alice) if s.kind == "review"]
    assert [(s.week, s.sent_at is not None) for s in sent] == [(due.isoformat(), True)]


async def test_a_recorded_review_moves_the_next_reminder(sessions: SessionFactory,
                                                         knowledge: Knowledge) -> None:
    alice = add_person(sessions, "UALICE", name="Alice")
    held = START + timedelta(weeks=11)
    with sessions() as session:
        reviews.add_review(session, person_id=alice, period_start=START, period_end=held,
                           held_on=held, actions=["Log hours weekly"])
        session.commit()
    clock = FixedClock(utc(held.year, held.month, held.day, 12) + timedelta(days=14))
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        assert (await scheduler.tick()).reviews.due == 0  # next due 12 weeks after `held`
        clock.set(utc(held.year, held.month, held.day, 12) + timedelta(weeks=11))
        assert (await scheduler.tick()).reviews.sent == 1
        await scheduler.sender.close()
