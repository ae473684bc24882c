"""Each conversation's context row: the KSBs last discussed and the entry last saved."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import ConversationContext, utcnow


def get_context(session: Session, *, person_id: int, conversation_id: str) -> ConversationContext | None:
    return session.exec(
        select(ConversationContext).where(ConversationContext.person_id == person_id,
                                          ConversationContext.conversation_id == conversation_id)
    ).first()


def save_context(session: Session, *, person_id: int, conversation_id: str,
                 ksb_ids: list[str] | None = None, entry_id: int | None = None) -> ConversationContext:
    """Upsert; a None field keeps its stored value. Two replicas inserting at once settle on the unique key."""
    row = get_context(session, person_id=person_id, conversation_id=conversation_id)
    if row is None:
        try:
            with session.begin_nested():
                row = ConversationContext(person_id=person_id, conversation_id=conversation_id,
                                          ksb_ids=list(ksb_ids or []), entry_id=entry_id)
                session.add(row)
                session.flush()
                return row
        except IntegrityError:
            row = get_context(session, person_id=person_id, conversation_id=conversation_id)
            if row is None:
                raise
    if ksb_ids is not None:
        row.ksb_ids = list(ksb_ids)
    if entry_id is not None:
        row.entry_id = entry_id
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row
