"""An apprentice's progress: evidence per KSB, coverage, hours, weakest KSBs, gateway readiness.

`compute_progress` is pure so it can be tested with any numbers; `ProgressService`
loads the numbers (two aggregate queries) and applies the access rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.coaching.authz import Actor, check_summary
from bot.coaching.otj import OtjTarget, otj_target
from bot.ui_text import ui
from knowledge.model import Standard
from knowledge.registry import Knowledge
from storage.db import SessionFactory
from storage.enrolments import get_enrolment
from storage.entries import count_entries, total_hours
from storage.models import Enrolment
from storage.tags import KsbStat, ksb_stats

THIN_EVIDENCE = 2  # fewer confirmed entries than this is "thin"
WEAKEST = 3
OTHER_DUTY = 0  # group for KSBs that no duty lists


@dataclass(frozen=True)
class KsbProgress:
    id: str
    text: str
    confirmed: int
    suggested: int
    last_evidenced: date | None
    weakness: float


@dataclass(frozen=True)
class DutyProgress:
    number: int
    text: str
    ksbs: tuple[KsbProgress, ...]


@dataclass(frozen=True)
class GatewayReadiness:
    ready: bool
    missing_ksbs: tuple[str, ...]
    hours_short: float


@dataclass(frozen=True)
class Progress:
    person_id: int
    standard_ref: str
    ksbs: tuple[KsbProgress, ...]
    duties: tuple[DutyProgress, ...]
    covered: int
    total: int
    hours_logged: float
    otj: OtjTarget
    weakest: tuple[KsbProgress, ...]
    readiness: GatewayReadiness
    elapsed: float  # share of the programme behind the apprentice, 0..1
    entries: int

    @property
    def coverage(self) -> float:
        """Percentage of KSBs with at least one confirmed entry."""
        return round(100.0 * self.covered / self.total, 1) if self.total else 0.0


def elapsed_share(enrolment: Enrolment, today: date) -> float:
    span = (enrolment.planned_epa_date - enrolment.start_date).days
    if span <= 0:
        return 1.0
    return min(max((today - enrolment.start_date).days / span, 0.0), 1.0)


def weakness(*, confirmed: int, elapsed: float) -> float:
    """Missing evidence matters more the further through the programme the apprentice is.

    Scales from 0.25 (day one) to 1.0 (at EPA) for a KSB with no confirmed
    evidence, and shrinks as confirmed entries accumulate.
    """
    return round((0.25 + 0.75 * elapsed) / (1 + confirmed), 4)


def compute_progress(*, standard: Standard, stats: dict[str, KsbStat], enrolment: Enrolment,
                     hours_logged: float, entry_count: int, today: date,
                     weakest: int = WEAKEST) -> Progress:
    elapsed = elapsed_share(enrolment, today)
    rows: list[KsbProgress] = []
    for ksb in standard.ksbs:
        stat = stats.get(ksb.id) or KsbStat(ksb_id=ksb.id)
        rows.append(KsbProgress(id=ksb.id, text=ksb.text, confirmed=stat.confirmed,
                                suggested=stat.suggested, last_evidenced=stat.last_confirmed,
                                weakness=weakness(confirmed=stat.confirmed, elapsed=elapsed)))
    order = {row.id: i for i, row in enumerate(rows)}
    thin = [r for r in rows if r.confirmed < THIN_EVIDENCE]
    thin.sort(key=lambda r: (-r.weakness, r.suggested, order[r.id]))
    target = otj_target(start=enrolment.start_date, planned_epa=enrolment.planned_epa_date,
                        weekly_hours=enrolment.weekly_hours,
                        standard_minimum=standard.minimum_otj_hours,
                        override=enrolment.otj_target_hours)
    missing = tuple(r.id for r in rows if r.confirmed == 0)
    short = round(max(target.hours - hours_logged, 0.0), 1)
    assert enrolment.person_id is not None
    return Progress(
        person_id=enrolment.person_id, standard_ref=standard.reference, ksbs=tuple(rows),
        duties=_by_duty(standard, rows), covered=len(rows) - len(missing), total=len(rows),
        hours_logged=round(hours_logged, 2), otj=target, weakest=tuple(thin[:weakest]),
        readiness=GatewayReadiness(ready=not missing and short == 0, missing_ksbs=missing,
                            hours_short=short),
        elapsed=round(elapsed, 3), entries=entry_count,
    )


def _by_duty(standard: Standard, rows: list[KsbProgress]) -> tuple[DutyProgress, ...]:
    by_id = {r.id: r for r in rows}
    groups = [DutyProgress(number=d.number, text=d.text,
                           ksbs=tuple(by_id[i] for i in d.ksb_ids if i in by_id))
              for d in standard.duties]
    listed = {i for d in standard.duties for i in d.ksb_ids}
    others = tuple(r for r in rows if r.id not in listed)
    if others:
        groups.append(DutyProgress(number=OTHER_DUTY, text="", ksbs=others))
    return tuple(groups)


class ProgressService:
    def __init__(self, *, session_factory: SessionFactory, knowledge: Knowledge) -> None:
        self._sessions = session_factory
        self._knowledge = knowledge

    def for_person(self, *, actor: Actor, apprentice_id: int,
                   today: date | None = None) -> Progress:
        with self._sessions() as session:
            check_summary(session, actor, apprentice_id=apprentice_id)
            enrolment = get_enrolment(session, person_id=apprentice_id)
            if enrolment is None:
                raise LookupError(ui("error_no_enrolment"))
            return compute_progress(
                standard=self._knowledge.standard,
                stats=ksb_stats(session, person_id=apprentice_id), enrolment=enrolment,
                hours_logged=total_hours(session, person_id=apprentice_id),
                entry_count=count_entries(session, person_id=apprentice_id),
                today=today or date.today())

    async def for_person_async(self, *, actor: Actor, apprentice_id: int,
                               today: date | None = None) -> Progress:
        return await self._sessions.run(self.for_person, actor=actor, apprentice_id=apprentice_id,
                                        today=today)
