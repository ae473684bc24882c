"""What a manager's team view reads in bulk: each apprentice's latest entry date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.models import Entry


def last_entry_dates(session: Session, *, person_ids: Sequence[int]) -> dict[int, date]:
    if not person_ids:
        return {}
    rows = session.execute(
        sa.select(col(Entry.person_id), sa.func.max(col(Entry.work_date)))
        .where(col(Entry.person_id).in_(list(person_ids))).group_by(col(Entry.person_id))).all()
    return {int(pid): day for pid, day in rows}
