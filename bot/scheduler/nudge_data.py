"""The numbers behind a manager's nudge, per apprentice, computed for a whole batch at once.

Only summaries leave this module (counts, hours, coverage, KSB ids): never the
text of anyone's reflections, which stays private to its author.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.coaching.otj import otj_target
from bot.coaching.progress import elapsed_share
from bot.scheduler.weekly_prompts import weakest
from knowledge.model import Standard
from knowledge.registry import Knowledge
from storage.enrolments import default_enrolment
from storage.models import Enrolment, Person
from storage.schedule_data import (
    ActivityWindow,
    activity_for,
    apprentices_by_manager,
    enrolments_for,
    ksb_stats_for,
)
from storage.tags import KsbStat

log = logging.getLogger(__name__)
QUIET_DAYS = 14
WINDOW = timedelta(days=7)
STRONG = 2  # confirmed entries for the top strength level


@dataclass(frozen=True)
class DutyGap:
    number: int
    text: str
    covered: int
    total: int


@dataclass(frozen=True)
class ApprenticeSummary:
    person_id: int
    name: str
    entries_week: int
    hours_week: float
    weekly_target: float
    hours_total: float
    target_total: float
    expected_by_now: float
    coverage: float  # % of KSBs with confirmed evidence
    coverage_change: float  # percentage points since a week ago
    weakest_duty: DutyGap | None
    weakest_ksbs: tuple[str, ...]
    quiet_days: int | None  # days since the last entry (or since starting), None if recent
    strengths: tuple[int, ...]  # per KSB in standard order: 0 none, 1 suggested, 2 one, 3 more


def strength(stat: KsbStat | None) -> int:
    """Evidence strength of one KSB: none, suggested only, one confirmed, several confirmed."""
    if stat is None or (stat.confirmed == 0 and stat.suggested == 0):
        return 0
    if stat.confirmed == 0:
        return 1
    return 2 if stat.confirmed < STRONG else 3


def weakest_duty(standard: Standard, stats: dict[str, KsbStat]) -> DutyGap | None:
    """The duty with the smallest share of its KSBs evidenced (ties: the lower number)."""
    gaps = [DutyGap(d.number, d.text,
                    sum(1 for i in d.ksb_ids if (stat := stats.get(i)) and stat.confirmed),
                    len(d.ksb_ids))
            for d in standard.duties if d.ksb_ids]
    if not gaps:
        return None
    return min(gaps, key=lambda g: (g.covered / g.total, g.number))


def coverage(standard: Standard, stats: dict[str, KsbStat]) -> float:
    """Percentage of the standard's KSBs with confirmed evidence, as `Progress.coverage` counts."""
    covered = sum(1 for k in standard.ksbs if (stat := stats.get(k.id)) and stat.confirmed)
    return round(100.0 * covered / len(standard.ksbs), 1) if standard.ksbs else 0.0


def summarise(*, standard: Standard, person: Person, enrolment: Enrolment,
              stats: dict[str, KsbStat], stats_before: dict[str, KsbStat], activity: ActivityWindow,
              today: date) -> ApprenticeSummary:
    """One apprentice's line in the nudge, from already-loaded numbers (pure, so testable).

    Built from `bot.coaching.progress` and `bot.coaching.otj` pieces rather than a whole
    `compute_progress` per apprentice: a tick summarises thousands at once.
    """
    start, epa = enrolment.start_date, enrolment.planned_epa_date
    target = otj_target(start=start, planned_epa=epa, weekly_hours=enrolment.weekly_hours,
                        standard_minimum=standard.minimum_otj_hours,
                        override=enrolment.otj_target_hours).hours
    weeks = max((epa - start).days / 7, 1.0)
    last = activity.last_entry
    since = (today - last).days if last else (today - start).days
    now_coverage = coverage(standard, stats)
    assert person.id is not None
    return ApprenticeSummary(
        person_id=person.id, name=person.display_name or f"Apprentice {person.id}",
        entries_week=activity.entries_window, hours_week=round(activity.hours_window, 1),
        weekly_target=round(target / weeks, 1), hours_total=round(activity.hours_total, 1),
        target_total=target, expected_by_now=round(target * elapsed_share(enrolment, today), 1),
        coverage=now_coverage,
        coverage_change=round(now_coverage - coverage(standard, stats_before), 1),
        weakest_duty=weakest_duty(standard, stats),
        weakest_ksbs=tuple(k.id for k in weakest(standard, stats, enrolment, today)[:2]),
        quiet_days=since if since >= QUIET_DAYS else None,
        strengths=tuple(strength(stats.get(k.id)) for k in standard.ksbs),
    )


def load_summaries(session: Session, *, knowledge: Knowledge, manager_ids: Sequence[int],
                   today: date, now: datetime) -> dict[int, list[ApprenticeSummary]]:
    """Per manager, a summary of each of their own apprentices; grouped reads for the batch."""
    teams = apprentices_by_manager(session, manager_ids=manager_ids)
    people = {p.id: p for members in teams.values() for p in members if p.id is not None}
    ids = sorted(people)
    stats = ksb_stats_for(session, person_ids=ids)
    stats_before = ksb_stats_for(session, person_ids=ids, created_before=now - WINDOW)
    activity = activity_for(session, person_ids=ids, since=today - WINDOW, until=today)
    enrolments = enrolments_for(session, person_ids=ids)
    standard = knowledge.standard
    by_person: dict[int, ApprenticeSummary] = {}
    for pid, person in people.items():
        enrolment = enrolments.get(pid) or default_enrolment(
            person_id=pid, standard_ref=standard.reference, start=person.created_at.date())
        try:
            by_person[pid] = summarise(standard=standard, person=person, enrolment=enrolment,
                                       stats=stats[pid], stats_before=stats_before[pid],
                                       activity=activity[pid], today=today)
        except Exception:  # noqa: BLE001 - one apprentice's bad data must not sink the nudges
            log.exception("summary for apprentice %s could not be made", pid)
    return {mid: [by_person[p.id] for p in teams.get(mid, []) if p.id in by_person]
            for mid in manager_ids}
