"""Hours and dates read from a reflection's words; tag and correction commands read from chat."""

from __future__ import annotations

from datetime import date

import pytest

from bot.coaching.entry_phrases import Correction, TagCommand, read_correction, read_tag_command
from bot.coaching.reflection_words import parse_date, parse_hours, read_date, read_hours

THURSDAY = date(2026, 12, 3)


@pytest.mark.parametrize(("text", "hours"), [
    ("Spent 3h on the feature pipeline refactor", 3.0),
    ("about 2.5 hours going through the model card with the risk team", 2.5),
    ("paired with Priya for 90 mins on flaky integration tests", 1.5),
    ("a quick 45 minutes on the retraining DAG", 0.75),
    ("half a day at the provider's MLOps workshop", 3.5),
    ("was on the provider course a full day", 7.0),
    ("an hour reading about SHAP values", 1.0),
    ("1h30 pairing on the batch scoring job", 1.5),
    ("1hr15 this afternoon at a lunch and learn", 1.25),
    ("2hrs45 on the provider's pipelines module", 2.75),
    ("one and a half hours on the postmortem", 1.5),
    ("2 hours in the morning and 3 hours after lunch on the migration", 5.0),
    ("a 3-hour workshop on responsible AI", 3.0),
    ("spent a couple of hours on docs", 2.0),
])
def test_hours_read_from_the_words(text: str, hours: float) -> None:
    found = read_hours(text, working_day=7.0)
    assert found is not None and found.value == pytest.approx(hours)


def test_a_working_day_is_a_setting() -> None:
    assert read_hours("a full day shadowing the platform team", working_day=7.5).value == 7.5  # type: ignore[union-attr]
    assert read_hours("half a day on the hackathon", working_day=8.0).value == 4.0  # type: ignore[union-attr]


@pytest.mark.parametrize("text", [
    "No OTJ time this week, it was all BAU tickets",
    "this one was not off the job, just my day job",
    "off the job hours: none, I was covering support",
])
def test_no_otj_time_means_zero(text: str) -> None:
    found = read_hours(text, working_day=7.0)
    assert found is not None and found.value == 0.0


@pytest.mark.parametrize("text", [
    "the scheduler retrains every 6 hours now",
    "p95 latency is under 200 ms after the change",
    "backfilled 24h of data from the warehouse",
    "we deployed it two days ago",
    "a few hours on the dashboards",
    "ran the drift check once a day",
    "processed 5m rows through the new pipeline",
    "raw images move to cold storage after 90 days",
    "the feature job went from 20 min to 3",
    "we keep logs for 90 days",
])
def test_durations_that_are_not_time_spent_are_ignored(text: str) -> None:
    assert read_hours(text, working_day=7.0) is None


@pytest.mark.parametrize(("text", "day"), [
    ("4 hours today on the provider's module", date(2026, 12, 3)),
    ("yesterday, 45 minutes pairing on the feature store tests", date(2026, 12, 2)),
    ("last Tuesday I ran the model review", date(2026, 12, 1)),
    ("last friday I presented the churn model", date(2026, 11, 27)),
    ("two days ago I wrote the on-call runbook", date(2026, 12, 1)),
    ("on 28 Nov I ran a lunch-and-learn on drift", date(2026, 11, 28)),
    ("an hour on monday reviewing PRs", date(2026, 11, 30)),
    ("Yesterday I fixed the flaky test. Tomorrow I'll demo it.", date(2026, 12, 2)),
    ("spent most of thursday on the data contract", date(2026, 12, 3)),  # written on a Thursday
    ("last thursday I spent the morning on the data contract", date(2026, 11, 26)),
    ("a week ago I paired on the scoring service", date(2026, 11, 26)),
    ("ran the demo on 27/11/2026 for the risk team", date(2026, 11, 27)),
])
def test_dates_read_from_the_words(text: str, day: date) -> None:
    found = read_date(text, today=THURSDAY)
    assert found is not None and found.value == day


