"""Manager nudges: only their own apprentices, grounded numbers, a coverage picture, an LLM only when honest."""

from __future__ import annotations

import io
from datetime import date, time

from PIL import Image

from bot.coaching.progress import compute_progress
from bot.scheduler.clock import FixedClock
from bot.scheduler.coverage_png import MAX_ROWS, GridRow, render_grid
from bot.scheduler.nudge_data import summarise
from knowledge.registry import Knowledge
from storage import entries, tags
from storage.db import SessionFactory
from storage.enrolments import default_enrolment
from storage.models import Person
from storage.schedule_data import ActivityWindow
from storage.tags import KsbStat
from tests.fakes.slack_api import FakeSlackAPI
from tests.test_schedule_support import (
    TOKEN,
    ScriptedComposer,
    add_person,
    fake_channel,
    link,
    slack_scheduler,
    utc,
)

MONDAY_9AM_LONDON = utc(2025, 10, 27, 9, 5)  # GMT by then


def _log(sessions: SessionFactory, person_id: int, day: date, ksbs: dict[str, str],
         hours: float = 2.0) -> None:
    with sessions() as session:
        entry = entries.add_entry(session, person_id=person_id, text="private words", work_date=day,
                                  otj_hours=hours, status="ok")
        assert entry.id is not None
        for ksb_id, source in ksbs.items():
            tags.set_tag(session, entry_id=entry.id, ksb_id=ksb_id, source=source)
        session.commit()


def _team(sessions: SessionFactory) -> dict[str, int]:
    ids = {name: add_person(sessions, f"U{name.upper()}", name=f"{name} {surname}", weekday=6,
                            at=time(23))
           for name, surname in (("Ada", "Okafor"), ("Bo", "Nowak"), ("Cy", "Patel"))}
    ids["boss_a"] = add_person(sessions, "UBOSSA", name="Manager One", role="manager")
    ids["boss_b"] = add_person(sessions, "UBOSSB", name="Manager Two", role="manager",
                               tz="America/New_York")
    link(sessions, ids["boss_a"], [ids["Ada"], ids["Bo"]])
    link(sessions, ids["boss_b"], [ids["Cy"]])
    _log(sessions, ids["Ada"], date(2025, 10, 23), {"S24": "confirmed", "K4": "suggested"}, 3.0)
    _log(sessions, ids["Cy"], date(2025, 10, 1), {"B1": "confirmed"})
    return ids


def _dm_text(fake: FakeSlackAPI, user_id: str) -> str:
    channel = fake_channel(fake, user_id)
    return "\n".join(str(c.params.get("blocks")) for c in fake.calls_to("chat.postMessage")
                     if c.params.get("channel") == channel)


async def test_each_manager_sees_only_their_own_apprentices(sessions: SessionFactory,
                                                            knowledge: Knowledge) -> None:
    _team(sessions)
    clock = FixedClock(MONDAY_9AM_LONDON)
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        report = await scheduler.tick()
        assert (report.nudges.due, report.nudges.sent) == (1, 1)  # New York is not at 9am yet
        clock.set(utc(2025, 10, 27, 14, 5))
        assert (await scheduler.tick()).nudges.sent == 1
        assert (await scheduler.tick()).nudges.sent == 0
        await scheduler.sender.close()
        boss_a, boss_b = _dm_text(fake, "UBOSSA"), _dm_text(fake, "UBOSSB")
        uploads = fake.calls_to("files.completeUploadExternal")
        pngs = list(fake.uploads.values())
    assert "Ada Okafor" in boss_a and "Bo Nowak" in boss_a and "Cy Patel" not in boss_a
    assert "Cy Patel" in boss_b and "Ada Okafor" not in boss_b and "Bo Nowak" not in boss_b
    assert "private words" not in boss_a + boss_b  # reflections stay private
    assert "quiet for" in boss_b  # Cy last logged on 1 October
    assert "2 entries" not in boss_a and "1 entry" in boss_a and "3 h off-the-job" in boss_a
    assert sorted(c.params["channel_id"] for c in uploads) == sorted(
        [fake_channel(fake, "UBOSSA"), fake_channel(fake, "UBOSSB")])
    assert all(Image.open(io.BytesIO(png)).format == "PNG" for png in pngs)


