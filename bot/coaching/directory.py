"""Who is talking: a chat identity resolved to a stored person, for every stateful handler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.coaching.authz import Actor
from bot.messages import UserRef
from bot.scheduler.clock import known_zone
from storage import people
from storage.db import SessionFactory


class Directory:
    """Creates the person as an enrolled apprentice on first contact, so nothing they send is refused."""

    def __init__(self, *, sessions: SessionFactory, standard_ref: str,
                 today: Callable[[], date] = date.today) -> None:
        self.sessions = sessions
        self._standard_ref = standard_ref
        self._today = today

    async def actor(self, user: UserRef) -> Actor:
        return await self.sessions.run(self._ensure, user)

    async def existing_actor(self, user: UserRef) -> Actor | None:
        """None for someone never seen: data-rights requests must not create a profile."""
        return await self.sessions.run(self._find, user)

    def _ensure(self, user: UserRef) -> Actor:
        with self.sessions() as session:
            person = people.ensure_person(
                session, platform=user.platform, workspace_id=user.workspace_id,
                user_id=user.user_id, display_name=user.display_name, timezone=known_zone(user.timezone),
                standard_ref=self._standard_ref, today=self._today())
            session.commit()
            return Actor.of(person)

    def _find(self, user: UserRef) -> Actor | None:
        with self.sessions() as session:
            person = people.find_person(session, platform=user.platform,
                                        workspace_id=user.workspace_id, user_id=user.user_id)
            return Actor.of(person) if person else None
