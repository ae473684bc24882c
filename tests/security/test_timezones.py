"""An invalid time zone is refused, and the zone shown is the zone used."""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Incoming
from knowledge.registry import Knowledge
from storage import people
from storage.db import SessionFactory
from storage.models import Person
from tests.test_schedule_handlers import ADA, NOW, _coach, _person_id

MARS = replace(ADA, timezone="Mars/Olympus_Mons")


async def test_an_unknown_platform_time_zone_is_not_stored_or_shown(sessions: SessionFactory,
                                                                    knowledge: Knowledge) -> None:
    reply = await _coach(sessions, knowledge).handle(Incoming(user=MARS, text="prompts thursday 4:30pm"))
    with sessions() as session:
        person = session.get(Person, _person_id(sessions, MARS))
        assert person is not None and person.timezone == ""
    assert "Mars" not in reply.text
    # 16:30 in London on Thursday 23 October 2025 (BST): the zone shown is the one the time is in
    assert "every Thursday at 16:30 (Europe/London)" in reply.text
    assert reply.metadata["timezone"] == "Europe/London"


async def test_an_unknown_zone_already_stored_is_shown_as_the_zone_used(sessions: SessionFactory,
                                                                        knowledge: Knowledge) -> None:
    with sessions() as session:  # a row from before the check: stored as the platform sent it
        people.ensure_person(session, platform=MARS.platform, workspace_id=MARS.workspace_id,
                             user_id=MARS.user_id, timezone="Mars/Olympus_Mons", standard_ref="ST1398",
                             today=NOW.date())
        session.commit()
    reply = await _coach(sessions, knowledge).handle(Incoming(user=MARS, text="prompts"))
    assert "Mars" not in reply.text and reply.metadata["timezone"] == "Europe/London"
