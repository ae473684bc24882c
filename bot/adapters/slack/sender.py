"""Proactive Slack DMs: conversations.open, chat.postMessage, and files_upload_v2 for the picture.

Messages are drawn by the Slack adapter's own Block Kit renderer, so a prompt
looks and behaves (buttons, limits, escaping) like every other coach reply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import SlackMessage, render_reply
from bot.adapters.slack.exports import export_upload
from bot.messages import Reply
from bot.ports import Accepted, Address, Picture
from bot.scheduler.budget import scope_of
from bot.scheduler.senders import Backoff, RateLimited, RateLimitHook, retry_after

log = logging.getLogger(__name__)
T = TypeVar("T")
ERRORS = (SlackApiError, SlackRequestError, RateLimited, aiohttp.ClientError, TimeoutError)
STALE_CHANNEL = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


class SlackSender:
    """Implements `Sender` for Slack with one bot token and one pooled HTTP session."""

    def __init__(self, *, token: str, base_url: str = "https://slack.com/api/",
                 backoff: Backoff | None = None, connections: int = 32,
                 timeout: int = 30, rate_limited: RateLimitHook | None = None) -> None:
        self._token = token
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._backoff = backoff or Backoff()
        self._connections = connections
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._client: AsyncWebClient | None = None
        self._learned: dict[int, dict[str, Any]] = {}
        self._rate_limited = rate_limited  # tells the other replicas (the shared budget) about a 429

    def handles(self, platform: str) -> bool:
        return platform == "slack"

    @property
    def client(self) -> AsyncWebClient:
        if self._client is None:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector)
            self._client = AsyncWebClient(token=self._token, base_url=self._base_url,
                                          session=self._session, timeout=self._timeout)
        return self._client

    async def _call(self, operation: Callable[[], Awaitable[T]], to: Address | None = None) -> T:
        async def once() -> T:
            try:
                return await operation()
            except SlackApiError as exc:
                if exc.response.status_code == 429:
                    wait = retry_after(exc.response.headers)
                    if self._rate_limited is not None and to is not None:
                        await self._rate_limited(scope_of("slack", to.workspace_id), wait)
                    raise RateLimited(wait) from exc
                raise

        return await self._backoff.run(once)

    async def _open(self, to: Address) -> str:
        response: Any = await self._call(lambda: self.client.conversations_open(users=to.user_id), to)
        channel = str(response["channel"]["id"])
        self._learned[to.person_id] = {"channel": channel}
        return channel

    async def send(self, *, to: Address, reply: Reply, picture: Picture | None = None,
                   accepted: Accepted | None = None) -> bool:
        """Delivered once the first message is posted; later pages and the picture are extras.

        A DM channel remembered from an earlier week saves a conversations.open
        (a rate-limited method); if Slack no longer knows it, it is opened afresh.
        """
        first, *rest = render_reply(reply)
        cached = str(to.reference.get("channel") or "")
        try:
            channel = cached or await self._open(to)
            try:
                await self._post(channel, first, to)
            except SlackApiError as exc:
                if not cached or _reason(exc) not in STALE_CHANNEL:
                    raise
                channel = await self._open(to)
                await self._post(channel, first, to)
        except ERRORS as exc:
            log.warning("slack send to person %s failed: %s", to.person_id, _reason(exc))
            return False
        if accepted is not None:
            await accepted()
        try:
            for message in rest:
                await self._post(channel, message, to)
        except ERRORS as exc:
            log.warning("slack continuation for person %s failed: %s", to.person_id, _reason(exc))
        if picture is not None:
            await self._upload(channel, picture, to)
        upload = export_upload(reply, channel)
        if upload is not None:
            await self._attach(upload, to)
        return True

    def learned(self) -> dict[int, tuple[str, dict[str, Any]]]:
        """DM channels opened since the last call, to remember for next week's sends."""
        found = {pid: ("slack", ref) for pid, ref in self._learned.items()}
        self._learned.clear()
        return found

    async def _post(self, channel: str, message: SlackMessage, to: Address) -> None:
        await self._call(lambda: self.client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False,
            unfurl_media=False), to)

    async def _upload(self, channel: str, picture: Picture, to: Address) -> None:
        """The picture follows the text; if it fails, the summary has still been delivered."""
        try:
            await self._call(lambda: self.client.files_upload_v2(
                channel=channel, file=picture.png, filename=picture.filename,
                title=picture.title, alt_txt=picture.alt), to)
        except ERRORS as exc:
            log.warning("slack picture for person %s failed: %s", to.person_id, _reason(exc))

    async def _attach(self, upload: dict[str, Any], to: Address) -> None:
        """A document (a review pack) follows the message as a file in the DM, as chat exports do."""
        try:
            await self._call(lambda: self.client.files_upload_v2(**upload), to)
        except ERRORS as exc:
            log.warning("slack file for person %s failed: %s", to.person_id, _reason(exc))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._client = None


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "error"))
    return type(exc).__name__
