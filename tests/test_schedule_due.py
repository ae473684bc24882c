"""When weekly sends fall due: local times, time zones, daylight saving, grace, snooze."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot.coaching.progress import KsbProgress, compute_progress
from bot.handlers.setting_words import parse_change
from bot.scheduler.clock import parse_instant, zone
from bot.scheduler.due import Schedule, due, latest, upcoming, week_key
from bot.scheduler.settings import Change
from bot.scheduler.weekly_prompts import choose_ksb, weakest
from knowledge.registry import Knowledge
from storage.enrolments import default_enrolment
from storage.tags import KsbStat
from tests.test_schedule_support import utc

FRIDAY_3PM = Schedule(weekday=4, at=time(15, 0))


def test_week_key_is_iso_week_of_the_local_date() -> None:
    assert week_key(date(2025, 10, 24)) == "2025-W43"
    assert week_key(date(2024, 12, 30)) == "2025-W01"


@pytest.mark.parametrize(("tz", "utc_hour"), [
    ("Europe/London", 14),        # BST, UTC+1
    ("America/New_York", 19),     # EDT, UTC-4
    ("Asia/Tokyo", 6),            # UTC+9
])
def test_due_from_local_time_until_grace_runs_out(tz: str, utc_hour: int) -> None:
    slot = utc(2025, 10, 24, utc_hour)
    zone_ = zone(tz)
    assert due(FRIDAY_3PM, zone_, slot - timedelta(minutes=1)) is None
    occurrence = due(FRIDAY_3PM, zone_, slot)
    assert occurrence is not None and occurrence.at == slot and occurrence.week == "2025-W43"
    assert due(FRIDAY_3PM, zone_, slot + timedelta(hours=23, minutes=59)) == occurrence
    assert due(FRIDAY_3PM, zone_, slot + timedelta(hours=24, minutes=1)) is None


def test_half_hour_zone() -> None:
    occurrence = due(FRIDAY_3PM, zone("Asia/Kolkata"), utc(2025, 10, 24, 9, 30))
    assert occurrence is not None and occurrence.at == utc(2025, 10, 24, 9, 30)


def test_london_clocks_go_back_on_the_last_sunday_of_october() -> None:
    london = zone("Europe/London")
    before = latest(FRIDAY_3PM, london, utc(2025, 10, 25))
    after = latest(FRIDAY_3PM, london, utc(2025, 11, 1))
    assert before.at == utc(2025, 10, 24, 14) and after.at == utc(2025, 10, 31, 15)
    assert before.local.hour == after.local.hour == 15
    assert due(FRIDAY_3PM, london, utc(2025, 10, 31, 14, 30)) is None  # last week's slot is stale


def test_new_york_clocks_go_back_on_the_first_sunday_of_november() -> None:
    new_york = zone("America/New_York")
    assert latest(FRIDAY_3PM, new_york, utc(2025, 11, 1)).at == utc(2025, 10, 31, 19)
    assert latest(FRIDAY_3PM, new_york, utc(2025, 11, 8)).at == utc(2025, 11, 7, 20)


def test_a_time_skipped_by_spring_forward_still_happens_once() -> None:
    sunday_0130 = Schedule(weekday=6, at=time(1, 30))
    occurrence = latest(sunday_0130, zone("Europe/London"), utc(2025, 3, 30, 12))
    assert occurrence.at == utc(2025, 3, 30, 1, 30) and occurrence.local.hour == 2


def test_off_and_snoozed_are_not_due() -> None:
    london = zone("Europe/London")
    at = utc(2025, 10, 24, 14, 5)
    assert due(Schedule(4, time(15), enabled=False), london, at) is None
    snoozed = Schedule(4, time(15), snoozed_until=date(2025, 10, 24))
    assert due(snoozed, london, at) is None
    assert upcoming(snoozed, london, at) is not None
    assert upcoming(snoozed, london, at).local_date == date(2025, 10, 31)  # type: ignore[union-attr]


def test_unknown_zone_falls_back_to_the_default() -> None:
    assert zone("") == zone("Mars/Olympus_Mons") == zone("Europe/London")
    assert zone("", "Asia/Tokyo") == zone("Asia/Tokyo")


def test_parse_instant() -> None:
    assert parse_instant("2025-10-24T15:00:00Z") == utc(2025, 10, 24, 15)
    assert parse_instant("2025-10-24T16:00:00+01:00") == utc(2025, 10, 24, 15)
    assert parse_instant("2025-10-24T15:00") == utc(2025, 10, 24, 15)


@pytest.mark.parametrize(("text", "change"), [
    ("prompts off", Change(enabled=False)),
    ("prompts stop", Change(enabled=False)),
    ("prompts on", Change(enabled=True)),
    ("prompts friday 4pm", Change(enabled=True, weekday=4, at=time(16))),
    ("Prompts Monday 9:30", Change(enabled=True, weekday=0, at=time(9, 30))),
    ("prompts every tuesday at 16:45", Change(enabled=True, weekday=1, at=time(16, 45))),
    ("prompts at 4", Change(enabled=True, at=time(16))),
    ("prompts thu 12am", Change(enabled=True, weekday=3, at=time(0))),
    ("weekly prompts wednesday noon", Change(enabled=True, weekday=2, at=time(12))),
    ("nudges monday 8am", Change(enabled=True, weekday=0, at=time(8))),
    ("prompts", Change()),
])
def test_parse_settings_messages(text: str, change: Change) -> None:
    assert parse_change(text) == change


@pytest.mark.parametrize("text", ["prompts 25:00", "prompts whenever you like", "prompts 9:75"])
def test_settings_messages_not_understood(text: str) -> None:
    assert parse_change(text) is None


def _ksb(ksb_id: str, weakness: float, suggested: int = 0) -> KsbProgress:
    return KsbProgress(id=ksb_id, text="", confirmed=0, suggested=suggested, last_evidenced=None,
                       weakness=weakness)


def test_prompt_ksb_rotates_through_the_weakest_tier() -> None:
    order = ["K1", "K2", "K3", "K4", "S1"]
    weakest = [_ksb("K2", 0.5), _ksb("K4", 0.5), _ksb("S1", 0.5), _ksb("K1", 0.2)]
    first = choose_ksb(weakest, order, None)
    second = choose_ksb(weakest, order, first)
    third = choose_ksb(weakest, order, second)
    fourth = choose_ksb(weakest, order, third)
    assert [first, second, third, fourth] == ["K2", "K4", "S1", "K2"]


def test_weakest_orders_like_progress(knowledge: Knowledge) -> None:
    enrolment = default_enrolment(person_id=1, standard_ref="ST1398", start=date(2025, 1, 6))
    stats = {"K1": KsbStat("K1", 1, 0), "S24": KsbStat("S24", 0, 2), "B1": KsbStat("B1", 3, 0),
             "K5": KsbStat("K5", 0, 1)}
    today = date(2025, 10, 24)
    full = compute_progress(standard=knowledge.standard, stats=stats, enrolment=enrolment,
                            hours_logged=0.0, entry_count=0, today=today, weakest=65)
    lean = weakest(knowledge.standard, stats, enrolment, today)
    assert [(k.id, k.weakness, k.suggested) for k in full.weakest] == [
        (k.id, k.weakness, k.suggested) for k in lean]


def test_a_single_gap_still_alternates() -> None:
    order = ["K1", "K2", "K3"]
    weakest = [_ksb("K3", 0.9), _ksb("K1", 0.3), _ksb("K2", 0.1)]
    assert choose_ksb(weakest, order, None) == "K3"
    assert choose_ksb(weakest, order, "K3") != "K3"
