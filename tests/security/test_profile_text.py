"""A display name of 250 characters or with a NUL byte never locks a person out (PostgreSQL refuses both)."""

from __future__ import annotations

from datetime import date

from storage import people
from storage.db import SessionFactory


def test_an_odd_display_name_is_stored_cut_and_clean(sessions: SessionFactory) -> None:
    for n, name in enumerate(["N" * 250, "Ada\x00Lovelace"]):
        with sessions() as session:
            person = people.ensure_person(session, platform="slack", workspace_id="T1", user_id=f"U{n}",
                                          display_name=name, timezone="Europe/London\x00",
                                          standard_ref="ST1398", today=date(2026, 1, 5))
            session.commit()
            assert person.id is not None
            assert "\x00" not in person.display_name and len(person.display_name) <= 200
