"""The numbers behind a manager's nudge, per apprentice, computed for a whole batch at once.

Only summaries leave this module (counts, hours, coverage, KSB ids): never the
text of anyone's reflections, which stays private to its author.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.progress import Progress, compute_progress
from knowledge.registry import Knowledge
from storage.enrolments import default_enrolment
from storage.models import Enrolment, Person
from storage.schedule_data import (
    Activity,
    activity_for,
    apprentices_by_manager,
    enrolments_for,
    ksb_stats_for,
)
from storage.tags import KsbStat

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


def weakest_duty(progress: Progress) -> DutyGap | None:
    """The duty with the smallest share of its KSBs evidenced (ties: the lower number)."""
    gaps = [DutyGap(d.number, d.text, sum(1 for k in d.ksbs if k.confirmed), len(d.ksbs))
            for d in progress.duties if d.number and d.ksbs]
    if not gaps:
        return None
    return min(gaps, key=lambda g: (g.covered / g.total, g.number))


def coverage(standard_size: int, stats: dict[str, KsbStat]) -> float:
    """Percentage of KSBs with confirmed evidence, as `Progress.coverage` counts it."""
    covered = sum(1 for stat in stats.values() if stat.confirmed)
    return round(100.0 * covered / standard_size, 1) if standard_size else 0.0


def summarise(*, knowledge: Knowledge, person: Person, progress: Progress, before: float,
              stats: dict[str, KsbStat], entries_week: int, hours_week: float,
              last_entry: date | None, start: date, epa: date, today: date) -> ApprenticeSummary:
    """One apprentice's line in the nudge, from already-loaded numbers (pure, so testable)."""
    weeks = max((epa - start).days / 7, 1.0)
    since = (today - last_entry).days if last_entry else (today - start).days
    assert person.id is not None
    return ApprenticeSummary(
        person_id=person.id, name=person.display_name or f"Apprentice {person.id}",
        entries_week=entries_week, hours_week=round(hours_week, 1),
        weekly_target=round(progress.otj.hours / weeks, 1),
        hours_total=round(progress.hours_logged, 1), target_total=progress.otj.hours,
        expected_by_now=round(progress.otj.hours * progress.elapsed, 1),
        coverage=progress.coverage, coverage_change=round(progress.coverage - before, 1),
        weakest_duty=weakest_duty(progress),
        weakest_ksbs=tuple(k.id for k in progress.weakest[:2]),
        quiet_days=since if since >= QUIET_DAYS else None,
        strengths=tuple(strength(stats.get(k.id)) for k in knowledge.standard.ksbs),
    )


def _progress(knowledge: Knowledge, stats: dict[str, KsbStat], enrolment: Enrolment,
              act: Activity, today: date) -> Progress:
    return compute_progress(standard=knowledge.standard, stats=stats, enrolment=enrolment,
                            hours_logged=act.hours_total, entry_count=act.entries_total,
                            today=today)


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
        act = activity[pid]
        progress = _progress(knowledge, stats[pid], enrolment, act, today)
        by_person[pid] = summarise(
            knowledge=knowledge, person=person, progress=progress,
            before=coverage(len(standard.ksbs), stats_before[pid]), stats=stats[pid],
            entries_week=act.entries_window, hours_week=act.hours_window,
            last_entry=act.last_entry, start=enrolment.start_date,
            epa=enrolment.planned_epa_date, today=today)
    return {mid: [by_person[p.id] for p in teams.get(mid, []) if p.id in by_person]
            for mid in manager_ids}
