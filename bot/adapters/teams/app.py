"""Microsoft Teams on the shared aiohttp server: POST /api/messages through the Bot Framework CloudAdapter.

`bot.wiring.platform_mounts` adds `mount` only when Teams is configured: with
MICROSOFT_APP_ID every request must carry a valid Bot Framework token (401
otherwise); TEAMS_DEV_UNAUTHENTICATED=true (loopback only) opens it for the
Bot Framework Emulator, and says so. Replies go only to allowed service URLs.
`TeamsAdapter` owns the turn: activity → `Incoming` (bot.py) →
`coach.handle` → Adaptive Cards (cards.py). Teams drops a turn after
15 s, so an answer not ready within TEAMS_REPLY_DEADLINE is sent proactively
with `continue_conversation` once it is. Teams-specific code stays in
`bot/adapters/teams/`, so a newer Microsoft SDK would only replace these.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    CertificateServiceClientCredentialsFactory,
    ClaimsIdentity,
    ConnectorFactory,
)
from cachetools import LRUCache

from bot.adapters.teams import signing_keys
from bot.adapters.teams.adapter import TeamsAdapter
from bot.adapters.teams.contacts import ConversationStore
from bot.adapters.teams.destinations import Destinations
from bot.coach import Coach
from bot.config import Settings
from bot.inbox import inbox_times
from storage.db import Database
from storage.events import event_claim

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
CONNECTOR_CACHE = 64
ADAPTER_KEY = web.AppKey("teams_adapter", TeamsAdapter)

__all__ = ["ADAPTER_KEY", "MESSAGES_PATH", "TeamsAdapter", "install", "make_cloud_adapter", "mount"]


class _CachedConnectors(ConnectorFactory):  # type: ignore[misc]  # botbuilder is untyped
    """Reuses ConnectorClients: msrest spends ~10 ms of CPU building each one, and CloudAdapter builds
    one per turn (the older BotFrameworkAdapter cached them the same way). Keyed by the bot's app id,
    service URL and audience; bounded. Every outgoing Bot Framework call is made through one of these,
    so a service URL outside the allowed hosts is refused here, for turns and proactive sends alike."""

    def __init__(self, inner: ConnectorFactory, app_id: str, cache: LRUCache[tuple[str, ...], Any],
                 destinations: Destinations) -> None:
        self._inner = inner
        self._app_id = app_id
        self._cache = cache
        self._destinations = destinations

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        if not self._destinations.service_url(service_url):
            raise PermissionError("service URL not allowed (TEAMS_SERVICE_URL_HOSTS)")
        key = (self._app_id, service_url, audience or "")
        client = self._cache.get(key)
        if client is None:
            client = self._cache[key] = await self._inner.create(service_url, audience)
        return client


class _Authentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """ConfigurationBotFrameworkAuthentication whose connector and token clients are reused across turns."""

    def __init__(self, configuration: Any, *, destinations: Destinations, **kwargs: Any) -> None:
        super().__init__(configuration, **kwargs)
        self._destinations = destinations
        self._connectors: LRUCache[tuple[str, ...], Any] = LRUCache(maxsize=CONNECTOR_CACHE)
        self._token_clients: dict[str, Any] = {}

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        result.connector_factory = _CachedConnectors(result.connector_factory, _app_id(result.claims_identity),
                                                     self._connectors, self._destinations)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _CachedConnectors(super().create_connector_factory(claims_identity), _app_id(claims_identity),
                                 self._connectors, self._destinations)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        app_id = _app_id(claims_identity)
        if app_id not in self._token_clients:
            self._token_clients[app_id] = await super().create_user_token_client(claims_identity)
        return self._token_clients[app_id]


def _app_id(claims: ClaimsIdentity) -> str:
    value = claims.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM) or \
        claims.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return str(value or "")


def make_cloud_adapter(settings: Settings) -> CloudAdapter:
    """The CloudAdapter with the bot's identity from settings (password, certificate or managed identity)."""
    signing_keys.install(timeout=settings.teams_signing_keys_timeout,
                         channel_metadata_url=settings.teams_openid_metadata_url)
    config = SimpleNamespace(APP_ID=settings.microsoft_app_id or None,
                             APP_PASSWORD=settings.microsoft_app_password.get_secret_value() or None,
                             APP_TYPE=settings.microsoft_app_type,
                             APP_TENANTID=settings.microsoft_app_tenant_id or None)
    factory = None
    if settings.microsoft_app_certificate_thumbprint and settings.microsoft_app_certificate_key_file:
        factory = CertificateServiceClientCredentialsFactory(
            settings.microsoft_app_certificate_thumbprint,
            settings.microsoft_app_certificate_key_file.read_text("utf-8"),
            settings.microsoft_app_id, settings.microsoft_app_tenant_id or None)
    return CloudAdapter(_Authentication(config, destinations=Destinations.from_settings(settings),
                                        credentials_factory=factory, logger=log))


async def mount(app: web.Application, coach: Coach, settings: Settings, *, database: Database) -> None:
    """The `bot.server` mount, added only when Teams is configured (or the loopback development flag is set)."""
    await install(app, coach, settings, database=database)


async def install(app: web.Application, coach: Coach, settings: Settings, *, database: Database) -> TeamsAdapter:
    """Add POST /api/messages, with references, retry dedupe and the inbox in the shared `database`.

    The inbox sweeps from start-up; at shutdown it stops sweeping, lets answers in progress finish
    for SHUTDOWN_TIMEOUT, then hands back the rows it still holds."""
    if not settings.teams_authenticated:
        log.warning("TEAMS ENDPOINT %s IS UNAUTHENTICATED (TEAMS_DEV_UNAUTHENTICATED=true): anyone who can "
                    "reach it can act as any Teams user. Use this only with the Bot Framework Emulator on "
                    "localhost; set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD for Teams.", MESSAGES_PATH)
    store = ConversationStore(sessions=database.session, standard_ref=coach.knowledge.standard.reference)
    adapter = TeamsAdapter(coach=coach, cloud=make_cloud_adapter(settings), app_id=settings.microsoft_app_id,
                           deadline=settings.teams_reply_deadline, store=store,
                           destinations=Destinations.from_settings(settings),
                           claim=event_claim(database.session, platform="teams"), sessions=database.session,
                           inbox_times=inbox_times(settings))
    app[ADAPTER_KEY] = adapter
    app.router.add_post(MESSAGES_PATH, adapter.handle_request)
    inbox = adapter.inbox
    assert inbox is not None

    async def close(_: web.Application) -> None:
        await inbox.shut_down(adapter.drain, settings.shutdown_timeout)

    app.on_startup.append(inbox.on_startup)

    app.on_cleanup.append(close)
    return adapter
