"""One engine per process: a busy `ksb-coach serve` holds at most DB_POOL_SIZE PostgreSQL connections.

Slack (event claims, reflections, questions), Teams (mounted), readiness probes and the
scheduler all run in one real process while pg_stat_activity is sampled. Every connection
names its process and engine (`ksb-coach:<pid>:<n>`), so a second engine shows up as a
second name even before it pushes the count past the pool size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.search.retrieval import HybridRetriever
from storage.db import upgrade
from tests.fakes import FakeSlackAPI
from tests.serve_support import SLACK_ENV, Serve, slack_event
from tests.test_ops_database import PG_URL, pg_database  # noqa: F401 - fixture
from tests.test_ops_shutdown import fetch

POOL = 2
REFLECTION = ("This week I set up Evidently dashboards to monitor drift on the churn model "
              "and wrote a runbook for retraining when the alerts fire.")


class Sampler:
    """Polls pg_stat_activity for one database until stopped; keeps every snapshot."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.snapshots: list[list[tuple[int, str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin:
            while not self._stop.is_set():
                rows = admin.execute("SELECT pid, application_name FROM pg_stat_activity WHERE datname = %s",
                                     (self.database,)).fetchall()
                self.snapshots.append([(int(pid), str(name)) for pid, name in rows])
                time.sleep(0.05)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def fake_slack_thread() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI().threaded() as fake:
        yield fake


@pytest.mark.postgres
@pytest.mark.slow
def test_a_busy_replica_holds_one_engine_of_pool_size_connections(
        pg_database: str, fake_slack_thread: FakeSlackAPI,  # noqa: F811
        retriever: HybridRetriever, index_dir: Path) -> None:
    upgrade(pg_database)
    assert retriever.index.is_current()  # the session index is built: start-up will not embed
    name = str(make_url(pg_database).database)
    env = dict(SLACK_ENV, DATA_DIR=str(index_dir), DATABASE_URL=pg_database, DB_POOL_SIZE=str(POOL),
               SLACK_API_URL=f"{fake_slack_thread.url}/api/", TEAMS_DEV_UNAUTHENTICATED="true",
               SCHEDULER="true", SCHEDULER_INTERVAL="1", TURNS_PER_MINUTE="1000")
    with Serve(**env) as serve, Sampler(name) as sampler:
        senders = [threading.Thread(target=slack_event, args=(
            serve.base, f"EvConn{n:03d}", REFLECTION if n % 2 else "what counts for S24?"),
            kwargs={"user": f"UCONN{n:03d}"}) for n in range(16)]
        probes = [threading.Thread(target=fetch, args=(serve.base + "/readyz",)) for _ in range(4)]
        for thread in senders + probes:
            thread.start()
        for thread in senders + probes:
            thread.join(60)
        fake_slack_thread.wait_for_sync(
            lambda calls: sum(c.name == "chat.postMessage" for c in calls) >= 16, timeout=180)
        status, body = fetch(serve.base + "/readyz")
        pid = serve.pid
    assert status == 200, body
    seen = [snapshot for snapshot in sampler.snapshots if snapshot]
    assert seen, "no connection from the server was ever seen"
    names = {app for snapshot in seen for _, app in snapshot}
    assert len(names) == 1, f"more than one engine: {sorted(names)}"
    assert names.pop().startswith(f"ksb-coach:{pid}:")
    assert max(len(snapshot) for snapshot in seen) <= POOL
