"""Bot Framework signing keys, fetched without blocking the event loop, under a timeout, and cached.

The SDK's own key cache (`botframework.connector.auth.jwt_token_extractor._OpenIdMetadata`)
calls `requests.get` with no timeout from inside a coroutine: while Microsoft's
OpenID endpoint is slow, the whole server (Slack included) is frozen, and a token
naming a key id that is not published raises IndexError (a 500). `install` swaps that
cache for `SigningKeys`, which the SDK's `JwtTokenExtractor` then uses unchanged:

- the metadata and its JWKS are fetched with aiohttp, each within `timeout` seconds;
- concurrent requests share one fetch; keys are kept for a day, as the SDK does;
- a key id that is not published is `UnknownSigningKey` (a 401), and refetches for
  unknown ids happen at most once per `UNKNOWN_KEY_REFETCH`, so made-up ids cannot
  turn every request into a fetch;
- a fetch that fails or times out is `SigningKeysUnavailable` (a 503: the channel retries).

The SDK offers no constructor seam for its key cache, so `install` replaces the
factory the extractor asks (`JwtTokenExtractor.get_open_id_metadata`) once per process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

MAX_AGE = 24 * 3600.0  # the SDK refreshes daily; Microsoft rolls keys with overlap
UNKNOWN_KEY_REFETCH = 300.0  # an unseen key id triggers at most one refetch per 5 minutes
FAILED_RETRY = 5.0  # after a failed fetch, fail fast for a few seconds rather than queue up


class SigningKeysUnavailable(jwt.PyJWTError):
    """The OpenID metadata or its keys could not be fetched in time; the request can't be verified now."""


class UnknownSigningKey(jwt.InvalidTokenError):
    """The token names a key id the Bot Framework does not publish."""


@dataclass(frozen=True)
class SigningKey:
    """What the SDK's extractor reads from its cache: the public key and the key's channel endorsements."""

    public_key: Any
    endorsements: list[str]


@dataclass
class SigningKeys:
    """One OpenID metadata URL's signing keys (the SDK's `_OpenIdMetadata` interface: `await get(kid)`)."""

    url: str
    timeout: float
    keys: dict[str, SigningKey] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    failed_at: float = float("-inf")
    _locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = field(
        default_factory=weakref.WeakKeyDictionary)

    async def get(self, key_id: str | None) -> SigningKey:
        now = time.monotonic()
        if now - self.fetched_at > MAX_AGE:
            await self._refresh(now)
        key = self.keys.get(key_id or "")
        if key is None and time.monotonic() - self.fetched_at > UNKNOWN_KEY_REFETCH:
            await self._refresh(now)
            key = self.keys.get(key_id or "")
        if key is None:
            raise UnknownSigningKey("token signed with an unpublished key id")
        return key

    async def _refresh(self, asked_at: float) -> None:
        loop = asyncio.get_running_loop()  # a lock per loop: the cache outlives any one loop (tests)
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        async with lock:
            if self.fetched_at >= asked_at:
                return  # another request fetched while this one waited
            if time.monotonic() - self.failed_at < FAILED_RETRY and self.keys == {}:
                raise SigningKeysUnavailable("signing keys unavailable (recent fetch failed)")
            try:
                self.keys = await asyncio.wait_for(self._fetch(), self.timeout)
            except (TimeoutError, aiohttp.ClientError, ValueError, KeyError, TypeError) as exc:
                self.failed_at = time.monotonic()
                log.warning("bot framework signing keys: fetch failed (%s)", type(exc).__name__)
                if not self.keys:
                    raise SigningKeysUnavailable("signing keys unavailable") from None
                return  # keep verifying with the keys already known
            self.fetched_at = time.monotonic()

    async def _fetch(self) -> dict[str, SigningKey]:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(self.url) as response:
                response.raise_for_status()
                jwks_uri = str((await response.json(content_type=None))["jwks_uri"])
            async with session.get(jwks_uri) as response:
                response.raise_for_status()
                published = (await response.json(content_type=None))["keys"]
        keys: dict[str, SigningKey] = {}
        for entry in published:
            if isinstance(entry, dict) and entry.get("kid") and entry.get("kty") == "RSA":
                keys[str(entry["kid"])] = SigningKey(RSAAlgorithm.from_jwk(json.dumps(entry)),
                                                     list(entry.get("endorsements") or []))
        return keys


_CACHES: dict[str, SigningKeys] = {}
_TIMEOUT = [5.0]
_CHANNEL_URL = [""]  # TEAMS_OPENID_METADATA_URL: where the channel's keys are really fetched from


def _for_url(metadata_url: str) -> SigningKeys:
    if metadata_url == AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL and _CHANNEL_URL[0]:
        metadata_url = _CHANNEL_URL[0]
    cache = _CACHES.get(metadata_url)
    if cache is None:
        cache = _CACHES[metadata_url] = SigningKeys(metadata_url, timeout=_TIMEOUT[0])
    return cache


def install(*, timeout: float, channel_metadata_url: str = "") -> None:
    """Make every `JwtTokenExtractor` use `SigningKeys`; idempotent, the latest settings win.

    `channel_metadata_url` replaces Microsoft's public channel metadata URL (the SDK keeps
    its public-cloud validation rules; only where the keys come from changes).
    """
    _TIMEOUT[0] = timeout
    _CHANNEL_URL[0] = channel_metadata_url
    for cache in _CACHES.values():
        cache.timeout = timeout
    JwtTokenExtractor.get_open_id_metadata = staticmethod(_for_url)
