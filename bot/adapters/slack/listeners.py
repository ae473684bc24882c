"""Every Slack listener, registered once for both transports (HTTP and Socket Mode).

Each listener acks and hands the rest to `adapter.spawn` without awaiting
anything else, so Slack hears back in milliseconds no matter how long
retrieval, tagging or the LLM take. (Events are acked by bolt itself.)
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

    def register(self, app: AsyncApp) -> None:
        app.event("message")(self.on_message)
        app.event("app_mention")(self.on_mention)
        app.event("app_home_opened")(self.on_home_opened)
        assistant = AsyncAssistant()
        assistant.thread_started(self.on_thread_started)
        assistant.user_message(self.on_assistant_message)
        assistant.thread_context_changed(self.on_context_changed)
        app.assistant(assistant)
        app.command("/ksb")(self.on_ksb)
        app.command("/reflect")(self.on_reflect)
        app.command("/progress")(self.on_progress)
        app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_button)
        app.shortcut(SAVE_AS_REFLECTION)(self.on_save_shortcut)
        app.view(REFLECT_CALLBACK)(self.on_reflection_form)
        app.error(self.on_error)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if event.get("channel_type") == "im" and from_person(event):
            assistant = str(event.get("thread_ts") or "") in self.started
            self.adapter.spawn(self._message_turn(body, context, assistant=assistant))

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if event.get("channel_type") != "im" and from_person(event):
            self.adapter.spawn(self._message_turn(body, context, assistant=False))

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
            self.adapter.spawn(self._message_turn(body, context, assistant=True))

    async def on_context_changed(self) -> None:
        """We answer from the standard, not the channel being viewed: nothing to store."""

    async def on_ksb(self, ack: Any, body: dict[str, Any]) -> None:
        """`/ksb` answers privately in place."""
        await ack()
        text = from_slack(str(body.get("text") or ""))
        self.adapter.spawn(self._reply_to_command(body, text or "help"))

    async def on_reflect(self, ack: Any, body: dict[str, Any]) -> None:
        """`/reflect` saves to the user's DM log (no text: the form)."""
        await ack()
        self.adapter.spawn(self._reflect(body, from_slack(str(body.get("text") or ""))))

    async def on_progress(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        text = from_slack(str(body.get("text") or ""))
        self.adapter.spawn(self._reply_to_command(body, text, IntentName.PROGRESS))

    async def on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self.adapter.spawn(actions.on_button(self.adapter, body, str(action.get("value") or "")))

    async def on_reflection_form(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        errors = actions.check_reflection(view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        self.adapter.spawn(actions.on_reflection_submitted(self.adapter, body, view))

    async def on_save_shortcut(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        self.adapter.spawn(save_message(self.adapter, body))

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener error (%s) on a %s request", type(error).__name__, body.get("type"))

    async def _message_turn(self, body: dict[str, Any], context: Any, *, assistant: bool) -> None:
        adapter, event = self.adapter, body["event"]
        user = await adapter.person(actions.team_of(body, event), str(event["user"]))
        text = from_slack(str(event.get("text") or ""), bot_user_id=str(context.get("bot_user_id") or ""))
        channel = str(event["channel"])
        thread_ts = str(event.get("thread_ts") or event["ts"])
        if assistant and thread_ts not in self.titled and text:
            self.titled.add(thread_ts)
            await adapter.assistant_call(adapter.client.assistant_threads_setTitle, channel_id=channel,
                                         thread_ts=thread_ts, title=plain_limit(text, 60))
        incoming = Incoming(user=user, text=text, conversation_id=channel,
                            event_id=str(body.get("event_id") or ""))
        await adapter.answer(incoming=incoming, channel=channel, thread_ts=thread_ts, assistant=assistant)

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


def _note(text: str) -> Reply:
    return Reply(text=text, intent=IntentName.NOTE)
