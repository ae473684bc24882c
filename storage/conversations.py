"""Each conversation's context row: the KSBs last discussed, the entry last saved and the last turns."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import ConversationContext, utcnow
from storage.unique_insert import insert_or_reread


def get_context(session: Session, *, person_id: int, conversation_id: str) -> ConversationContext | None:
    return session.exec(
        select(ConversationContext).where(ConversationContext.person_id == person_id,
                                          ConversationContext.conversation_id == conversation_id)
    ).first()


KEPT_TURNS = 12  # the agent is sent fewer (bounded by tokens); older ones are dropped here
TURN_CHARS = 2000  # of each side of a stored turn


def save_context(session: Session, *, person_id: int, conversation_id: str,
                 ksb_ids: list[str] | None = None, entry_id: int | None = None,
                 turn: tuple[str, str] | None = None, turn_event: str = "") -> ConversationContext:
    """Upsert; a None field keeps its stored value. Two replicas inserting at once settle on the unique key.

    `turn_event` is the chat event `turn` answered: a turn whose event is kept already (a replay from the
    inbox) is not added again."""
    row = get_context(session, person_id=person_id, conversation_id=conversation_id)
    if row is None:
        def insert() -> ConversationContext:
            new = ConversationContext(person_id=person_id, conversation_id=conversation_id,
                                      ksb_ids=list(ksb_ids or []), entry_id=entry_id,
                                      turns=_with_turn([], turn, turn_event))
            session.add(new)
            return new

        saved, inserted = insert_or_reread(session, insert=insert, reread=lambda: get_context(
            session, person_id=person_id, conversation_id=conversation_id))
        if inserted:
            return saved
        row = saved
    if ksb_ids is not None:
        row.ksb_ids = list(ksb_ids)
    if entry_id is not None:
        row.entry_id = entry_id
    if turn is not None:
        row.turns = _with_turn(list(row.turns or []), turn, turn_event)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def _with_turn(turns: list[dict[str, str]], turn: tuple[str, str] | None, event: str = "") -> list[dict[str, str]]:
    if turn is None or (event and any(t.get("event") == event[:200] for t in turns)):
        return turns
    asked, answered = turn
    kept = {"asked": asked[:TURN_CHARS], "answered": answered[:TURN_CHARS]}
    if event:
        kept["event"] = event[:200]
    return [*turns, kept][-KEPT_TURNS:]
