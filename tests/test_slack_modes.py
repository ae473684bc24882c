"""Which transport Slack uses, from settings alone: HTTP, Socket Mode, or off."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.adapters.slack.app import EVENTS_PATH, install
from bot.coach import Coach
from bot.composers.grounded import GroundedComposer
from bot.search.retrieval import HybridRetriever
from bot.wiring import platform_mounts
from storage.db import Database
from tests.conftest import make_settings
from tests.fakes import FakeSlackAPI


def test_slack_is_mounted_only_when_configured(tmp_path: Path, database: Database) -> None:
    assert make_settings(tmp_path).slack_mode == ""
    http = make_settings(tmp_path, slack_bot_token="xoxb-1-test-bot-token", slack_signing_secret="s3cr3t-value-1")
    socket = make_settings(tmp_path, slack_bot_token="xoxb-1-test-bot-token", slack_app_token="xapp-1-test-token")
    both = make_settings(tmp_path, slack_bot_token="xoxb-1-test-bot-token", slack_signing_secret="s3cr3t-value-1",
                         slack_app_token="xapp-1-test-token")
    assert (http.slack_mode, socket.slack_mode, both.slack_mode) == ("http", "socket", "http")
    assert both.model_copy(update={"slack_socket_mode": True}).slack_mode == "socket"
    assert len(platform_mounts(http, database=database)) == \
        len(platform_mounts(make_settings(tmp_path), database=database)) + 1


async def test_socket_mode_serves_no_http_route(retriever: HybridRetriever, tmp_path: Path) -> None:
    async with FakeSlackAPI() as fake:
        settings = make_settings(tmp_path, slack_bot_token="xoxb-1-test-bot-token",
                                 slack_app_token="xapp-1-test-token", slack_api_url=f"{fake.url}/api/")
        coach = Coach(knowledge=retriever.index.knowledge, retriever=retriever, composer=GroundedComposer())
        app = web.Application()

        async def no_claims(event_id: str) -> bool:
            return True

        await install(app, coach, settings, claim=no_claims)
        assert all(getattr(r.resource, "canonical", "") != EVENTS_PATH for r in app.router.routes())
        assert any(f.__qualname__.startswith("_socket_mode") for f in app.on_startup)  # connects on start
        app.freeze()  # as a runner would; then cleanup closes the websocket client and sessions
        await app.cleanup()
