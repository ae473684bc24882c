"""The database-backed conversation context, shared by every replica.

A context's KSBs and entry are what "it", "that one" or "add K28 to that"
resolve against, for the router and the tag handlers alike.
"""

from __future__ import annotations

from bot.coaching.directory import Directory
from bot.conversation.context import EMPTY_CONTEXT, Context, Turn
from bot.messages import UserRef
from storage import people
from storage.conversations import get_context, save_context


def conversation_key(conversation_id: str) -> str:
    """A person's direct chat has no conversation id on some surfaces; it is still one conversation."""
    return conversation_id or "direct"


class ContextStore:
    """One row per person and conversation; a person is created on first remembered turn."""

    def __init__(self, *, directory: Directory) -> None:
        self._directory = directory

    async def load(self, user: UserRef, conversation_id: str) -> Context:
        return await self._directory.sessions.run(self._load, user, conversation_key(conversation_id))

    async def remember(self, user: UserRef, conversation_id: str, *, ksb_ids: list[str] | None = None,
                       entry_id: int | None = None, turn: Turn | None = None) -> None:
        if not ksb_ids and entry_id is None and turn is None:
            return
        actor = await self._directory.actor(user)
        await self._directory.sessions.run(self._save, actor.id, conversation_key(conversation_id),
                                           ksb_ids or None, entry_id, turn)

    def _load(self, user: UserRef, key: str) -> Context:
        with self._directory.sessions() as session:
            person = people.find_person(session, platform=user.platform, workspace_id=user.workspace_id,
                                        user_id=user.user_id)
            row = get_context(session, person_id=person.id, conversation_id=key) \
                if person and person.id is not None else None
            if row is None:
                return EMPTY_CONTEXT
            turns = tuple(Turn(str(t.get("asked", "")), str(t.get("answered", ""))) for t in row.turns or [])
            return Context(tuple(row.ksb_ids), row.entry_id, turns)

    def _save(self, person_id: int, key: str, ksb_ids: list[str] | None, entry_id: int | None,
              turn: Turn | None) -> None:
        with self._directory.sessions() as session:
            save_context(session, person_id=person_id, conversation_id=key, ksb_ids=ksb_ids,
                         entry_id=entry_id, turn=(turn.asked, turn.answered) if turn else None,
                         turn_event=turn.event if turn else "")
            session.commit()
