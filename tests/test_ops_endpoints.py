"""The operational endpoints on a real aiohttp server: /healthz, /readyz, /metrics, middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.coach import Coach
from bot.composers.llm import LlmComposer, make_chat_model
from bot.config import Settings
from bot.messages import Incoming, UserRef
from bot.observability import METRICS_KEY, Metrics
from bot.search.retrieval import HybridRetriever
from bot.server import build_app
from bot.wiring import make_coach
from storage.db import upgrade
from tests.conftest import make_settings
from tests.fakes.openai_server import Delay, FakeOpenAI

Serve = Callable[..., Awaitable[tuple[str, web.Application]]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Starts build_app on 127.0.0.1:0; every runner is cleaned up after the test."""
    runners: list[web.AppRunner] = []

    async def start(settings: Settings, coach: Coach, **kwargs: object) -> tuple[str, web.Application]:
        app = await build_app(settings=settings, coach=coach, **kwargs)  # type: ignore[arg-type]
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}", app

    yield start
    for runner in runners:
        await runner.cleanup()


async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    """Status, body and headers with lower-cased names (aiohttp normalises X-Request-ID)."""
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.text(), {k.lower(): v for k, v in response.headers.items()}


def user(platform: str = "slack") -> UserRef:
    return UserRef(platform=platform, workspace_id="T1", user_id="U1")


async def test_healthz_answers_without_dependencies(serve: Serve, settings: Settings,
                                                   retriever: HybridRetriever) -> None:
    base, _ = await serve(settings, make_coach(settings, retriever=retriever), mounts=[])
    status, body, headers = await get(base + "/healthz")
    assert status == 200 and '"ok"' in body
    assert headers["x-request-id"]


async def test_readyz_green_on_migrated_database_and_built_index(
        serve: Serve, settings: Settings, retriever: HybridRetriever) -> None:
    upgrade(settings.effective_database_url)
    base, _ = await serve(settings, make_coach(settings, retriever=retriever), mounts=[])
    status, body, _ = await get(base + "/readyz")
    assert status == 200, body
    assert '"database": {"ok": true' in body and '"index": {"ok": true' in body


async def test_readyz_red_names_the_unmigrated_database(serve: Serve, settings: Settings,
                                                        retriever: HybridRetriever) -> None:
    coach = make_coach(settings, retriever=retriever, with_storage=False)  # storage would migrate
    base, _ = await serve(settings, coach, mounts=[])
    status, body, _ = await get(base + "/readyz")
    assert status == 503
    assert "migrations not current" in body and '"index": {"ok": true' in body


async def test_readyz_red_when_the_index_is_missing(serve: Serve, tmp_path: Path,
                                                    retriever: HybridRetriever) -> None:
    """A fresh data dir has no Chroma collection: the coach could not answer from it."""
    from bot.wiring import make_index

    settings = make_settings(tmp_path)
    upgrade(settings.effective_database_url)
    empty = HybridRetriever(index=make_index(settings, retriever.index.knowledge))
    base, _ = await serve(settings, make_coach(settings, retriever=empty), mounts=[])
    status, body, _ = await get(base + "/readyz")
    assert status == 503 and "ksb-coach index" in body


async def test_metrics_count_requests_by_platform_and_outcome(
        serve: Serve, settings: Settings, retriever: HybridRetriever) -> None:
    async def ok(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def refuse(_request: web.Request) -> web.Response:
        raise web.HTTPUnauthorized()

    def mount(app: web.Application, _coach: Coach, _settings: Settings) -> None:
        app.router.add_post("/slack/events", ok)
        app.router.add_post("/api/messages", refuse)

    base, app = await serve(settings, make_coach(settings, retriever=retriever), mounts=[mount])
    async with aiohttp.ClientSession() as http:
        for _ in range(2):
            await (await http.post(base + "/slack/events", data=b"{}")).release()
        await (await http.post(base + "/api/messages", data=b"{}")).release()
    status, text, headers = await get(base + "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert 'ksb_requests_total{outcome="2xx",platform="slack"} 2.0' in text
    assert 'ksb_requests_total{outcome="4xx",platform="teams"} 1.0' in text
    assert "ksb_requests_in_flight 1.0" in text  # the /metrics call itself
    assert app[METRICS_KEY].value("ksb_requests_in_flight") == 0.0


async def test_request_id_from_a_proxy_is_kept(serve: Serve, settings: Settings,
                                               retriever: HybridRetriever) -> None:
    base, _ = await serve(settings, make_coach(settings, retriever=retriever), mounts=[])
    _, _, headers = await get(base + "/healthz", {"X-Request-Id": "edge-1234abcd"})
    assert headers["x-request-id"] == "edge-1234abcd"
    _, _, headers = await get(base + "/healthz", {"X-Request-Id": "<script>alert(1)</script>"})
    assert headers["x-request-id"] != "<script>alert(1)</script>"  # a fresh id instead


async def test_answers_are_timed_by_intent_and_platform(serve: Serve, settings: Settings,
                                                        retriever: HybridRetriever) -> None:
    coach = make_coach(settings, retriever=retriever)
    metrics = Metrics()
    await serve(settings, coach, mounts=[], metrics=metrics)
    await coach.handle(Incoming(user=user("teams"), text="What counts for S24?"))
    await coach.handle(Incoming(user=user("teams"), text="help"))
    assert metrics.value("ksb_answers_total", platform="teams", intent="lookup") == 1.0
    assert metrics.value("ksb_answers_total", platform="teams", intent="help") == 1.0
    assert metrics.value("ksb_answer_seconds_count", intent="lookup") == 1.0


async def test_llm_timeouts_and_fallbacks_are_counted(serve: Serve, settings: Settings,
                                                      retriever: HybridRetriever) -> None:
    async with FakeOpenAI() as fake:
        llm_settings = make_settings(settings.data_dir, openai_base_url=fake.url + "/v1",
                                     llm_timeout=0.5)
        composer = LlmComposer(model=make_chat_model(llm_settings), timeout=0.5)
        coach = Coach(knowledge=retriever.index.knowledge, retriever=retriever, composer=composer)
        metrics = Metrics()
        await serve(llm_settings, coach, mounts=[], metrics=metrics)
        fake.script(Delay(5.0), "not json at all", Delay(5.0))
        question = "How do I evidence monitoring models for drift in production?"
        await coach.handle(Incoming(user=user(), text=question))
        await coach.handle(Incoming(user=user(), text=question))
        assert await coach.composer.complete(system="s", user="u") is None
    assert metrics.value("ksb_llm_timeouts_total") == 1.0
    assert metrics.value("ksb_llm_fallbacks_total", reason="timeout") == 1.0
    assert metrics.value("ksb_llm_fallbacks_total", reason="malformed") == 1.0
    assert metrics.value("ksb_llm_calls_total", purpose="answer", outcome="failed") == 2.0
    assert metrics.value("ksb_llm_calls_total", purpose="complete", outcome="failed") == 1.0
