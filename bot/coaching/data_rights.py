"""The data subject's rights: a copy of everything held about them, and erasure.

Erasure needs an explicit confirmation (the DATA_DELETE_CONFIRM action) and
leaves only an anonymous audit record that a deletion happened: no id, no name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.coaching.authz import Actor, check_own_data
from bot.ui_text import ui
from storage import audit, personal_data
from storage.db import SessionFactory


class ConfirmationRequired(Exception):
    """Erasure was asked for without the explicit confirmation step."""


class DataRights:
    def __init__(self, *, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    def export(self, *, actor: Actor, person_id: int, event_key: str = "") -> dict[str, Any]:
        """Their rows; the export is audited once per chat event (`event_key`), replayed or not."""
        check_own_data(actor, person_id=person_id)
        with self._sessions() as session:
            tables = personal_data.collect(session, person_id=person_id)
            audit.record(session, action="data.exported", actor_id=actor.id, subject_id=person_id,
                         event_key=event_key)
            session.commit()
        return {"exported_at": datetime.now(UTC).isoformat(), "tables": tables}

    def delete(self, *, actor: Actor, person_id: int, confirmed: bool) -> dict[str, int]:
        """Erase every row of theirs in one transaction; returns rows removed per table."""
        check_own_data(actor, person_id=person_id)
        if not confirmed:
            raise ConfirmationRequired(ui("error_delete_unconfirmed"))
        with self._sessions() as session:
            counts = personal_data.erase(session, person_id=person_id)
            audit.record(session, action=personal_data.ERASED_ACTION,
                         detail={"rows": sum(counts.values())})
            session.commit()
        return counts


def row_count(export: dict[str, Any]) -> int:
    return sum(len(rows) for rows in export.get("tables", {}).values())
