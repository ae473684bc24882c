"""A database that accepts connections and never answers (a partition) cannot silence the bot.

The real server with Slack mounted runs on PostgreSQL through a TCP proxy. While the
proxy black-holes traffic: a reflection is answered with "try again" and the person's own
words, a question by id and a question from the index are answered in full, /readyz is 503
naming the database (the index still green), /healthz stays 200. When traffic flows again,
readiness and saving come back with nobody restarting anything.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.adapters.slack.app import ADAPTER_KEY, mount
from bot.search.retrieval import HybridRetriever
from bot.server import build_app
from bot.wiring import make_coach, open_settings_database
from storage.db import upgrade
from tests.fakes import FakeSlackAPI
from tests.test_ops_database import pg_database  # noqa: F401 - fixture
from tests.test_ops_proxy import TcpProxy
from tests.test_slack_support import (  # noqa: F401 - fixture
    SlackHarness,
    blocks_text,
    fake_slack,
    message_event,
    slack_settings,
)

REFLECTION = ("This week I set up Evidently dashboards to monitor drift on the churn model "
              "and wrote a runbook for retraining when the alerts fire.")
PATIENCE = 120.0  # generous for a loaded machine; the bound itself is DB_CONNECT/WORK_TIMEOUT


@pytest.fixture
async def proxied(pg_database: str, tmp_path: Path, retriever: HybridRetriever,  # noqa: F811
                  fake_slack: FakeSlackAPI,  # noqa: F811
                  ) -> AsyncIterator[tuple[SlackHarness, TcpProxy]]:
    upgrade(pg_database)
    target = make_url(pg_database)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = slack_settings(tmp_path, fake_slack, database_url=url, db_connect_timeout=2,
                                  db_statement_timeout=3, db_work_timeout=4, readiness_timeout=10)
        database = open_settings_database(settings)
        coach = make_coach(settings, retriever=retriever, database=database)
        app = await build_app(settings=settings, coach=coach, mounts=[partial(mount, database=database)],
                              database=database)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            async with aiohttp.ClientSession() as session:
                yield SlackHarness(url=f"http://127.0.0.1:{runner.addresses[0][1]}", fake=fake_slack,
                                   adapter=app[ADAPTER_KEY], coach=coach, settings=settings,
                                   session=session), proxy
        finally:
            await runner.cleanup()
            database.dispose()


async def said(slack: SlackHarness, text: str, *, user: str) -> str:
    """Send `text` as a DM from `user`; everything the bot then posted to them."""
    before = len(slack.posted())
    assert await slack.event(message_event(text, user=user, ts=f"17000{len(slack.posted()):05d}.000100")) == 200
    await asyncio.wait_for(slack.settle(), PATIENCE)
    return " ".join(blocks_text(p.get("blocks") or p.get("text")) for p in slack.posted()[before:])


async def get(slack: SlackHarness, path: str) -> tuple[int, dict[str, object]]:
    async with slack.session.get(slack.url + path) as response:
        return response.status, await response.json()


@pytest.mark.postgres
@pytest.mark.slow
async def test_a_blackholed_database_degrades_then_heals(proxied: tuple[SlackHarness, TcpProxy]) -> None:
    slack, proxy = proxied
    assert "saved" in (await said(slack, "reflect: " + REFLECTION, user="UBH1")).lower()

    proxy.set_mode("blackhole")
    during = await said(slack, "reflect: " + REFLECTION, user="UBH1")
    assert proxy.blackholed.acquire(timeout=5)  # the database was really reached and held silent
    assert "try again in a minute" in during and "Evidently dashboards" in during

    by_id = await said(slack, "what counts for S24?", user="UBH2")
    s24 = slack.coach.knowledge.standard.ksb("S24")
    assert s24 is not None and "*S24*" in by_id and s24.text[:40] in by_id.replace("\\n", "\n")
    from_index = await said(slack, "how do I evidence monitoring a model in production?", user="UBH3")
    assert re.search(r"\*[KSB]\d+\*", from_index), from_index[:300]

    status, body = await get(slack, "/readyz")
    checks = body["checks"]
    assert status == 503 and isinstance(checks, dict)
    assert checks["database"]["ok"] is False and "unreachable" in checks["database"]["detail"]
    assert checks["index"]["ok"] is True
    assert (await get(slack, "/healthz"))[0] == 200

    proxy.set_mode("forward")
    for _ in range(60):  # readiness probes are what a platform sends; the replica heals by itself
        if (await get(slack, "/readyz"))[0] == 200:
            break
        await asyncio.sleep(1)
    else:
        raise AssertionError("/readyz never went green after the database came back")
    after = await said(slack, "reflect: " + REFLECTION, user="UBH1")
    assert "saved" in after.lower() and "try again" not in after
