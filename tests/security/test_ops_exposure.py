"""/readyz and /metrics are not served to the internet: an internal port, a token, or loopback only."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp

from bot.search.retrieval import HybridRetriever
from bot.server import serve as run_server
from bot.wiring import make_coach
from tests.conftest import make_settings
from tests.test_ops_endpoints import Serve, get

pytest_plugins = ["tests.test_ops_endpoints"]

TOKEN = "ops-token-for-the-test"  # noqa: S105 - a test value


async def test_a_public_host_serves_neither_without_a_port_or_token(serve: Serve, tmp_path: Path,
                                                                     retriever: HybridRetriever) -> None:
    settings = make_settings(tmp_path, host="0.0.0.0")  # noqa: S104 - what the container binds
    base, _ = await serve(settings, make_coach(settings, retriever=retriever, with_storage=False), mounts=[])
    assert (await get(base + "/healthz"))[0] == 200
    assert (await get(base + "/metrics"))[0] == 404
    assert (await get(base + "/readyz"))[0] == 404


async def test_with_a_token_they_need_it(serve: Serve, tmp_path: Path, retriever: HybridRetriever) -> None:
    settings = make_settings(tmp_path, host="0.0.0.0", ops_token=TOKEN)  # noqa: S104
    base, _ = await serve(settings, make_coach(settings, retriever=retriever, with_storage=False), mounts=[])
    for path in ("/metrics", "/readyz"):
        assert (await get(base + path))[0] == 401
        assert (await get(base + path, {"Authorization": "Bearer wrong"}))[0] == 401
        assert (await get(base + path, {"Authorization": f"Bearer {TOKEN}"}))[0] in (200, 503)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_with_an_ops_port_they_are_only_there(tmp_path: Path, retriever: HybridRetriever) -> None:
    port, ops_port = _free_port(), _free_port()
    settings = make_settings(tmp_path, host="127.0.0.1", port=port, ops_port=ops_port)
    coach = make_coach(settings, retriever=retriever, with_storage=False)
    stop = asyncio.Event()
    server = asyncio.create_task(run_server(settings=settings, coach=coach, host="127.0.0.1", port=port,
                                       mounts=[], stop=stop))
    try:
        for _ in range(600):  # warm-up then listen
            try:
                async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{ops_port}/healthz"):
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        main, ops = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ops_port}"
        assert (await get(main + "/healthz"))[0] == 200
        assert (await get(main + "/metrics"))[0] == 404 and (await get(main + "/readyz"))[0] == 404
        status, body, _ = await get(ops + "/metrics")
        assert status == 200 and "ksb_requests_total" in body
        assert (await get(ops + "/readyz"))[0] in (200, 503)
    finally:
        stop.set()
        await server
