"""Database outages: a friendly reply that keeps the user's words, and /readyz red until recovery."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import psycopg
import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.coach import Coach
from bot.config import Settings
from bot.messages import Incoming, UserRef
from bot.observability import Metrics
from bot.search.retrieval import HybridRetriever
from bot.server import build_app
from bot.wiring import make_coach
from storage.db import Database, upgrade
from tests.conftest import make_settings
from tests.test_ops_proxy import TcpProxy, closed_port

PG_URL = os.environ.get("KSB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REFLECTION = ("reflect: This week I set up Evidently dashboards to monitor drift on the churn model "
              "and wrote a runbook for retraining when the alerts fire.")


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(PG_URL, connect_timeout=3, autocommit=True)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh database on the test server, so no other test's tables interfere."""
    try:
        admin = _admin()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    name = f"ksb_ops_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def running() -> AsyncIterator[list[web.AppRunner]]:
    runners: list[web.AppRunner] = []
    yield runners
    for runner in runners:
        await runner.cleanup()


async def readyz(base: str) -> tuple[int, dict[str, dict[str, object]]]:
    async with aiohttp.ClientSession() as http, http.get(base + "/readyz") as response:
        return response.status, (await response.json())["checks"]


def apprentice() -> Incoming:
    return Incoming(user=UserRef(platform="slack", workspace_id="T1", user_id="U_OUTAGE"),
                    text=REFLECTION)


async def start_app(settings: Settings, coach: Coach, metrics: Metrics,
                    database: Database | None = None) -> web.AppRunner:
    """The real server on an ephemeral loopback port, without chat platforms.

    With `database`, readiness probes the coach's own engine, as in `serve`.
    """
    app = await build_app(settings=settings, coach=coach, mounts=[], metrics=metrics, database=database)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def test_closed_port_gives_a_friendly_reply_that_keeps_the_text(
        settings: Settings, retriever: HybridRetriever) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/ksb"
    settings = make_settings(settings.data_dir, database_url=url, readiness_timeout=5)
    metrics = Metrics()
    with Database(url) as database:
        coach = make_coach(settings, retriever=retriever, database=database)
        runner = await start_app(settings, coach, metrics)
        try:
            reply = await coach.handle(apprentice())
            status, checks = await readyz(f"http://127.0.0.1:{runner.addresses[0][1]}")
        finally:
            await runner.cleanup()
    assert "try again in a minute" in reply.text
    assert REFLECTION.removeprefix("reflect: ") in reply.text  # nothing lost: they can resend it
    assert metrics.value("ksb_errors_total", where="database") == 1.0
    assert metrics.value("ksb_reflections_saved_total", platform="slack") == 0.0
    assert status == 503
    assert checks["database"]["ok"] is False and "unreachable" in str(checks["database"]["detail"])
    assert checks["index"]["ok"] is True


@pytest.mark.postgres
async def test_readyz_goes_red_during_an_outage_and_green_after(
        pg_database: str, settings: Settings, retriever: HybridRetriever,
        running: list[web.AppRunner]) -> None:
    upgrade(pg_database)
    target = make_url(pg_database)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = make_settings(settings.data_dir, database_url=url, readiness_timeout=5)
        metrics = Metrics()
        with Database(url) as database:
            coach = make_coach(settings, retriever=retriever, database=database)
            runner = await start_app(settings, coach, metrics, database)
            running.append(runner)
            base = f"http://127.0.0.1:{runner.addresses[0][1]}"

            assert (await readyz(base))[0] == 200

            proxy.set_mode("refuse")
            status, checks = await readyz(base)
            assert status == 503 and "unreachable" in str(checks["database"]["detail"])
            during = await coach.handle(apprentice())
            assert "try again in a minute" in during.text

            proxy.set_mode("forward")
            status, checks = await readyz(base)
            assert status == 200, checks
            after = await coach.handle(apprentice())
            assert after.metadata.get("entry_id"), after.text
    assert metrics.value("ksb_reflections_saved_total", platform="slack") == 1.0
    assert metrics.value("ksb_errors_total", where="database") == 1.0
