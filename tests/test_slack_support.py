"""Harness for the Slack tests: the real server on 127.0.0.1, signed requests, the fake Web API.

Requests are signed exactly as Slack signs them (v0 HMAC-SHA256 over
`v0:{timestamp}:{body}`), so bolt's own verification runs; the Web API is
`FakeSlackAPI`, reached through SLACK_API_URL. No test here; fixtures are
imported by the test_slack_* modules.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.slack.app import ADAPTER_KEY, SlackAdapter, mount
from bot.adapters.slack.blocks import decode_value
from bot.coach import Coach
from bot.config import Settings
from bot.search.retrieval import HybridRetriever
from bot.server import build_app
from bot.wiring import make_coach, open_settings_database
from storage.db import Database
from tests.conftest import make_settings
from tests.fakes import FakeSlackAPI

SECRET = "3f6c2a9d8e7b41c0a5d4e3f2b1a09876"
TEAM = "T1"
USER = "U1"
BOT_USER = "UBOT"


def slack_settings(data_dir: Path, fake: FakeSlackAPI, **overrides: Any) -> Settings:
    return make_settings(data_dir, slack_bot_token="xoxb-1-test-bot-token", slack_signing_secret=SECRET,
                         slack_api_url=f"{fake.url}/api/", **overrides)


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def message_event(text: str, *, ts: str = "1700000100.000100", channel: str = "D1", user: str = USER,
                  **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel": channel, "channel_type": "im", "user": user, "text": text,
            "ts": ts, "event_ts": ts, "team": TEAM, **extra}


def blocks_text(blocks: Any) -> str:
    """All the text a person would see in these blocks, as one string."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps(blocks, ensure_ascii=False)


def visible_text(blocks: Any) -> str:
    """Only what Slack displays (text objects), not button values that travel back to us."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in {"mrkdwn", "plain_text"} and isinstance(node.get("text"), str):
                found.append(node["text"])
            for key, value in node.items():
                if key != "value":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


def buttons(blocks: Any) -> list[tuple[str, str, dict[str, Any], str]]:
    """(label, action, payload, raw value) of every button in `blocks`."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    found = []
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            action, payload = decode_value(element["value"])
            found.append((element["text"]["text"], action, payload, element["value"]))
    return found


@dataclass
class SlackHarness:
    url: str
    fake: FakeSlackAPI
    adapter: SlackAdapter
    coach: Coach
    settings: Settings
    session: aiohttp.ClientSession
    _seq: list[int] = field(default_factory=lambda: [0])

    def next_id(self, prefix: str) -> str:
        self._seq[0] += 1
        return f"{prefix}{self._seq[0]:06d}"

    async def send(self, body: str, *, content_type: str, headers: dict[str, str] | None = None,
                   sign: bool = True, secret: str = SECRET, timestamp: int | None = None) -> tuple[int, str]:
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if sign:
            all_headers.update(signed(body, secret=secret, timestamp=timestamp))
        async with self.session.post(f"{self.url}/slack/events", data=body.encode(), headers=all_headers) as r:
            return r.status, await r.text()

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0,
                    **kwargs: Any) -> int:
        body = json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                           "event_id": event_id or self.next_id("Ev"), "event_time": int(time.time()),
                           "event": event})
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        status, _ = await self.send(body, content_type="application/json", headers=headers, **kwargs)
        return status

    async def command(self, command: str, text: str = "", *, channel: str = "C1") -> tuple[int, str]:
        form = {"token": "legacy", "team_id": TEAM, "team_domain": "fake", "channel_id": channel,
                "channel_name": "general", "user_id": USER, "user_name": "apprentice", "command": command,
                "text": text, "api_app_id": "A1", "response_url": f"{self.fake.url}/api/respond",
                "trigger_id": self.next_id("trig-")}
        return await self.send(urlencode(form), content_type="application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        payload = {"team": {"id": TEAM, "domain": "fake"}, "user": {"id": USER, "team_id": TEAM},
                   "api_app_id": "A1", "token": "legacy", "trigger_id": self.next_id("trig-"), **payload}
        body = urlencode({"payload": json.dumps(payload)})
        return await self.send(body, content_type="application/x-www-form-urlencoded")

    async def click(self, value: str, *, message: dict[str, Any] | None, channel: str = "D1",
                    container: dict[str, Any] | None = None) -> tuple[int, str]:
        """A block_actions click on a button with `value`, on `message` (None: ephemeral)."""
        payload: dict[str, Any] = {
            "type": "block_actions", "channel": {"id": channel, "name": "directmessage"},
            "actions": [{"type": "button", "action_id": "ksb:0", "block_id": "b", "value": value,
                         "action_ts": str(time.time())}],
            "response_url": f"{self.fake.url}/api/respond",
            "container": container or {"type": "message", "channel_id": channel,
                                       "message_ts": (message or {}).get("ts", ""),
                                       "is_ephemeral": message is None},
        }
        if message is not None:
            payload["message"] = message
        return await self.interact(payload)

    async def settle(self) -> None:
        """Wait for the work each ack started (never for a wall-clock time)."""
        await self.adapter.drain(timeout=30)

    def posted(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.fake.calls_to(method)]


@asynccontextmanager
async def running_slack(settings: Settings, coach: Coach, fake: FakeSlackAPI) -> AsyncIterator[SlackHarness]:
    """The real `build_app` server with the Slack mount, on an ephemeral loopback port."""
    database = open_settings_database(settings)
    app = await build_app(settings=settings, coach=coach, mounts=[partial(mount, database=database)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = int(runner.addresses[0][1])
        async with aiohttp.ClientSession() as session:
            yield SlackHarness(url=f"http://127.0.0.1:{port}", fake=fake, adapter=app[ADAPTER_KEY],
                               coach=coach, settings=settings, session=session)
    finally:
        await runner.cleanup()
        database.dispose()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake
        assert fake.refused == []  # every Block Kit payload any test sent passed slack_sdk validation


@pytest.fixture
def slack_database(slack: SlackHarness) -> Iterator[Database]:
    """The database the running Slack harness writes to, for checking what it stored."""
    db = open_settings_database(slack.settings)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
async def slack(retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI) -> AsyncIterator[SlackHarness]:
    settings = slack_settings(tmp_path, fake_slack)
    async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as harness:
        yield harness
