"""SIGTERM drains: `ksb-coach serve` as a real process finishes an in-flight request, then exits 0;
and a stopped `serve` leaves none of its worker threads running.

The slow request is a real one: /readyz while the database sits behind a
proxy that accepts connections and never answers, so the check runs until
READINESS_TIMEOUT. SIGTERM arrives while it is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.messages import Incoming, UserRef
from bot.search.retrieval import HybridRetriever
from bot.server import serve
from bot.wiring import make_coach
from storage.db import upgrade
from tests.conftest import make_settings
from tests.test_ops_database import pg_database  # noqa: F401 - fixture
from tests.test_ops_proxy import TcpProxy

START_TIMEOUT = 180.0


def clean_env(**values: str) -> dict[str, str]:
    """The parent's environment minus any KSB setting, plus `values`."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(values)
    return env


def wait_for_listening(stdout: IO[str], timeout: float) -> tuple[int, list[dict[str, Any]]]:
    """Reads JSON log lines until the server says where it listens (port 0 picks a free one)."""
    seen: list[dict[str, Any]] = []
    found: list[int] = []

    def read() -> None:
        for line in stdout:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            seen.append(record)
            if "port" in record and "listening" in str(record.get("msg")):
                found.append(int(record["port"]))
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        raise AssertionError(f"server did not start; log: {seen[-5:]}")
    return found[0], seen


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def proxied_database(pg_database: str) -> Iterator[tuple[str, TcpProxy]]:  # noqa: F811
    upgrade(pg_database)
    target = make_url(pg_database)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        yield url, proxy


@pytest.mark.postgres
@pytest.mark.slow
def test_sigterm_lets_the_in_flight_request_finish_then_exits_0(
        proxied_database: tuple[str, TcpProxy], retriever: HybridRetriever, index_dir: Path) -> None:
    url, proxy = proxied_database
    assert retriever.index.is_current()  # the session index is built: start-up will not embed
    env = clean_env(DATA_DIR=str(index_dir), DATABASE_URL=url, READINESS_TIMEOUT="2",
                    SHUTDOWN_TIMEOUT="20", LOG_FORMAT="json", LOG_LEVEL="INFO", SCHEDULER="false")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        port, _ = wait_for_listening(process.stdout, START_TIMEOUT)
        base = f"http://127.0.0.1:{port}"
        assert fetch(base + "/readyz")[0] == 200

        proxy.set_mode("blackhole")
        result: list[tuple[int, str]] = []
        slow = threading.Thread(target=lambda: result.append(fetch(base + "/readyz")))
        slow.start()
        assert proxy.blackholed.acquire(timeout=30)  # the check is now waiting on the database
        process.send_signal(signal.SIGTERM)
        slow.join(60)
        assert process.wait(timeout=60) == 0
        tail = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert result, "the in-flight request got no response"
    status, body = result[0]
    assert status == 503 and '"database"' in body  # answered, not cut off
    assert "stopped" in tail


WORKERS = ("heavy", "database", "retrieval")  # the heavy-work pool, the database's pool, the coach's own


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_leaves_no_worker_thread_running(tmp_path: Path, retriever: HybridRetriever) -> None:
    """Every pool the coach runs on (tagging, its database, routing) is stopped when serve stops."""
    before = set(threading.enumerate())
    port = free_port()
    settings = make_settings(tmp_path, host="127.0.0.1", port=port, scheduler=False)
    coach = make_coach(settings, retriever=retriever)  # opens its own database and heavy-work pool
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings=settings, coach=coach, host="127.0.0.1", port=port, mounts=[],
                                       stop=stop))
    try:
        for _ in range(600):  # warm-up, then listening
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz"):
                    break
            await asyncio.sleep(0.1)
        ada = UserRef(platform="console", workspace_id="local", user_id="ada")
        saved = await coach.handle(Incoming(user=ada, text="reflect: yesterday I spent 2h setting up drift "
                                                           "alerts and a dashboard for the pricing model"))
        assert saved.intent == "reflect"
        started = [t for t in threading.enumerate() if t not in before and t.name.startswith(WORKERS)]
        assert {t.name.split("_")[0] for t in started} == set(WORKERS)  # each pool did run something
    finally:
        stop.set()
        await server
    assert [t.name for t in started if t.is_alive()] == []
