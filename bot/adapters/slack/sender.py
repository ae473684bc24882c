"""Proactive Slack DMs: conversations.open, chat.postMessage, and files_upload_v2 for the picture.

Messages are drawn by the Slack adapter's own Block Kit renderer, so a prompt
looks and behaves (buttons, limits, escaping) like every other coach reply.
A 429 is retried by slack_sdk's own retry machinery (`RateLimitRetry`), after
Slack's Retry-After; connection errors are not retried here, because
chat.postMessage is not idempotent: the claim is retried after its lease instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import SlackMessage, render_reply
from bot.adapters.slack.exports import export_upload
from bot.messages import Reply
from bot.ports import Accepted, Address, GoAhead, Picture
from bot.scheduler.budget import Sleep, scope_of
from bot.scheduler.senders import RateLimitHook, retry_after

log = logging.getLogger(__name__)
ERRORS = (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError)
STALE_CHANNEL = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 retry with three things the scheduler needs: the wait goes through an
    injectable `sleep` (Retry-After capped, no jitter: the shared budget spreads replicas),
    `report` tells the other replicas first, and `go_ahead` is asked after the wait, so a
    claim taken over meanwhile is not sent. The wait happens in `_can_retry_async`, because
    only there may the answer still be no."""

    def __init__(self, *, retries: int, sleep: Sleep, report: Callable[[float], Awaitable[None]],
                 go_ahead: GoAhead | None) -> None:
        super().__init__(max_retry_count=retries)
        self._sleep = sleep
        self._report = report
        self._go_ahead = go_ahead

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        await self._report(wait)
        log.info("slack rate limited; waiting %.1fs (retry %d)", wait, state.current_attempt + 1)
        await self._sleep(wait)
        return self._go_ahead is None or await self._go_ahead()

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        state.next_attempt_requested = True  # already waited, in _can_retry_async
        state.increment_current_attempt()


class SlackSender:
    """Implements `Sender` for Slack with one bot token and one pooled HTTP session."""

    def __init__(self, *, token: str, base_url: str = "https://slack.com/api/", retries: int = 5,
                 sleep: Sleep = asyncio.sleep, connections: int = 32, timeout: int = 30,
                 rate_limited: RateLimitHook | None = None) -> None:
        self._token = token
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._retries = retries
        self._sleep = sleep
        self._connections = connections
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._learned: dict[int, dict[str, Any]] = {}
        self._rate_limited = rate_limited  # tells the other replicas (the shared budget) about a 429

    def handles(self, platform: str) -> bool:
        return platform == "slack"

    def _client(self, to: Address, go_ahead: GoAhead | None) -> AsyncWebClient:
        """A client for one send (cheap: the pooled session is shared), so its retry handler
        knows the workspace to report a 429 for and the send's go-ahead check."""
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._connections))
        hook = self._rate_limited
        scope = scope_of("slack", to.workspace_id)

        async def report(wait: float) -> None:
            if hook is not None:
                await hook(scope, wait)

        retry = RateLimitRetry(retries=self._retries, sleep=self._sleep, report=report, go_ahead=go_ahead)
        return AsyncWebClient(token=self._token, base_url=self._base_url, session=self._session,
                              timeout=self._timeout, retry_handlers=[retry])

    async def _open(self, client: AsyncWebClient, to: Address) -> str:
        response: Any = await client.conversations_open(users=to.user_id)
        channel = str(response["channel"]["id"])
        self._learned[to.person_id] = {"channel": channel}
        return channel

    async def send(self, *, to: Address, reply: Reply, picture: Picture | None = None,
                   accepted: Accepted | None = None, go_ahead: GoAhead | None = None) -> bool:
        """Delivered once the first message is posted; later pages and the picture are extras.

        A DM channel remembered from an earlier week saves a conversations.open
        (a rate-limited method); if Slack no longer knows it, it is opened afresh.
        Until the first message is posted a retry asks `go_ahead`; the extras need not.
        """
        first, *rest = render_reply(reply)
        cached = str(to.reference.get("channel") or "")
        client = self._client(to, go_ahead)
        try:
            channel = cached or await self._open(client, to)
            try:
                await _post(client, channel, first)
            except SlackApiError as exc:
                if not cached or _reason(exc) not in STALE_CHANNEL:
                    raise
                channel = await self._open(client, to)
                await _post(client, channel, first)
        except ERRORS as exc:
            log.warning("slack send to person %s failed: %s", to.person_id, _reason(exc))
            return False
        if accepted is not None:
            await accepted()
        extras = self._client(to, None)
        try:
            for message in rest:
                await _post(extras, channel, message)
        except ERRORS as exc:
            log.warning("slack continuation for person %s failed: %s", to.person_id, _reason(exc))
        if picture is not None:
            await _upload(extras, to, what="picture", channel=channel, file=picture.png,
                          filename=picture.filename, title=picture.title, alt_txt=picture.alt)
        upload = export_upload(reply, channel)
        if upload is not None:  # a document (a review pack) follows as a file, as chat exports do
            await _upload(extras, to, what="file", **upload)
        return True

    def learned(self) -> dict[int, tuple[str, dict[str, Any]]]:
        """DM channels opened since the last call, to remember for next week's sends."""
        found = {pid: ("slack", ref) for pid, ref in self._learned.items()}
        self._learned.clear()
        return found

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None


async def _post(client: AsyncWebClient, channel: str, message: SlackMessage) -> None:
    await client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks,
                                  unfurl_links=False, unfurl_media=False)


async def _upload(client: AsyncWebClient, to: Address, *, what: str, **upload: Any) -> None:
    """A file after the message; if it fails, the message has still been delivered."""
    try:
        await client.files_upload_v2(**upload)
    except ERRORS as exc:
        log.warning("slack %s for person %s failed: %s", what, to.person_id, _reason(exc))


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "error"))
    return type(exc).__name__
