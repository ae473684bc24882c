"""Slack on the shared aiohttp server: Events API, interactivity and slash commands at `/slack/events`.

`mount` is what `bot.wiring.platform_mounts` adds when Slack is configured.
Over HTTP, bolt verifies every request's signature and age (401 otherwise)
before a listener sees it; in Socket Mode the same listeners run over a
websocket instead. Both share `register_listeners` and one `SlackAdapter`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.adapter import SlackAdapter
from bot.adapters.slack.listeners import register_listeners
from bot.coach import Coach
from bot.config import Settings
from bot.inbox import inbox_times
from bot.ports import EventClaim
from storage.db import Database, Sessions
from storage.events import event_claim

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
ADAPTER_KEY = web.AppKey("slack_adapter", SlackAdapter)
BOLT_KEY = web.AppKey("slack_bolt_app", AsyncApp)

__all__ = ["EVENTS_PATH", "SlackAdapter", "make_bolt_app", "make_client", "install", "mount", "register_listeners"]



def metadata_key(settings: Settings) -> bytes:
    """The key modals' private_metadata is signed with: from a Slack secret, so every replica agrees."""
    secret = (settings.slack_signing_secret.get_secret_value() or settings.slack_app_token.get_secret_value()
              or settings.slack_bot_token.get_secret_value())
    return hashlib.sha256(b"ksb-coach private_metadata\0" + secret.encode()).digest() if secret else b""

def make_client(settings: Settings, *, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL as base, and 429s retried after Slack's Retry-After."""
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url.rstrip("/") + "/",
        session=session,
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=1),
                        AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )


def make_bolt_app(settings: Settings, client: AsyncWebClient) -> AsyncApp:
    """An AsyncApp whose listeners run before the response, which is safe because they only
    ack and `spawn`: the slow work is registered before Slack hears back, and no ack waits
    on bolt's polling loop."""
    return AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value() or "socket-mode-unsigned",
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )


async def mount(app: web.Application, coach: Coach, settings: Settings, *, database: Database) -> None:
    """The `bot.server` mount: Slack with event dedupe and the inbox in the shared database."""
    await install(app, coach, settings, claim=event_claim(database.session, platform="slack"),
                  sessions=database.session)


async def install(app: web.Application, coach: Coach, settings: Settings, *, claim: EventClaim,
                  sessions: Sessions | None = None) -> SlackAdapter:
    """Add Slack to the server: the route (HTTP) or a Socket Mode connection, plus clean shutdown.

    With `sessions` the inbox is on: it sweeps from start-up, and at shutdown stops sweeping, lets
    the answers in progress finish for SHUTDOWN_TIMEOUT, then hands back the rows it still holds.
    """
    session = aiohttp.ClientSession()
    closers: list[Callable[[], Any]] = [session.close]
    client = make_client(settings, session=session)
    adapter = SlackAdapter(coach=coach, client=client, claim=claim, session=session,
                           metadata_key=metadata_key(settings), sessions=sessions,
                           inbox_times=inbox_times(settings))
    bolt = make_bolt_app(settings, client)
    register_listeners(bolt, adapter)
    app[ADAPTER_KEY] = adapter
    app[BOLT_KEY] = bolt

    if settings.slack_mode == "socket":
        _socket_mode(app, bolt, settings, client)
    else:
        verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())

        async def events(request: web.Request) -> web.Response:
            # verified before bolt parses the body, so a malformed unsigned body is a 401, not a 500
            if not verifier.is_valid_request(await request.read(), dict(request.headers)):
                raise web.HTTPUnauthorized()
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

        app.router.add_post(EVENTS_PATH, events)

    inbox = adapter.inbox
    if inbox is not None:
        app.on_startup.append(inbox.on_startup)

    async def close(_: web.Application) -> None:
        if inbox is not None:
            await inbox.shut_down(adapter.drain, settings.shutdown_timeout)
        else:
            await adapter.drain(settings.shutdown_timeout)
        for closer in closers:
            result = closer()
            if isinstance(result, Awaitable):
                await result

    app.on_cleanup.append(close)
    return adapter


def _socket_mode(app: web.Application, bolt: AsyncApp, settings: Settings, client: AsyncWebClient) -> None:
    """Development transport: no public URL, events arrive over a websocket Slack opens for us."""
    handler = AsyncSocketModeHandler(bolt, app_token=settings.slack_app_token.get_secret_value(),
                                     web_client=client)

    async def start(_: web.Application) -> None:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.warning("Slack Socket Mode connected")

    async def stop(_: web.Application) -> None:
        await handler.close_async()  # type: ignore[no-untyped-call]

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)
