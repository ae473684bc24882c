"""The database work pool: deadlines that free their thread, fast failure while down, and recovery.

A connection that goes silent after it was made (a partition mid-conversation) is the
case no connect timeout covers: the driver waits on its socket for ever. The proxy here
stalls live connections without closing them; the pool has ONE thread, so a later call
succeeding proves the stuck one was cut free at its deadline.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database, DatabaseOptions
from storage.work import DatabaseUnavailable, DatabaseWork
from tests.test_ops_database import pg_database  # noqa: F401 - fixture
from tests.test_ops_proxy import TcpProxy


@pytest.mark.postgres
async def test_a_stalled_connection_is_cut_at_the_deadline_and_the_pool_recovers(
        pg_database: str) -> None:  # noqa: F811
    target = make_url(pg_database)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        options = DatabaseOptions(pool_size=1, connect_timeout=2, statement_timeout=60, work_timeout=2)
        with Database(url, options) as database:
            def ping() -> int:
                with database.engine.connect() as connection:
                    return int(connection.execute(sa.text("SELECT 1")).scalar_one())

            assert await database.session.run(ping) == 1  # a pooled, established connection
            proxy.set_mode("blackhole", cut=False)
            with pytest.raises(SQLAlchemyError):
                await database.session.run(ping)
            with pytest.raises(DatabaseUnavailable):  # known down: refused at once, no thread spent
                await database.session.run(ping)
            proxy.set_mode("forward")
            for _ in range(60):  # the one worker is free again and the database answers
                try:
                    assert await database.session.work.probe(ping) == 1
                    break
                except SQLAlchemyError:
                    await asyncio.sleep(0.5)
            else:
                raise AssertionError("the pool never recovered")
            assert await database.session.run(ping) == 1  # and it no longer fails fast


async def test_work_queued_past_its_deadline_is_not_started() -> None:
    work = DatabaseWork(workers=1, deadline=0.5, trips_on_errors=False)
    started: list[str] = []
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    holding = threading.Event()

    def hold() -> None:
        holding.set()
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(30)

    def late() -> None:
        started.append("late")

    holder = asyncio.ensure_future(work.probe(hold))
    while not holding.is_set():
        await asyncio.sleep(0.01)
    with pytest.raises(DatabaseUnavailable):
        await work.probe(late)  # behind `hold` on the only thread until after its deadline
    release.set()
    await asyncio.gather(holder, return_exceptions=True)  # the thread is free again
    assert await work.probe(lambda: "fresh") == "fresh"
    assert started == []  # the late work never ran once its caller had been answered
    work.shutdown()
