"""The botbuilder `TeamsActivityHandler`: each kind of Teams activity, translated for `TeamsAdapter`.

Messages (typed, @mentioned or a card's Action.Submit) and Action.Execute
invokes become `Incoming`; installs and conversation updates store or retire
the person's conversation reference; file-consent answers finish an export.
Nothing here decides what to say.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue
from botbuilder.schema.teams import FileConsentCardResponse

from bot.adapters.teams.cards import CARD_TYPE, decode_submit, note_card
from bot.adapters.teams.contacts import is_personal, user_of
from bot.adapters.teams.file_consent import finish_export
from bot.adapters.teams.text import bot_mentions, from_teams
from bot.messages import Incoming
from bot.names import ActionId
from bot.ui_text import ui

if TYPE_CHECKING:
    from bot.adapters.teams.adapter import TeamsAdapter

log = logging.getLogger(__name__)

_ASK = re.compile(r"^\s*ask\b[\s:,-]*", re.IGNORECASE)  # the "ask" command of the app's command list


def to_incoming(activity: Activity) -> Incoming | None:
    """A message activity as the coach's `Incoming`: card data as an action, typed text as text."""
    user = user_of(activity)
    if user is None:
        return None
    conversation_id = str(activity.conversation.id if activity.conversation else "")
    event_id = str(activity.id or "")
    decoded = decode_submit(activity.value)
    if decoded is not None and decoded[0] != ActionId.ASK:
        action, payload = decoded
        return Incoming(user=user, action=action, payload=payload, conversation_id=conversation_id,
                        event_id=event_id)
    if decoded is not None:  # a follow-up button: exactly as if the person had typed it
        text = str(decoded[1].get("text") or "")
    else:
        bot_id = str(activity.recipient.id) if activity.recipient else ""
        text = from_teams(str(activity.text or ""), bot_mention_texts=bot_mentions(activity.entities, bot_id))
        text = _ASK.sub("", text, count=1)
    return Incoming(user=user, text=text, conversation_id=conversation_id, event_id=event_id)


def invoke_incoming(activity: Activity, value: AdaptiveCardInvokeValue) -> Incoming | None:
    user = user_of(activity)
    raw: Any = (value.action or {}).get("data") if isinstance(value.action, dict) else None
    decoded = decode_submit(raw)
    if user is None or decoded is None:
        return None
    action, payload = decoded
    return Incoming(user=user, action=action, payload=payload,
                    conversation_id=str(activity.conversation.id if activity.conversation else ""),
                    event_id=str(activity.id or ""))


def _card_response(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(status_code=200, type=CARD_TYPE, value=card)


class TeamsBot(TeamsActivityHandler):  # type: ignore[misc]  # botbuilder is untyped
    def __init__(self, adapter: TeamsAdapter) -> None:
        super().__init__()
        self._adapter = adapter

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        incoming = to_incoming(activity)
        held = await self._adapter.take(activity, incoming) if incoming is not None else None
        if incoming is None or held is None:
            return
        await self._adapter.note_conversation(activity)
        await self._adapter.respond(turn_context, incoming, held)

    async def on_adaptive_card_invoke(self, turn_context: TurnContext,
                                      invoke_value: AdaptiveCardInvokeValue) -> AdaptiveCardInvokeResponse:
        activity = turn_context.activity
        incoming = invoke_incoming(activity, invoke_value)
        if incoming is None:
            return _card_response(note_card(ui("unavailable")))
        held = await self._adapter.take(activity, incoming)
        if held is None:
            return _card_response(note_card(ui("teams_working")))
        await self._adapter.note_conversation(activity)
        return _card_response(await self._adapter.respond_invoke(turn_context, incoming, held))

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """The bot joining a 1:1 chat stores the reference and says hello; leaving it retires the reference.

        botbuilder's Teams dispatch would fetch every added member from the
        connector first; nothing here needs more than the activity itself.
        """
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = {m.id for m in activity.members_added or []}
        removed = {m.id for m in activity.members_removed or []}
        if bot_id in removed:
            await self._adapter.forget_conversation(activity)
        elif bot_id in added:
            await self._adapter.note_conversation(activity)
            if is_personal(activity):
                await self._adapter.welcome(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._adapter.note_conversation(turn_context.activity)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._adapter.forget_conversation(turn_context.activity)

    async def on_teams_file_consent_accept(self, turn_context: TurnContext,
                                           file_consent_card_response: FileConsentCardResponse) -> None:
        await finish_export(self._adapter, turn_context, file_consent_card_response)

    async def on_teams_file_consent_decline(self, turn_context: TurnContext,
                                            file_consent_card_response: FileConsentCardResponse) -> None:
        await self._adapter.say(turn_context, ui("teams_export_declined"))
