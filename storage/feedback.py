"""Thumbs up/down on answers, kept with the ids the answer cited to find weak spots."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from storage.models import FEEDBACK_VALUES, AnswerFeedback


def add_feedback(session: Session, *, person_id: int, value: str, answer_id: str = "",
                 cited_ids: Sequence[str] = ()) -> AnswerFeedback:
    if value not in FEEDBACK_VALUES:
        raise ValueError(f"feedback must be one of {', '.join(FEEDBACK_VALUES)}")
    row = AnswerFeedback(person_id=person_id, value=value, answer_id=answer_id[:64],
                         cited_ids=list(cited_ids))
    session.add(row)
    session.flush()
    return row
