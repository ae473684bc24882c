"""Entries as documents show them: date order, an anchor to link to, tags split by status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.coaching.evidence import short_quote
from bot.coaching.reflections import EntryView

ACTIVITY_CHARS = 70


@dataclass(frozen=True)
class DocEntry:
    id: int
    work_date: date
    hours: float
    text: str
    confirmed: tuple[str, ...]
    suggested: tuple[str, ...]  # listed apart, "not yet confirmed"; never counted as evidence

    @property
    def anchor(self) -> str:
        return f"entry-{self.id}"

    @property
    def activity(self) -> str:
        return short_quote(self.text, ACTIVITY_CHARS)


@dataclass(frozen=True)
class OtjLine:
    entry: DocEntry
    running_total: float


def doc_entries(views: Sequence[EntryView], ksb_order: Sequence[str]) -> tuple[DocEntry, ...]:
    """Oldest first (ties by id), tags in the standard's order."""
    rank = {ksb_id: i for i, ksb_id in enumerate(ksb_order)}

    def ordered(ids: list[str]) -> tuple[str, ...]:
        return tuple(sorted(set(ids), key=lambda i: rank.get(i, len(rank))))

    rows = sorted(views, key=lambda v: (v.entry.work_date, v.entry.id or 0))
    return tuple(DocEntry(id=v.entry.id or 0, work_date=v.entry.work_date,
                          hours=float(v.entry.otj_hours), text=v.entry.text,
                          confirmed=ordered(v.ids("confirmed")),
                          suggested=ordered(v.ids("suggested")))
                 for v in rows)


def otj_log(entries: Sequence[DocEntry]) -> tuple[OtjLine, ...]:
    """Every entry with hours, with the running total an assessor can check line by line."""
    lines: list[OtjLine] = []
    total = 0.0
    for entry in entries:
        if entry.hours > 0:
            total = round(total + entry.hours, 2)
            lines.append(OtjLine(entry, total))
    return tuple(lines)


def in_period(entries: Sequence[DocEntry], start: date, end: date) -> tuple[DocEntry, ...]:
    return tuple(e for e in entries if start <= e.work_date <= end)
