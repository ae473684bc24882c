"""Entry ↔ KSB tags and the per-KSB evidence counts progress is built from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import TAG_SOURCES, Entry, EntryTag, utcnow


@dataclass(frozen=True)
class KsbStat:
    """How much evidence one KSB has for one apprentice."""

    ksb_id: str
    confirmed: int = 0
    suggested: int = 0
    last_confirmed: date | None = None


def tags_for(session: Session, *, entry_ids: Iterable[int]) -> dict[int, list[EntryTag]]:
    ids = list(entry_ids)
    found: dict[int, list[EntryTag]] = defaultdict(list)
    if not ids:
        return found
    for tag in session.exec(select(EntryTag).where(col(EntryTag.entry_id).in_(ids))
                            .order_by(col(EntryTag.entry_id), col(EntryTag.id))):
        found[tag.entry_id].append(tag)
    return found


def get_tag(session: Session, *, entry_id: int, ksb_id: str) -> EntryTag | None:
    return session.exec(select(EntryTag).where(EntryTag.entry_id == entry_id,
                                               EntryTag.ksb_id == ksb_id)).first()


def set_tag(session: Session, *, entry_id: int, ksb_id: str, source: str,
            confidence: float | None = None, reason: str | None = None) -> EntryTag:
    """Create or change the one tag an entry has for a KSB."""
    if source not in TAG_SOURCES:
        raise ValueError(f"unknown tag source {source!r}")
    tag = get_tag(session, entry_id=entry_id, ksb_id=ksb_id) or EntryTag(
        entry_id=entry_id, ksb_id=ksb_id, source=source)
    tag.source = source
    if confidence is not None:
        tag.confidence = confidence
    if reason is not None:
        tag.reason = reason
    tag.updated_at = utcnow()
    session.add(tag)
    session.flush()
    return tag


def add_suggestions(session: Session, *, entry_id: int,
                    suggestions: Iterable[tuple[str, float, str]]) -> list[EntryTag]:
    """Store (ksb_id, confidence, reason) as suggestions; the apprentice's own decisions win."""
    stored: list[EntryTag] = []
    for ksb_id, confidence, reason in suggestions:
        existing = get_tag(session, entry_id=entry_id, ksb_id=ksb_id)
        if existing is not None and existing.source != "suggested":
            continue
        stored.append(set_tag(session, entry_id=entry_id, ksb_id=ksb_id, source="suggested",
                              confidence=confidence, reason=reason))
    return stored


def ksb_stats(session: Session, *, person_id: int) -> dict[str, KsbStat]:
    """Counts per KSB in one grouped query, so progress stays fast with hundreds of entries."""
    rows = session.execute(
        sa.select(col(EntryTag.ksb_id), col(EntryTag.source), sa.func.count(),
                  sa.func.max(col(Entry.work_date)))
        .join(Entry, col(Entry.id) == col(EntryTag.entry_id))
        .where(col(Entry.person_id) == person_id, col(EntryTag.source) != "removed")
        .group_by(col(EntryTag.ksb_id), col(EntryTag.source))
    ).all()
    stats: dict[str, KsbStat] = {}
    for ksb_id, source, count, last in rows:
        current = stats.get(ksb_id) or KsbStat(ksb_id=ksb_id)
        if source == "confirmed":
            current = KsbStat(ksb_id, count, current.suggested, last)
        else:
            current = KsbStat(ksb_id, current.confirmed, count, current.last_confirmed)
        stats[ksb_id] = current
    return stats
