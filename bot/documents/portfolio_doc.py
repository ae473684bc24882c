"""The portfolio as data: cover, summary, evidence matrix, entries and the off-the-job log.

Pure: built from the apprentice's entries and their computed progress, so
tests can check every figure against the entries it came from. Only confirmed
tags are evidence; suggested ones ride along, labelled as not yet confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.coaching.progress import OTHER_DUTY, Progress
from bot.coaching.reflections import EntryView
from bot.documents.doc_entries import DocEntry, OtjLine, doc_entries, otj_log
from bot.scheduler.coverage_png import GridRow, render_grid
from bot.scheduler.nudge_data import strength
from knowledge.model import Standard
from storage.models import Enrolment
from storage.tags import KsbStat


@dataclass(frozen=True)
class StandardInfo:
    reference: str
    title: str
    level: int
    version: str
    status: str  # e.g. "in development"; "" when approved for delivery
    ksb_count: int

    @classmethod
    def of(cls, standard: Standard) -> StandardInfo:
        return cls(standard.reference, standard.title, standard.level, standard.version,
                   standard.status, len(standard.ksbs))


@dataclass(frozen=True)
class MatrixRow:
    ksb_id: str
    text: str
    evidence: tuple[DocEntry, ...]  # confirmed only, oldest first


@dataclass(frozen=True)
class MatrixDuty:
    number: int  # OTHER_DUTY (0) gathers KSBs no duty lists
    text: str
    rows: tuple[MatrixRow, ...]

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rows if r.evidence)


@dataclass(frozen=True)
class PortfolioDoc:
    apprentice: str
    standard: StandardInfo
    start_date: date
    planned_epa_date: date
    generated: date
    progress: Progress
    expected_by_now: float
    duties: tuple[MatrixDuty, ...]
    entries: tuple[DocEntry, ...]
    otj: tuple[OtjLine, ...]
    picture_png: bytes

    @property
    def first_date(self) -> date | None:
        return self.entries[0].work_date if self.entries else None

    @property
    def last_date(self) -> date | None:
        return self.entries[-1].work_date if self.entries else None

    @property
    def hours_total(self) -> float:
        return self.otj[-1].running_total if self.otj else 0.0

    @property
    def filename_stem(self) -> str:
        return f"portfolio-{self.standard.reference.lower()}-{self.generated.isoformat()}"


def expected_hours(progress: Progress) -> float:
    """Off-the-job hours an apprentice on a steady pace would have logged by now."""
    return round(progress.otj.hours * progress.elapsed, 1)


def matrix(progress: Progress, entries: Sequence[DocEntry]) -> tuple[MatrixDuty, ...]:
    evidence: dict[str, list[DocEntry]] = {}
    for entry in entries:
        for ksb_id in entry.confirmed:
            evidence.setdefault(ksb_id, []).append(entry)
    return tuple(MatrixDuty(d.number, d.text if d.number != OTHER_DUTY else "",
                            tuple(MatrixRow(k.id, k.text, tuple(evidence.get(k.id, ())))
                                  for k in d.ksbs))
                 for d in progress.duties)


def coverage_picture(standard: Standard, progress: Progress, name: str) -> bytes:
    """The same grid managers get weekly, one row: this apprentice's evidence per KSB."""
    levels = tuple(strength(KsbStat(k.id, k.confirmed, k.suggested)) for k in progress.ksbs)
    return render_grid(standard, [GridRow(name, levels)])


def build_portfolio_doc(*, standard: Standard, enrolment: Enrolment, progress: Progress,
                        views: Sequence[EntryView], apprentice: str,
                        generated: date) -> PortfolioDoc:
    entries = doc_entries(views, [k.id for k in standard.ksbs])
    return PortfolioDoc(
        apprentice=apprentice, standard=StandardInfo.of(standard),
        start_date=enrolment.start_date, planned_epa_date=enrolment.planned_epa_date,
        generated=generated, progress=progress, expected_by_now=expected_hours(progress),
        duties=matrix(progress, entries), entries=entries, otj=otj_log(entries),
        picture_png=coverage_picture(standard, progress, apprentice))
