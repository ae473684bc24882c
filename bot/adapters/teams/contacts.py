"""Who is talking on Teams, and where they can be reached later.

A person is their tenant id plus AAD object id (stable across chats, apps and
renames); the 29:… channel account id is only used when the Emulator sends
no AAD id. Conversation references of personal chats are stored in the
database so any replica, or the scheduler after a restart, can message the
person with `continue_conversation`. References of channels and group chats
are never stored as a person's: a weekly prompt must not land in a channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.messages import UserRef
from bot.scheduler.clock import known_zone
from storage import conversation_refs, people
from storage.db import SessionFactory

PLATFORM = "teams"


class PersonKey(Protocol):
    """Anything naming a person by platform identity: a `UserRef`, a scheduler `Address`, a `Person` row."""

    @property
    def workspace_id(self) -> str: ...

    @property
    def user_id(self) -> str: ...


def tenant_of(activity: Activity) -> str:
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None) if conversation else None
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    from_data = (channel_data.get("tenant") or {}).get("id") if isinstance(channel_data.get("tenant"), dict) else None
    return str(tenant or from_data or "")


def user_of(activity: Activity) -> UserRef | None:
    """The sender as a `UserRef`; None for activities without a person behind them."""
    sender = activity.from_property
    if sender is None or not (sender.aad_object_id or sender.id):
        return None
    tenant = tenant_of(activity)
    if sender.aad_object_id:
        return UserRef(platform=PLATFORM, workspace_id=tenant or "unknown-tenant", user_id=str(sender.aad_object_id),
                       display_name=str(sender.name or ""), timezone=str(activity.local_timezone or ""))
    # the Bot Framework Emulator (no AAD): keyed apart from real tenants by its channel id
    return UserRef(platform=PLATFORM, workspace_id=tenant or f"channel:{activity.channel_id}",
                   user_id=str(sender.id), display_name=str(sender.name or ""))


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    kind = getattr(conversation, "conversation_type", None) if conversation else None
    return kind == "personal" or (kind is None and not getattr(conversation, "is_group", False))


def reference_of(activity: Activity) -> dict[str, Any]:
    """The JSON form of where `activity` came from, without its activity id (new messages, not replies)."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    data: dict[str, Any] = reference.serialize()
    return data


def reference_from(data: dict[str, Any]) -> ConversationReference:
    reference: ConversationReference = ConversationReference().deserialize(data)
    return reference


class ConversationStore:
    """Personal-chat references in the database, keyed by the person's Teams identity."""

    def __init__(self, *, sessions: SessionFactory, standard_ref: str,
                 today: Callable[[], date] = date.today) -> None:
        self._sessions = sessions
        self._standard_ref = standard_ref
        self._today = today

    async def remember(self, user: UserRef, reference: dict[str, Any]) -> bool:
        """Store (or refresh) the reference; the person is enrolled on first contact, as the coach does."""
        return await self._sessions.run(self._remember, user, reference)

    async def forget(self, user: UserRef) -> bool:
        """The app was uninstalled or removed from the chat: no more proactive messages."""
        return await self._sessions.run(self._forget, user)

    async def lookup(self, key: PersonKey) -> dict[str, Any] | None:
        return await self._sessions.run(self._lookup, key)

    def _remember(self, user: UserRef, reference: dict[str, Any]) -> bool:
        with self._sessions() as session:
            person = people.ensure_person(session, platform=PLATFORM, workspace_id=user.workspace_id,
                                          user_id=user.user_id, display_name=user.display_name,
                                          timezone=known_zone(user.timezone), standard_ref=self._standard_ref,
                                          today=self._today())
            assert person.id is not None
            changed = conversation_refs.save_reference(session, person_id=person.id, platform=PLATFORM,
                                                       reference=reference)
            session.commit()
            return changed

    def _forget(self, user: UserRef) -> bool:
        with self._sessions() as session:
            person = people.find_person(session, platform=PLATFORM, workspace_id=user.workspace_id,
                                        user_id=user.user_id)
            if person is None or person.id is None:
                return False
            changed = conversation_refs.mark_uninstalled(session, person_id=person.id, platform=PLATFORM)
            session.commit()
            return changed

    def _lookup(self, key: PersonKey) -> dict[str, Any] | None:
        with self._sessions() as session:
            person = people.find_person(session, platform=PLATFORM, workspace_id=key.workspace_id,
                                        user_id=key.user_id)
            if person is None or person.id is None:
                return None
            return conversation_refs.installed_reference(session, person_id=person.id, platform=PLATFORM)

    async def mark_unreachable(self, key: PersonKey) -> bool:
        return await self.forget(UserRef(platform=PLATFORM, workspace_id=key.workspace_id, user_id=key.user_id))


def address_proactive(context: TurnContext, reference: ConversationReference) -> None:
    """Send the turn's messages as replies to `reference.activity_id`, or as new messages when it has none.

    botbuilder makes every proactive message a reply to the continuation
    event's random id; Teams would then thread it under nothing.
    """
    reply_to = reference.activity_id

    async def readdress(_context: TurnContext, activities: list[Activity], next_send: Any) -> None:
        for activity in activities:
            activity.reply_to_id = reply_to
        await next_send()

    context.on_send_activities(readdress)
