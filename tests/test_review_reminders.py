"""Review reminders: a week before a review falls due (per enrolment), to the apprentice and
their manager, exactly once per due date through the weekly sends' claims."""

from __future__ import annotations

from datetime import date, timedelta

from bot.adapters.slack.sender import SlackSender
from bot.documents.review_service import ReviewService
from bot.observability.metrics import Metrics
from bot.scheduler.clock import FixedClock
from bot.scheduler.review_reminders import reminders_due
from bot.scheduler.senders import RoutingSender
from bot.scheduler.tick import Scheduler
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
    fake_channel,
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
        assert (report.reviews.due, report.reviews.claimed, report.reviews.sent) == (2, 2, 2)
        clock.advance(timedelta(hours=1))
        again = await scheduler.tick()
        assert (again.reviews.due, again.reviews.claimed) == (2, 0)  # already sent, each of them
        await scheduler.sender.close()
        assert posts_by_user(fake) == {"UALICE": 1, "UMO": 1}
        texts = [c.params.get("text", "") for c in fake.calls_to("chat.postMessage")]
        blocks = " ".join(str(c.params.get("blocks", "")) for c in fake.calls_to("chat.postMessage"))
    assert any(f"review is due on {due.isoformat()}" in t for t in texts)
    assert any(f"Alice's progress review is due on {due.isoformat()}" in t for t in texts)
    assert "review.pack" in blocks and "review_pack" in blocks
    with sessions() as session:
        sent = [s for pid in (alice, mo) for s in claims.sends_for(session, person_id=pid) if s.kind == "review"]
    # one claim per recipient: the manager's names the apprentice, as a manager may have several due
    assert [(s.person_id, s.week, s.sent_at is not None) for s in sent] == [
        (alice, due.isoformat(), True), (mo, f"{due.isoformat()}/{alice}", True)]


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


def _alice_and_mo(sessions: SessionFactory) -> tuple[int, int]:
    alice = add_person(sessions, "UALICE", name="Alice")
    mo = add_person(sessions, "UMO", role="manager", name="Mo")
    with sessions() as session:
        people.link(session, manager_id=mo, apprentice_id=alice)
        session.commit()
    return alice, mo


def _reminder_day() -> FixedClock:
    due = START + timedelta(weeks=12)
    return FixedClock(utc(due.year, due.month, due.day, 3) - timedelta(days=7))


async def test_each_recipient_gets_their_own_review_pack_as_a_file(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    _alice_and_mo(sessions)
    clock = _reminder_day()
    async with FakeSlackAPI(token=TOKEN) as fake:
        sender = RoutingSender({"slack": SlackSender(token=TOKEN, base_url=fake.url + "/api/")})
        packs = ReviewService(session_factory=sessions, knowledge=knowledge)
        metrics = Metrics()
        scheduler = Scheduler(sessions=sessions, knowledge=knowledge, sender=sender, clock=clock, packs=packs,
                              count_sent=metrics.prompt_sent)
        report = await scheduler.tick()
        await sender.close()
        assert (report.reviews.sent, report.reviews.failed) == (2, 0)
        assert metrics.value("ksb_prompts_sent_total", kind="review", platform="slack") == 2
        completed = fake.calls_to("files.completeUploadExternal")
        files = [str(c.params.get("files", "")) for c in completed]
        channels = [str(c.params.get("channel_id")) for c in completed]
        uploads = list(fake.uploads.values())
    assert sorted(channels) == sorted([fake_channel(fake, "UALICE"), fake_channel(fake, "UMO")])
    assert all(".pdf" in f for f in files) and len(uploads) == 2
    assert all(data.startswith(b"%PDF") for data in uploads)
    assert uploads[0] != uploads[1]  # the manager's copy is not the apprentice's own


async def test_a_manager_whose_reminder_failed_is_retried_alone(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    alice, mo = _alice_and_mo(sessions)
    with sessions() as session:  # Alice's DM is known; Mo's must be opened, and that fails once
        claims.save_references(session, found={alice: ("slack", {"channel": "DALICE"})})
    clock = _reminder_day()
    async with FakeSlackAPI(token=TOKEN) as fake:
        fake.fail("conversations.open", "fatal_error")
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        first = await scheduler.tick()
        assert (first.reviews.claimed, first.reviews.sent, first.reviews.failed) == (2, 1, 1)
        clock.advance(timedelta(minutes=1))
        assert (await scheduler.tick()).reviews.claimed == 0  # inside the lease
        clock.advance(timedelta(minutes=6))
        retry = await scheduler.tick()
        assert (retry.reviews.claimed, retry.reviews.sent) == (1, 1)
        clock.advance(timedelta(minutes=6))
        assert (await scheduler.tick()).reviews.claimed == 0
        await scheduler.sender.close()
        posts = [str(c.params.get("channel")) for c in fake.calls_to("chat.postMessage")]
    assert sorted(posts) == sorted(["DALICE", fake_channel(fake, "UMO")])
    with sessions() as session:
        [mine] = [s for s in claims.sends_for(session, person_id=mo) if s.kind == "review"]
    assert mine.attempts == 2 and mine.sent_at is not None
