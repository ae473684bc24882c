"""Every Slack listener, registered once for both transports (HTTP and Socket Mode).

Each listener acks and hands the rest to the background without awaiting
anything else, so Slack hears back in milliseconds no matter how long
retrieval, tagging or the LLM take. (Events are acked by bolt itself, once
the listener returns.) A turn that carries a person's words (a message, a
command, the reflection form, a button or shortcut with text) is first
stored in the inbox (`adapter.accept`), so a crash after the ack loses
nothing: it is replayed through the same handler (`adapter.durable`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncAssistant

from bot.adapters.slack import actions
from bot.adapters.slack.adapter import SlackAdapter
from bot.adapters.slack.blocks import ACTION_PREFIX
from bot.adapters.slack.escape import from_slack, plain_limit
from bot.adapters.slack.shortcut import SAVE_AS_REFLECTION, save_message
from bot.adapters.slack.views import REFLECT_CALLBACK
from bot.coach import starting_points
from bot.expiring import DAY, ExpiringSet
from bot.messages import Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ui_text import ui

log = logging.getLogger(__name__)

_PLAIN_SUBTYPES = {None, "file_share", "thread_broadcast"}
# the kinds of turn stored in the inbox before the ack (bot/inbox.py), each replayed by its handler
MESSAGE, COMMAND, BUTTON, FORM, SHORTCUT = "message", "command", "button", "form", "shortcut"
THREADS_KEPT = 10_000


def from_person(event: dict[str, Any]) -> bool:
    """A message a person typed: not a bot (ours or anyone's), not an edit or a join."""
    return (event.get("subtype") in _PLAIN_SUBTYPES and not event.get("bot_id")
            and bool(event.get("user")) and bool(event.get("text", "").strip()))


def register_listeners(app: AsyncApp, adapter: SlackAdapter) -> None:
    """Wire DMs, mentions, the AI-app thread, slash commands, buttons, the modal and App Home."""
    SlackListeners(adapter).register(app)


class SlackListeners:
    """One method per Slack listener; bolt fills each one's arguments by name (`self` skipped)."""

    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter
        # bounded and expiring: a replica runs for weeks, and a thread older than these is done with
        self.titled = ExpiringSet(maxsize=THREADS_KEPT, ttl=DAY)
        self.greeted = ExpiringSet(maxsize=THREADS_KEPT, ttl=7 * DAY)  # DM channels whose Messages tab has our thread
        self.started = ExpiringSet(maxsize=THREADS_KEPT, ttl=7 * DAY)  # threads we opened there: agent threads
        adapter.durable(MESSAGE, self._message_turn)
        adapter.durable(COMMAND, self._command_turn)
        adapter.durable(BUTTON, self._button_turn)
        adapter.durable(FORM, self._form_turn)
        adapter.durable(SHORTCUT, self._shortcut_turn)

    def register(self, app: AsyncApp) -> None:
        app.event("message")(self.on_message)
        app.event("app_mention")(self.on_mention)
        app.event("app_home_opened")(self.on_home_opened)
        assistant = AsyncAssistant()
        assistant.thread_started(self.on_thread_started)
        assistant.user_message(self.on_assistant_message)
        assistant.thread_context_changed(self.on_context_changed)
        app.assistant(assistant)
        for command in ("/ksb", "/reflect", "/progress"):
            app.command(command)(self.on_command)
        app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_button)
        app.shortcut(SAVE_AS_REFLECTION)(self.on_save_shortcut)
        app.view(REFLECT_CALLBACK)(self.on_reflection_form)
        app.error(self.on_error)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if event.get("channel_type") == "im" and from_person(event):
            await self._accept_message(body, context, assistant=str(event.get("thread_ts") or "") in self.started)

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if event.get("channel_type") != "im" and from_person(event):
            await self._accept_message(body, context, assistant=False)

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            self.adapter.spawn(self._home_turn(actions.team_of(body, event), str(event["user"])))
        elif event.get("tab") == "messages" and event.get("channel") and event["channel"] not in self.greeted:
            self.greeted.add(str(event["channel"]))
            self.adapter.spawn(self._messages_turn(str(event["channel"])))

    async def on_thread_started(self, event: dict[str, Any]) -> None:
        """Slack's AI-app thread opened: the welcome and suggested prompts."""
        self.adapter.spawn(self._greet(event))

    async def on_assistant_message(self, body: dict[str, Any], payload: dict[str, Any], context: Any) -> None:
        if from_person(payload):
            await self._accept_message(body, context, assistant=True)

    async def on_context_changed(self) -> None:
        """We answer from the standard, not the channel being viewed: nothing to store."""

    async def on_command(self, ack: Any, body: dict[str, Any]) -> None:
        """`/ksb` and `/progress` answer privately in place; `/reflect` saves to the user's DM log."""
        await self.adapter.accept(COMMAND, {"body": body}, event_key=_trigger(body),
                                  workspace_id=actions.team_of(body), user_id=str(body.get("user_id") or ""))
        await ack()

    async def on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        value = str(action.get("value") or "")
        if actions.carries_words(value):  # e.g. "Save as reflection" on pasted text: stored before the ack
            await self.adapter.accept(BUTTON, {"body": body, "value": value}, event_key=_trigger(body),
                                      workspace_id=actions.team_of(body), user_id=_clicker(body))
            await ack()
            return
        await ack()
        self.adapter.spawn(actions.on_button(self.adapter, body, value))

    async def on_reflection_form(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        errors = actions.check_reflection(view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await self.adapter.accept(FORM, {"body": body}, event_key="view:" + str(view.get("id") or _trigger(body)),
                                  workspace_id=actions.team_of(body), user_id=_clicker(body))
        await ack()

    async def on_save_shortcut(self, ack: Any, body: dict[str, Any]) -> None:
        await self.adapter.accept(SHORTCUT, {"body": body}, event_key=_trigger(body),
                                  workspace_id=actions.team_of(body), user_id=_clicker(body))
        await ack()

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener error (%s) on a %s request", type(error).__name__, body.get("type"))

    async def _accept_message(self, body: dict[str, Any], context: Any, *, assistant: bool) -> None:
        event = body["event"]
        await self.adapter.accept(MESSAGE, {"body": body, "assistant": assistant,
                                            "bot_user_id": str(context.get("bot_user_id") or "")},
                                  event_key=str(body.get("event_id") or ""),
                                  workspace_id=actions.team_of(body, event), user_id=str(event["user"]))

    async def _message_turn(self, stored: dict[str, Any]) -> None:
        adapter, body, assistant = self.adapter, stored["body"], bool(stored.get("assistant"))
        event = body["event"]
        user = await adapter.person(actions.team_of(body, event), str(event["user"]))
        text = from_slack(str(event.get("text") or ""), bot_user_id=str(stored.get("bot_user_id") or ""))
        channel = str(event["channel"])
        thread_ts = str(event.get("thread_ts") or event["ts"])
        if assistant and thread_ts not in self.titled and text:
            self.titled.add(thread_ts)
            await adapter.assistant_call(adapter.client.assistant_threads_setTitle, channel_id=channel,
                                         thread_ts=thread_ts, title=plain_limit(text, 60))
        incoming = Incoming(user=user, text=text, conversation_id=channel,
                            event_id=str(body.get("event_id") or ""))
        await adapter.answer(incoming=incoming, channel=channel, thread_ts=thread_ts, assistant=assistant)

    async def _command_turn(self, stored: dict[str, Any]) -> None:
        body = stored["body"]
        text = from_slack(str(body.get("text") or ""))
        command = str(body.get("command") or "")
        if command == "/reflect":
            await self._reflect(body, text)
        elif command == "/progress":
            await self._reply_to_command(body, text, IntentName.PROGRESS)
        else:
            await self._reply_to_command(body, text or "help")

    async def _button_turn(self, stored: dict[str, Any]) -> None:
        await actions.on_button(self.adapter, stored["body"], str(stored.get("value") or ""))

    async def _form_turn(self, stored: dict[str, Any]) -> None:
        await actions.on_reflection_submitted(self.adapter, stored["body"], stored["body"].get("view") or {})

    async def _shortcut_turn(self, stored: dict[str, Any]) -> None:
        await save_message(self.adapter, stored["body"])

    async def _home_turn(self, team_id: str, user_id: str) -> None:
        await actions.publish_home(self.adapter, await self.adapter.person(team_id, user_id))

    async def _messages_turn(self, channel: str) -> None:
        """The agent experience's Messages tab: open a thread with the welcome and suggested prompts."""
        thread_ts = await start_thread(self.adapter, channel)
        if thread_ts:
            self.started.add(thread_ts)

    async def _greet(self, event: dict[str, Any]) -> None:
        thread = event.get("assistant_thread") or {}
        await start_thread(self.adapter, str(thread.get("channel_id") or ""), str(thread.get("thread_ts") or ""))

    async def _reply_to_command(self, body: dict[str, Any], incoming_text: str, action: str = "") -> None:
        adapter = self.adapter
        user = await adapter.person(actions.team_of(body), str(body.get("user_id") or ""))
        incoming = Incoming(user=user, text=incoming_text if not action else "", action=action,
                            payload={"text": incoming_text} if action else {},
                            conversation_id=str(body.get("channel_id") or ""),
                            event_id=str(body.get("trigger_id") or ""))
        reply = await adapter.ask(incoming)
        await adapter.respond(str(body.get("response_url") or ""), reply, feedback_id=incoming.event_id)
        await adapter.deliver_export(user, reply)

    async def _reflect(self, body: dict[str, Any], text: str) -> None:
        adapter = self.adapter
        user = await adapter.person(actions.team_of(body), str(body.get("user_id") or ""))
        trigger_id = str(body.get("trigger_id") or "")
        if not text:
            incoming = Incoming(user=user, action=ActionId.REFLECT_OPEN, event_id=trigger_id)
            await actions.open_reflection(adapter, incoming, trigger_id=trigger_id, where={})
            return
        channel = await adapter.dm_channel(user)
        incoming = Incoming(user=user, action=ActionId.REFLECT_SUBMIT, payload={"text": text},
                            conversation_id=channel, event_id=trigger_id)
        await adapter.post(channel, await adapter.ask(incoming))
        if body.get("channel_id") != channel and body.get("response_url"):
            await adapter.respond(str(body["response_url"]),
                                  _note(ui("slack_reflection_saved")))


async def start_thread(adapter: SlackAdapter, channel: str, thread_ts: str = "") -> str:
    """The welcome (in `thread_ts`, or opening a new thread) and the suggested prompts on it; the thread's ts."""
    posted = await adapter.say(channel, ui("slack_welcome"), thread_ts=thread_ts)
    thread_ts = thread_ts or posted
    await adapter.assistant_call(adapter.client.assistant_threads_setSuggestedPrompts,
                                 channel_id=channel, thread_ts=thread_ts,
                                 prompts=[{"title": p, "message": p} for p in starting_points()])
    return thread_ts


def _trigger(body: dict[str, Any]) -> str:
    """A click's, a shortcut's or a command's own id: what a replay of it is known by."""
    return str(body.get("trigger_id") or "")


def _clicker(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _note(text: str) -> Reply:
    return Reply(text=text, intent=IntentName.NOTE)