@pytest.mark.parametrize("text", [
    "we built a feature store for the pricing team",
    "in March we agreed the roadmap",
    "sat in with the fraud ops team to hear their pain points",
    "fixed 3/4 of the failing tests for the 24/7 on-call dashboard",
    "a full day at the provider on deep learning",
])
def test_no_day_named_means_no_date(text: str) -> None:
    assert read_date(text, today=THURSDAY) is None


def test_a_future_day_is_returned_for_the_caller_to_query() -> None:
    found = read_date("tomorrow I will present the dashboards", today=THURSDAY)
    assert found is not None and found.value > THURSDAY


def test_correction_values() -> None:
    assert parse_date("28 Nov", today=THURSDAY) == date(2026, 11, 28)
    assert parse_date("last friday", today=THURSDAY) == date(2026, 11, 27)
    assert parse_date("2026-11-02", today=THURSDAY) == date(2026, 11, 2)
    assert parse_date("banana", today=THURSDAY) is None
    assert parse_hours("2", working_day=7.0) == 2.0
    assert parse_hours("90 mins", working_day=7.0) == 1.5
    assert parse_hours("half a day", working_day=7.0) == 3.5
    assert parse_hours("lots", working_day=7.0) is None


@pytest.mark.parametrize(("text", "command"), [
    ("confirm S5", TagCommand("confirmed", ("S5",), False, None)),
    ("confirm all", TagCommand("confirmed", (), True, None)),
    ("yes please confirm them all", TagCommand("confirmed", (), True, None)),
    ("remove B4 from my last reflection", TagCommand("removed", ("B4",), False, None)),
    ("take S24 off that one", TagCommand("removed", ("S24",), False, None)),
    ("pop K28 on that one too", TagCommand("confirmed", ("K28",), False, None)),
    ("bung S10 on entry 3 as well", TagCommand("confirmed", ("S10",), False, 3)),
    ("chuck S24 off that one", TagCommand("removed", ("S24",), False, None)),
    ("ditch K6 please", TagCommand("removed", ("K6",), False, None)),
    ("add K25 to that entry", TagCommand("confirmed", ("K25",), False, None)),
    ("tag that with K1 too", TagCommand("confirmed", ("K1",), False, None)),
    ("tag entry 12 with S10", TagCommand("confirmed", ("S10",), False, 12)),
    ("can you add k28 and s5 to #7", TagCommand("confirmed", ("K28", "S5"), False, 7)),
    ("drop all the suggestions on that one", TagCommand("removed", (), True, None)),
])
def test_tag_commands(text: str, command: TagCommand) -> None:
    assert read_tag_command(text) == command


@pytest.mark.parametrize("text", [
    "does K12 add anything to S5?",
    "what counts for S24",
    "delete all my data",
    "remove all my entries",
    "add all",
    "take a look at K5",
    "I set up S3 buckets for the landing zone",
    "tag this entry: moved S3 data to glacier",
])
def test_not_tag_commands(text: str) -> None:
    assert read_tag_command(text) is None


@pytest.mark.parametrize(("text", "correction"), [
    ("change hours to 2", Correction("hours", "2", None)),
    ("change the date to 28 Nov", Correction("date", "28 Nov", None)),
    ("set the hours on entry 12 to 1.5", Correction("hours", "1.5", 12)),
    ("update otj hours to half a day", Correction("hours", "half a day", None)),
    ("ok log 2h of that", Correction("hours", "2h", None)),
    ("put 90 mins on entry 4", Correction("hours", "90 mins", 4)),
    ("make it an hour and a half", Correction("hours", "an hour and a half", None)),
    ("that took 45 minutes", Correction("hours", "45 minutes", None)),
    ("can you record 1.5 hours of otj against the last one", Correction("hours", "1.5 hours", None)),
])
def test_corrections(text: str, correction: Correction) -> None:
    assert read_correction(text) == correction
    assert read_correction("change my mind about the project") is None
    assert read_correction("log 2 hours on the provider course today") is None  # a new entry, not a correction
    assert read_correction("that was a great session") is None
