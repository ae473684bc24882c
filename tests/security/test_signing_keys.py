"""Non-blocking, bounded Bot Framework auth: signing keys fetched asynchronously, with a timeout, cached.

The fake OpenID server runs on its own thread, as Microsoft's would be elsewhere: if the
key fetch blocked the event loop, nothing else on the server could be answered.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from botframework.connector.auth import AuthenticationConstants, JwtTokenExtractor, VerifyOptions

from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach
from tests.conftest import make_settings
from tests.fakes import FakeBotConnector
from tests.fakes.openid import ISSUER, FakeOpenId
from tests.test_teams_support import TeamsHarness, start

pytest_plugins = ["tests.test_teams_support"]

APP_ID = "6f0b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"
HANG = 30.0  # the fake's keys answer this late; the bot's own timeout below is far shorter
KEYS_TIMEOUT = 8.0  # generous for a loaded machine, yet well inside HANG


async def _teams_with_keys(keys: FakeOpenId, tmp_path: Path, retriever: HybridRetriever,
                           fake_connector: FakeBotConnector) -> TeamsHarness:
    """Teams with an app id, verifying tokens with keys from `keys` instead of Microsoft's."""
    settings = make_settings(tmp_path, microsoft_app_id=APP_ID, microsoft_app_password="s3cret-Value-1",
                             teams_openid_metadata_url=keys.metadata_url, teams_signing_keys_timeout=KEYS_TIMEOUT)
    return await start(settings, make_coach(settings, retriever=retriever), fake_connector)


async def test_a_hanging_key_server_blocks_no_one_else(tmp_path: Path, retriever: HybridRetriever,
                                                       fake_connector: FakeBotConnector) -> None:
    with FakeOpenId(hang=HANG).threaded() as keys:
        harness = await _teams_with_keys(keys, tmp_path, retriever, fake_connector)
        try:
            activity = harness.activity("what counts for S24?")
            token = keys.token(app_id=APP_ID, service_url=activity["serviceUrl"])
            turn = asyncio.create_task(harness.post(activity, {"Authorization": f"Bearer {token}"}))
            await asyncio.to_thread(keys.wait_for_sync, lambda calls: len(calls) >= 1, 60)
            async with aiohttp.ClientSession() as http, http.get(harness.base + "/healthz") as health:
                assert health.status == 200
            assert not turn.done()  # answered while the key fetch was still hanging
            status, _ = await turn
        finally:
            await harness.close()
    assert status == 503  # not verifiable in time: the channel retries later
    assert fake_connector.calls == []


def _extractor(metadata_url: str) -> JwtTokenExtractor:
    return JwtTokenExtractor(VerifyOptions(issuer=[ISSUER], audience=None, clock_tolerance=300,
                                           ignore_expiration=False),
                             metadata_url=metadata_url,
                             allowed_algorithms=AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS)


async def test_an_unknown_key_id_is_a_401_and_keys_are_fetched_once(
        tmp_path: Path, retriever: HybridRetriever, fake_connector: FakeBotConnector) -> None:
    with FakeOpenId().threaded() as keys:
        harness = await _teams_with_keys(keys, tmp_path, retriever, fake_connector)
        try:
            activity = harness.activity("what counts for S24?")
            statuses = []
            for kid in ("made-up-1", "made-up-2", "made-up-3"):
                token = keys.token(app_id=APP_ID, service_url=activity["serviceUrl"], kid=kid)
                statuses.append((await harness.post(activity, {"Authorization": f"Bearer {token}"}))[0])
            # the published key verifies through the SDK's own extractor, from the same cache
            good = keys.token(app_id=APP_ID, service_url=activity["serviceUrl"])
            extractor = _extractor(AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL)
            identity = await extractor.get_identity("Bearer", good, "msteams")
        finally:
            await harness.close()
        fetched = len(keys.calls_named("keys"))
    assert statuses == [401, 401, 401]
    assert identity is not None and identity.get_claim_value("aud") == APP_ID
    assert fetched == 1  # made-up key ids do not each trigger a fetch
    assert fake_connector.calls == []