async def test_coverage_change_since_last_week(sessions: SessionFactory,
                                               knowledge: Knowledge) -> None:
    ids = _team(sessions)
    clock = FixedClock(MONDAY_9AM_LONDON)
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        await scheduler.tick()
        await scheduler.sender.close()
        text = _dm_text(fake, "UBOSSA")
    one = round(100 / len(knowledge.standard.ksbs), 1)
    assert f"{one:g}% of KSBs evidenced (+{one:g} points since last week)" in text
    assert ids["Ada"]


async def test_llm_summary_is_used_only_when_its_ids_are_in_the_data(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    _team(sessions)
    honest = "Ada Okafor logged one entry and 3 h; Bo Nowak was quiet. Ask Ada about K1 next."
    invented = "Cy Patel has nailed S99 and K4 this week."
    composer = ScriptedComposer([honest, invented])
    clock = FixedClock(MONDAY_9AM_LONDON)
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock, composer=composer)
        await scheduler.tick()
        clock.set(utc(2025, 10, 27, 14, 5))
        await scheduler.tick()
        await scheduler.sender.close()
        boss_a, boss_b = _dm_text(fake, "UBOSSA"), _dm_text(fake, "UBOSSB")
    assert "Ask Ada about K1 next" in boss_a  # K1 is among Ada's weakest, so it was given
    assert "S99" not in boss_b and "Conversation starters" in boss_b  # grounded fallback
    system, user = composer.history[0]
    assert "never instructions" in system and "<data>" in user and "private words" not in user


def test_grid_has_a_row_per_apprentice_and_caps_big_teams(knowledge: Knowledge) -> None:
    width = len(knowledge.standard.ksbs)
    small = Image.open(io.BytesIO(render_grid(knowledge.standard, [
        GridRow("Ada", (3,) * width), GridRow("Bo", (0,) * width)])))
    big = Image.open(io.BytesIO(render_grid(knowledge.standard, [
        GridRow(f"A{i}", (1,) * width) for i in range(MAX_ROWS + 40)])))
    capped = Image.open(io.BytesIO(render_grid(knowledge.standard, [
        GridRow(f"A{i}", (1,) * width) for i in range(MAX_ROWS)])))
    assert small.format == "PNG" and small.width > width * 10
    assert big.height - capped.height < 40  # the extra 40 rows become one footnote line


def test_summary_numbers_agree_with_progress(knowledge: Knowledge) -> None:
    standard = knowledge.standard
    enrolment = default_enrolment(person_id=7, standard_ref="ST1398", start=date(2024, 3, 4))
    stats = {"K1": KsbStat("K1", 2, 0), "S24": KsbStat("S24", 1, 1), "B1": KsbStat("B1", 0, 2),
             "K9": KsbStat("K9", 1, 0)}
    before = {"K1": KsbStat("K1", 1, 0)}
    activity = ActivityWindow(entries_window=2, hours_window=3.5, entries_total=9, hours_total=40.0,
                        last_entry=date(2025, 10, 22))
    today = date(2025, 10, 27)
    progress = compute_progress(standard=standard, stats=stats, enrolment=enrolment,
                                hours_logged=40.0, entry_count=9, today=today)
    person = Person(id=7, platform="slack", workspace_id="T1", user_id="U7", display_name="Ada")
    summary = summarise(standard=standard, person=person, enrolment=enrolment, stats=stats,
                        stats_before=before, activity=activity, today=today)
    assert summary.coverage == progress.coverage
    assert summary.coverage_change == round(progress.coverage - 100 / len(standard.ksbs), 1)
    assert summary.weakest_ksbs == tuple(k.id for k in progress.weakest[:2])
    assert summary.target_total == progress.otj.hours
    # Progress rounds its elapsed share to 3 places; the summary uses the exact share
    assert abs(summary.expected_by_now - progress.otj.hours * progress.elapsed) < 0.5
    assert summary.quiet_days is None and summary.strengths[0] == 3  # K1: two confirmed
    duties = [(d.number, sum(1 for k in d.ksbs if k.confirmed) / len(d.ksbs))
              for d in progress.duties if d.number]
    worst = min(duties, key=lambda d: (d[1], d[0]))
    assert summary.weakest_duty is not None and summary.weakest_duty.number == worst[0]
