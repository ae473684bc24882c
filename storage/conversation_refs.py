"""Where the bot can reach a person first: the platform's conversation reference, one per platform.

Teams only lets a bot message someone proactively through a conversation it
has already seen, so the reference is kept in the database (every replica and
a restarted process can use it). An uninstall marks it, and senders skip it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from storage.models import ConversationRef, utcnow
from storage.unique_insert import insert_or_reread


def find_reference(session: Session, *, person_id: int, platform: str) -> ConversationRef | None:
    return session.exec(
        select(ConversationRef).where(ConversationRef.person_id == person_id,
                                      ConversationRef.platform == platform)
    ).first()


def installed_reference(session: Session, *, person_id: int, platform: str) -> dict[str, Any] | None:
    """The stored reference, or None when there is none or the person uninstalled the app."""
    row = find_reference(session, person_id=person_id, platform=platform)
    return dict(row.reference) if row is not None and row.installed else None


def save_reference(session: Session, *, person_id: int, platform: str,
                   reference: dict[str, Any]) -> bool:
    """Insert or refresh the reference (and mark it installed); False when nothing changed.

    Writing only on change keeps a busy conversation from rewriting the row on
    every message; two replicas inserting at once are settled by the unique key.
    """
    row = find_reference(session, person_id=person_id, platform=platform)
    if row is None:
        def insert() -> ConversationRef:
            new = ConversationRef(person_id=person_id, platform=platform, reference=dict(reference), installed=True)
            session.add(new)
            return new

        saved, inserted = insert_or_reread(session, insert=insert, reread=lambda: find_reference(
            session, person_id=person_id, platform=platform))
        if inserted:
            return True
        row = saved
    if row.installed and row.reference == reference:
        return False
    row.reference = dict(reference)
    row.installed = True
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return True


def mark_uninstalled(session: Session, *, person_id: int, platform: str) -> bool:
    """Keep the row (so a reinstall simply refreshes it) but stop every proactive send."""
    row = find_reference(session, person_id=person_id, platform=platform)
    if row is None or not row.installed:
        return False
    row.installed = False
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return True
