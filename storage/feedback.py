"""Thumbs up/down on answers, kept with the ids the answer cited to find weak spots."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from storage.models import FEEDBACK_VALUES, AnswerFeedback
from storage.unique_insert import once_per_event


def add_feedback(session: Session, *, person_id: int, value: str, answer_id: str = "",
                 cited_ids: Sequence[str] = (), event_key: str = "") -> AnswerFeedback:
    """The vote; with `event_key` (the click that cast it) counted once per event: a replay of the
    click, or two replicas taking it at once, finds the vote already stored."""
    if value not in FEEDBACK_VALUES:
        raise ValueError(f"feedback must be one of {', '.join(FEEDBACK_VALUES)}")
    def insert(key: str | None) -> AnswerFeedback:
        row = AnswerFeedback(person_id=person_id, value=value, answer_id=answer_id[:64],
                             cited_ids=list(cited_ids), event_key=key)
        session.add(row)
        session.flush()
        return row

    return once_per_event(session, event_key, insert=insert,
                          find=lambda key: _from_event(session, person_id=person_id, event_key=key))[0]


def _from_event(session: Session, *, person_id: int, event_key: str) -> AnswerFeedback | None:
    return session.exec(select(AnswerFeedback).where(AnswerFeedback.person_id == person_id,
                                                     AnswerFeedback.event_key == event_key)).first()
