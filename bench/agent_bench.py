"""The agent with a model that answers after a fixed delay: time to first streamed token, and the agent's overhead.

The fake OpenAI server (its own thread) answers each call after DELAY seconds: a
tool call (ksb_lookup) first, then the streamed answer, so a turn is two model
calls and one tool call. "First token" is the moment the fake Slack API receives
chat.startStream, or the fake Bot Framework connector the first streaming update,
counted from the moment the event or activity was posted to the real server.
"Overhead" is the agent's wall time minus the model's own time (2 x DELAY) and
minus the tool's time, measured on the coach directly; the client's share (the
openai/langchain HTTP stack beyond DELAY) is shown on its own line.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr

from bench.stats import summary

DELAY = 0.2  # seconds the fake model takes per call
TURNS = 20
SECRET = "bench-signing-secret-0123456789ab"
PARTS = ("S24 asks you to ", "watch for model and data drift ", "and show how you acted on it.")


def script_turns(model: Any, turns: int) -> None:
    from tests.fakes import Chunks, Delay, ToolCall, ToolCalls

    for _ in range(turns):
        model.script(Delay(DELAY, ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]}))), Delay(DELAY, Chunks(PARTS)))


def ms(values: list[float]) -> str:
    return summary(values, tail="p99", width=6)


def slack_event(n: int) -> tuple[str, bytes, dict[str, str]]:
    ts = f"{1_700_500_000 + n}.000100"
    body = json.dumps({"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": f"EvAgent{n:06d}", "event_time": int(time.time()),
                       "event": {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1",
                                 "text": "what counts for S24?", "ts": ts, "event_ts": ts, "team": "T1"}}).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return ts, body, {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                      "X-Slack-Signature": f"v0={digest}"}


async def serve(app: Any) -> tuple[Any, str]:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def first_call_times(app: Any, model: Any, adapter_key: Any,
                           request: Callable[[int], tuple[str, dict[str, Any]]],
                           first: Callable[[str], list[Any]]) -> list[float]:
    """Milliseconds from posting each turn to the platform call that carried its first words."""
    runner, base = await serve(app)
    firsts: list[float] = []
    try:
        script_turns(model, TURNS)
        async with aiohttp.ClientSession() as session:
            for n in range(TURNS):
                path, kwargs = request(n)
                key = kwargs.pop("_key")
                sent = time.time()
                async with session.post(base + path, **kwargs) as response:
                    await response.read()
                await app[adapter_key].drain(timeout=60)
                calls = first(key)
                if calls:
                    firsts.append((calls[0].timestamp - sent) * 1000)
    finally:
        await runner.cleanup()
    return firsts


async def slack_first_tokens(settings: Any, retriever: Any, model: Any) -> list[float]:
    from bot.adapters.slack.app import ADAPTER_KEY, mount
    from bot.server import build_app
    from bot.wiring import make_coach, open_settings_database
    from tests.fakes import FakeSlackAPI

    fake = FakeSlackAPI().start_in_thread()
    slack = settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-1-bench-token"),
                                        "slack_signing_secret": SecretStr(SECRET),
                                        "slack_api_url": f"{fake.url}/api/"})
    database = open_settings_database(slack)
    app = await build_app(settings=slack, coach=make_coach(slack, retriever=retriever, database=database),
                          mounts=[partial(mount, database=database)])
    def request(n: int) -> tuple[str, dict[str, Any]]:
        ts, body, headers = slack_event(n)
        return "/slack/events", {"data": body, "headers": headers, "_key": ts}

    def first(key: str) -> list[Any]:
        return [c for c in fake.calls_to("chat.startStream") if c.params.get("thread_ts") == key]

    try:
        return await first_call_times(app, model, ADAPTER_KEY, request, first)
    finally:
        fake.stop_thread()
        database.dispose()


async def teams_first_tokens(settings: Any, retriever: Any, model: Any) -> list[float]:
    from bot.adapters.teams.app import ADAPTER_KEY
    from bot.server import build_app
    from bot.wiring import make_coach, open_settings_database, platform_mounts
    from tests.fakes import FakeBotConnector, make_activity

    fake = FakeBotConnector().start_in_thread()
    teams = settings.model_copy(update={"teams_dev_unauthenticated": True})
    database = open_settings_database(teams)
    app = await build_app(settings=teams, coach=make_coach(teams, retriever=retriever, database=database),
                          mounts=platform_mounts(teams, database=database))
    def request(n: int) -> tuple[str, dict[str, Any]]:
        conversation = f"agent-bench-{n}"
        activity = make_activity("what counts for S24?", service_url=fake.url, conversation_id=conversation)
        return "/api/messages", {"json": activity, "_key": conversation}

    def first(key: str) -> list[Any]:
        return [c for c in fake.calls if c.match_info.get("conversation_id") == key
                and isinstance(c.body, dict) and c.body.get("type") == "typing"
                and (c.body.get("channelData") or {}).get("streamType") == "streaming"]

    try:
        return await first_call_times(app, model, ADAPTER_KEY, request, first)
    finally:
        fake.stop_thread()
        database.dispose()


async def overheads(settings: Any, retriever: Any, model: Any) -> dict[str, list[float]]:
    from bot.agent.stream import Recorder
    from bot.messages import Incoming, UserRef
    from bot.wiring import make_coach, open_settings_database

    database = open_settings_database(settings)
    coach = make_coach(settings, retriever=retriever, database=database)
    user = UserRef(platform="console", workspace_id="local", user_id="bench")
    found: dict[str, list[float]] = {"agent": [], "client": [], "tools": [], "total": [], "fallbacks": []}
    script_turns(model, TURNS + 2)
    try:
        for n in range(TURNS + 2):
            reply = await coach.handle(Incoming(user=user, text="what counts for S24?", conversation_id=f"b{n}"),
                                       stream=Recorder())
            usage = reply.metadata["usage"]
            if n < 2:  # warm-up: the first turns open HTTP connections and build the tool schemas
                continue
            if "fallback" in reply.metadata:
                found["fallbacks"].append(1.0)
            own = usage["agent_seconds"] - usage["model_seconds"] - usage["tool_seconds"]
            found["agent"].append(own * 1000)
            found["client"].append((usage["model_seconds"] - usage["steps"] * DELAY) * 1000)
            found["tools"].append(usage["tool_seconds"] * 1000)
            found["total"].append((usage["agent_seconds"] - usage["steps"] * DELAY - usage["tool_seconds"]) * 1000)
    finally:
        database.dispose()
    return found


async def run_bench(data_dir: Path) -> None:
    from bot.config import Settings
    from bot.wiring import make_retriever
    from tests.fakes import FakeOpenAI

    retriever = make_retriever(Settings(_env_file=None, openai_api_key="", openai_base_url=""))
    model = FakeOpenAI().start_in_thread()
    try:
        settings = Settings(_env_file=None, data_dir=data_dir, openai_api_key="", llm_timeout=10.0,
                            openai_base_url=f"{model.url}/v1")
        print(f"== agent: fake model answering after {DELAY * 1000:.0f} ms per call; a turn is 2 model calls "
              f"+ 1 tool call, {TURNS} turns each ==")
        found = await overheads(settings, retriever, model)
        print(f"  agent's own code per turn (beyond model and tool): {ms(found['agent'])}")
        print(f"  client HTTP/parsing beyond the model's delay:      {ms(found['client'])}")
        print(f"  overhead over the model's own time (both above):   {ms(found['total'])}")
        print(f"  tool time per turn (ksb_lookup, offline handler):  {ms(found['tools'])}")
        print(f"  fallbacks: {len(found['fallbacks'])}")
        slack = await slack_first_tokens(settings.model_copy(update={"data_dir": data_dir / "slack"}), retriever,
                                         model)
        print(f"  slack event -> chat.startStream (first token):     {ms(slack)}  "
              f"(model's own time before it: {2 * DELAY * 1000:.0f} ms)")
        teams = await teams_first_tokens(settings.model_copy(update={"data_dir": data_dir / "teams"}), retriever,
                                         model)
        print(f"  teams activity -> first streaming update:          {ms(teams)}  "
              f"(model's own time before it: {2 * DELAY * 1000:.0f} ms)")
    finally:
        model.stop_thread()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ksb-agent-bench-") as tmp:
        asyncio.run(run_bench(Path(tmp)))


if __name__ == "__main__":
    main()
