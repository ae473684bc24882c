"""The Slack side of a turn: payload → `Incoming` → `coach.handle` → Block Kit, after the ack.

Listeners (listeners.py) ack at once and hand the slow part to `accept` (stored in
the inbox first when the turn carries words) or `spawn`; everything here runs in
those background tasks. Nothing here decides what to
say: that is the coach's job. This only decides where a reply goes (thread,
DM, ephemeral, the message a button sits on) and keeps Slack's rules.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.blocks import SlackMessage, render_reply, render_single, section
from bot.adapters.slack.escape import escape, plain_limit
from bot.adapters.slack.exports import export_upload
from bot.adapters.slack.stream import SlackStream
from bot.background import Backgrounded, BackgroundWork
from bot.coach import Coach
from bot.expiring import DAY
from bot.inbox import Inbox, InboxTimes, TurnHandler
from bot.messages import Incoming, Reply, UserRef
from bot.names import IntentName
from bot.ports import EventClaim
from bot.ui_text import ui
from storage.db import Sessions

log = logging.getLogger(__name__)

THINKING = "is thinking…"
# Answers in progress at once. Under a burst the rest wait their turn without
# taking loop time, so new requests are still acked at once: a late answer is
# fine, a late ack makes Slack retry and show the user an error.
MAX_WORKING = 8
KNOWN_PEOPLE = 10_000  # names, time zones and DM channels looked up once per person per day
PEOPLE_TTL = DAY  # a renamed person or a moved time zone is seen within a day
_REBUILD_AS_TEXT = {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_arguments"}


class SlackAdapter(Backgrounded):
    """Holds the coach, the Web API client and the background work of one Slack app."""

    def __init__(self, *, coach: Coach, client: AsyncWebClient, claim: EventClaim | None = None,
                 session: aiohttp.ClientSession | None = None, max_working: int = MAX_WORKING,
                 metadata_key: bytes = b"", sessions: Sessions | None = None,
                 inbox_times: InboxTimes | None = None) -> None:
        """With `sessions`, turns carrying words are stored in the inbox before the ack (else only deduped)."""
        self.coach = coach
        # signs modals' private_metadata (views.seal); the same on every replica when derived from a secret
        self.metadata_key = metadata_key or os.urandom(32)
        self.client = client
        self._claim = claim
        self._session = session
        self._background = BackgroundWork(name="slack", max_working=max_working)
        self.inbox = Inbox(sessions=sessions, platform="slack", background=self._background,
                           times=inbox_times) if sessions is not None else None
        self._turns: dict[str, TurnHandler] = {}
        self._people: TTLCache[tuple[str, str], UserRef] = TTLCache(maxsize=KNOWN_PEOPLE, ttl=PEOPLE_TTL)
        self._dms: TTLCache[tuple[str, str], str] = TTLCache(maxsize=KNOWN_PEOPLE, ttl=PEOPLE_TTL)
        self._pictures: TTLCache[str, str] = TTLCache(maxsize=KNOWN_PEOPLE, ttl=PEOPLE_TTL)

    async def first_time(self, event_id: str) -> bool:
        """False when this event was already handled here or on another replica (Slack retries)."""
        if not event_id or self._claim is None:
            return True
        try:
            return await self._claim(event_id)
        except Exception:  # no database: answering twice beats not answering
            log.exception("could not record slack event %s", event_id)
            return True

    def durable(self, kind: str, turn: TurnHandler) -> None:
        """Register the handler of a kind of turn `accept` stores (and the inbox replays)."""
        self._turns[kind] = turn
        if self.inbox is not None:
            self.inbox.turn(kind, turn)

    async def accept(self, kind: str, stored: dict[str, Any], *, event_key: str, workspace_id: str,
                     user_id: str) -> None:
        """Before the ack: store the turn in the inbox and start it; a platform retry is dropped."""
        if self.inbox is not None:
            await self.inbox.accept(kind, stored, event_key=event_key, workspace_id=workspace_id,
                                    user_id=user_id)
        elif await self.first_time(event_key):
            self.spawn(self._turns[kind](stored))

    # --- who ----------------------------------------------------------------
    async def person(self, team_id: str, user_id: str) -> UserRef:
        """Identity is team + user id; name and time zone are looked up once and cached."""
        key = (team_id, user_id)
        known = self._people.get(key)
        if known is not None:
            return known
        name = timezone = ""
        try:
            info = (await self.client.users_info(user=user_id)).get("user") or {}
            profile = info.get("profile") or {}
            name = str(profile.get("display_name") or profile.get("real_name") or info.get("real_name") or "")
            timezone = str(info.get("tz") or "")
        except SlackApiError as exc:
            log.warning("users.info failed for a slack user: %s", exc.response.get("error"))
        user = UserRef(platform="slack", workspace_id=team_id, user_id=user_id,
                       display_name=name, timezone=timezone)
        self._people[key] = user
        return user

    async def dm_channel(self, user: UserRef) -> str:
        key = (user.workspace_id, user.user_id)
        channel = self._dms.get(key)
        if channel is None:  # read once: an entry may expire between a check and a read
            opened = await self.client.conversations_open(users=user.user_id)
            channel = self._dms[key] = str(opened["channel"]["id"])
        return channel

    # --- the coach ----------------------------------------------------------
    async def ask(self, incoming: Incoming, *, stream: SlackStream | None = None) -> Reply:
        """The coach's reply; any failure becomes a short friendly message, details in the log."""
        try:
            return await self.coach.handle(incoming, stream=stream)
        except Exception:
            log.exception("coach failed on a slack %s", incoming.action or "message")
            return Reply(text=ui("slack_error"), intent=IntentName.ERROR)

    async def answer(self, *, incoming: Incoming, channel: str, thread_ts: str,
                     assistant: bool = False) -> None:
        """A message or mention (retries dropped by `accept`): answered in its thread, with a status while working."""
        if assistant:
            await self.assistant_call(self.client.assistant_threads_setStatus, channel_id=channel,
                                      thread_ts=thread_ts, status=THINKING, loading_messages=loading_messages())
        # Only a one-to-one conversation streams: a reply that turns out private never shows in a channel.
        stream = SlackStream(self.client, channel=channel, thread_ts=thread_ts, user=incoming.user,
                             assistant=assistant) if is_direct_message(channel) else None
        reply = await self.ask(incoming, stream=stream)
        if stream is None or not await stream.finish(reply, feedback_id=incoming.event_id[:64]):
            await self.deliver(incoming.user, channel, reply, thread_ts=thread_ts, feedback_id=incoming.event_id)
        await self.deliver_export(incoming.user, reply, channel=channel, thread_ts=thread_ts)

    async def deliver_export(self, user: UserRef, reply: Reply, *, channel: str = "", thread_ts: str = "") -> None:
        """An export (data, portfolio) goes up as a file, and only ever into the user's own DM."""
        upload = export_upload(reply, "")
        if upload is None:
            return
        dm = await self.dm_channel(user)
        kwargs = {**upload, "channel": dm}
        if channel == dm and thread_ts:
            kwargs["thread_ts"] = thread_ts
        try:
            await self.client.files_upload_v2(**kwargs)
        except SlackApiError as exc:
            log.error("slack file upload failed: %s", exc.response.get("error"))

    async def picture_id(self, png: bytes, *, filename: str, title: str) -> str:
        """A PNG uploaded once (shared nowhere) for image blocks to show by file id; "" on failure.

        The same picture (same bytes) is not uploaded again while it stays in the cache."""
        key = hashlib.sha256(png).hexdigest()
        known = self._pictures.get(key)
        if known is not None:
            return known
        try:
            uploaded = await self.client.files_upload_v2(file=png, filename=filename, title=title)
        except SlackApiError as exc:
            log.warning("slack picture upload failed: %s", exc.response.get("error"))
            return ""
        files = uploaded.get("files") or [uploaded.get("file") or {}]
        file_id = self._pictures[key] = str(files[0].get("id") or "")
        return file_id

    async def assistant_call(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> None:
        """Status, title and prompts are niceties: their failure must not stop the answer."""
        try:
            await method(**kwargs)
        except SlackApiError as exc:
            log.warning("slack assistant call failed: %s", exc.response.get("error"))

    # --- out ------------------------------------------------------------------
    async def deliver(self, user: UserRef, channel: str, reply: Reply, *, thread_ts: str = "",
                      feedback_id: str = "") -> None:
        """Post where the person asked, unless the reply is private and that place is shared:
        then it goes to their DM, and the thread gets a short note saying where it went."""
        if reply.private and not is_direct_message(channel):
            await self.post(await self.dm_channel(user), reply, feedback_id=feedback_id)
            await self.say(channel, ui("slack_private_sent"), thread_ts=thread_ts)
            return
        await self.post(channel, reply, thread_ts=thread_ts, feedback_id=feedback_id)

    async def post(self, channel: str, reply: Reply, *, thread_ts: str = "",
                   feedback_id: str = "") -> list[str]:
        """Post the reply (split if long) and return the message timestamps."""
        stamps: list[str] = []
        for message in render_reply(reply, feedback_id=feedback_id[:64]):
            kwargs: dict[str, Any] = {"channel": channel, "text": message.text, "blocks": message.blocks}
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            sent = await self._send(self.client.chat_postMessage, kwargs)
            if sent:
                stamps.append(sent)
        return stamps

    async def replace(self, channel: str, ts: str, reply: Reply | SlackMessage) -> None:
        message = reply if isinstance(reply, SlackMessage) else render_single(reply)
        await self._send(self.client.chat_update,
                         {"channel": channel, "ts": ts, "text": message.text, "blocks": message.blocks})

    async def _send(self, method: Callable[..., Awaitable[Any]], kwargs: dict[str, Any]) -> str:
        """Send; if Slack still rejects the blocks, fall back to escaped plain text."""
        try:
            response = await method(**kwargs)
            return str(response.get("ts") or "")
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error not in _REBUILD_AS_TEXT or "blocks" not in kwargs:
                log.error("slack call failed: %s", error)
                return ""
            log.warning("slack rejected our blocks (%s); sending plain text", error)
            kwargs = dict(kwargs, blocks=[section(plain_limit(kwargs["text"], 2900))])
            try:
                return str((await method(**kwargs)).get("ts") or "")
            except SlackApiError as again:
                log.error("slack call failed again: %s", again.response.get("error"))
                return ""

    async def respond(self, response_url: str, reply: Reply, *, replace: bool = False,
                      feedback_id: str = "") -> None:
        """Ephemeral answers to slash commands and buttons on them, through `response_url`."""
        messages = render_reply(reply, feedback_id=feedback_id[:64])
        webhook = AsyncWebhookClient(url=response_url, session=self._session)
        for n, message in enumerate(messages):
            body = {"response_type": "ephemeral", "text": message.text, "blocks": message.blocks,
                    "replace_original": replace and n == 0}
            result = await webhook.send_dict(body)
            if result.status_code >= 400:
                log.error("slack response_url answered %s", result.status_code)

    async def tell_only(self, user: UserRef, reply: Reply, *, channel: str, response_url: str = "") -> None:
        """A reply only `user` sees: through the click's response_url, else as an ephemeral message."""
        if response_url:
            await self.respond(response_url, reply)
            return
        message = render_single(reply)
        await self._send(self.client.chat_postEphemeral, {"channel": channel, "user": user.user_id,
                                                           "text": message.text, "blocks": message.blocks})

    async def say(self, channel: str, text: str, *, thread_ts: str = "") -> str:
        """A short line of our own (never user text unescaped); the posted message's ts."""
        kwargs: dict[str, Any] = {"channel": channel, "text": escape(text), "blocks": [section(escape(text))]}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        return await self._send(self.client.chat_postMessage, kwargs)


def loading_messages() -> list[str]:
    """The lines Slack rotates under the status while an answer is being written."""
    return [line.strip() for line in ui("slack_loading").splitlines() if line.strip()]


def is_direct_message(channel: str) -> bool:
    """Slack's one-to-one conversations (ims) are the channel ids that start with D."""
    return channel.startswith("D")
