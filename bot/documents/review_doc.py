"""The progress review pack as data: the period since the last review, looked at from the record.

Pure, like the portfolio: figures come from the entries and progress handed
in. A pack for a manager carries no entry text (least privilege: managers see
summaries), so it is built with `private=False` and shows dates, hours and tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.coaching.evidence import EvidenceIdea
from bot.coaching.progress import KsbProgress, Progress
from bot.documents.doc_entries import DocEntry, in_period
from bot.documents.portfolio_doc import StandardInfo, expected_hours
from bot.ui_text import ui
from storage.models import ProgressReview, ReviewAction


class BadPeriod(ValueError):
    """A review period that cannot be reviewed; the message is one line for the user."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def checked(cls, start: date, end: date, *, today: date) -> Period:
        if end < start:
            raise BadPeriod(ui("error_period_backwards", end=end.isoformat(), start=start.isoformat()))
        if end > today:
            raise BadPeriod(ui("error_period_future", end=end.isoformat(), today=today.isoformat()))
        return cls(start, end)


@dataclass(frozen=True)
class LastReview:
    held_on: date
    actions: tuple[ReviewAction, ...]
    comments: tuple[tuple[str, str], ...] = ()  # (whose, words): what each party said last time


@dataclass(frozen=True)
class NewlyEvidenced:
    ksb_id: str
    text: str
    first: date  # the first confirmed entry ever for it, inside the period
    in_period: int  # confirmed entries for it in the period


@dataclass(frozen=True)
class Summary:
    went_well: tuple[str, ...]
    next_steps: tuple[str, ...]
    source: str  # grounded | llm


@dataclass(frozen=True)
class ReviewPack:
    apprentice: str
    standard: StandardInfo
    period: Period
    generated: date
    private: bool  # entry text included (the apprentice's own pack)
    progress: Progress
    expected_by_now: float
    entries: tuple[DocEntry, ...]  # of the period, oldest first
    last_review: LastReview | None
    newly: tuple[NewlyEvidenced, ...]
    without: tuple[KsbProgress, ...]
    ideas: tuple[EvidenceIdea, ...]  # one per weakest KSB
    summary: Summary
    next_due: date

    @property
    def hours_in_period(self) -> float:
        return round(sum(e.hours for e in self.entries), 2)

    @property
    def filename_stem(self) -> str:
        return f"review-{self.standard.reference.lower()}-{self.period.end.isoformat()}"


def review_due(*, last_held: date | None, start: date, interval_weeks: int) -> date:
    """Due `interval_weeks` after the last review, or after the start when there was none."""
    return (last_held or start) + timedelta(weeks=interval_weeks)


def newly_evidenced(progress: Progress, entries: Sequence[DocEntry],
                    period: Period) -> tuple[NewlyEvidenced, ...]:
    first: dict[str, date] = {}
    counts: dict[str, int] = {}
    for entry in entries:  # oldest first
        for ksb_id in entry.confirmed:
            first.setdefault(ksb_id, entry.work_date)
            if period.start <= entry.work_date <= period.end:
                counts[ksb_id] = counts.get(ksb_id, 0) + 1
    return tuple(NewlyEvidenced(k.id, k.text, first[k.id], counts.get(k.id, 0))
                 for k in progress.ksbs
                 if k.id in first and period.start <= first[k.id] <= period.end)


def evidenced_in_period(entries: Sequence[DocEntry]) -> list[tuple[str, int, date]]:
    """(KSB id, confirmed entries, latest date) for the period, most evidenced first."""
    counts: dict[str, int] = {}
    latest: dict[str, date] = {}
    for entry in entries:
        for ksb_id in entry.confirmed:
            counts[ksb_id] = counts.get(ksb_id, 0) + 1
            latest[ksb_id] = max(latest.get(ksb_id, entry.work_date), entry.work_date)
    return sorted(((k, n, latest[k]) for k, n in counts.items()),
                  key=lambda row: (-row[1], -row[2].toordinal(), row[0]))


def build_review_pack(*, apprentice: str, standard: StandardInfo, progress: Progress,
                      all_entries: Sequence[DocEntry], period: Period, generated: date,
                      private: bool, last: ProgressReview | None,
                      last_actions: Sequence[ReviewAction], ideas: Sequence[EvidenceIdea],
                      summary: Summary, next_due: date) -> ReviewPack:
    entries = in_period(all_entries, period.start, period.end)
    return ReviewPack(
        apprentice=apprentice, standard=standard, period=period, generated=generated,
        private=private, progress=progress, expected_by_now=expected_hours(progress),
        entries=entries,
        last_review=LastReview(last.held_on, tuple(last_actions), tuple(
            (who, said) for who, said in (("Apprentice", last.apprentice_comment),
                                          ("Employer", last.employer_comment),
                                          ("Training provider", last.provider_comment)) if said)) if last else None,
        newly=newly_evidenced(progress, all_entries, period),
        without=tuple(k for k in progress.ksbs if k.confirmed == 0),
        ideas=tuple(ideas), summary=summary, next_due=next_due)
