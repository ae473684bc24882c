"""Acked words survive the process: a real `ksb-coach serve` killed with -9 mid-burst (PostgreSQL here;
SQLite in tests/security/test_acked_words.py), or stopped with SIGTERM while its backlog outlasts
SHUTDOWN_TIMEOUT, then started again.

Slack is a loopback fake whose chat.postMessage does not answer until the test says so, so
when the process dies every acked reflection is at most saved (the first ones) and none is
answered. The restarted process talks to a second fake; each acked reflection must then be
saved exactly once (by its event id) and answered in its own thread, with the inbox empty.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.search.retrieval import HybridRetriever
from storage.db import open_database
from storage.models import Entry, InboxItem
from tests.fakes import FakeSlackAPI
from tests.serve_support import SLACK_ENV, Serve, post
from tests.test_ops_database import pg_database  # noqa: F401 - fixture
from tests.test_slack_support import TEAM, signed

REFLECTION = ("reflect: yesterday 2h on drift monitoring for the churn model ({n}): Evidently dashboards, "
              "alert thresholds and a retraining runbook")
ENV = {"INBOX_LEASE": "2", "INBOX_SWEEP_INTERVAL": "0.5", "TURNS_PER_MINUTE": "1000", "SCHEDULER": "false",
       "SHUTDOWN_TIMEOUT": "1"}


def held_slack() -> tuple[FakeSlackAPI, Callable[[], None]]:
    """A fake Slack that takes our posts and does not answer them (until released): nothing is answered."""
    fake = FakeSlackAPI()
    release = fake.hold("chat.postMessage")
    return fake.start_in_thread(), release


def send_reflection(base: str, n: int, acked: dict[str, str]) -> None:
    """One signed DM event from its own person; recorded in `acked` (event id -> ts) when Slack's ack came."""
    event_id, ts = f"EvBurst{n:03d}", f"17000{n:05d}.000100"
    body = json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()),
                       "event": {"type": "message", "channel": f"D{n:03d}", "channel_type": "im",
                                 "user": f"UBURST{n:03d}", "text": REFLECTION.format(n=n), "ts": ts,
                                 "event_ts": ts, "team": TEAM}})
    try:
        status = post(base + "/slack/events", body.encode(), {"Content-Type": "application/json", **signed(body)},
                      timeout=20)
    except (urllib.error.URLError, OSError):  # the process died before it acked: Slack would retry it
        return
    if status == 200:
        acked[event_id] = ts


def serve_env(url: str, index_dir: Path) -> dict[str, str]:
    open_database(url).dispose()  # migrated before either process starts
    return dict(SLACK_ENV, **ENV, DATA_DIR=str(index_dir), DATABASE_URL=url)


@pytest.fixture
def env(tmp_path: Path, index_dir: Path, retriever: HybridRetriever) -> dict[str, str]:
    """`serve` on a SQLite file, with the session's index (start-up will not embed)."""
    assert retriever.index.is_current()
    return serve_env(f"sqlite:///{tmp_path / 'ksb.db'}", index_dir)


def burst(base: str, count: int) -> tuple[list[threading.Thread], dict[str, str]]:
    acked: dict[str, str] = {}
    threads = [threading.Thread(target=send_reflection, args=(base, n, acked), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads, acked


def check_every_acked_reflection(url: str, fake: FakeSlackAPI, acked: dict[str, str]) -> None:
    """Each acked reflection saved once and answered in its own thread; nothing left in the inbox."""
    fake.wait_for_sync(lambda calls: {c.params.get("thread_ts") for c in calls
                                      if c.name == "chat.postMessage"} >= set(acked.values()), timeout=180)
    database = open_database(url)
    try:
        with database.session() as session:
            keys = list(session.execute(sa.select(Entry.event_key)).scalars())  # type: ignore[call-overload]
            left = list(session.execute(sa.select(InboxItem.event_key)).scalars())  # type: ignore[call-overload]
    finally:
        database.dispose()
    for event_id in acked:
        assert keys.count(event_id) == 1, f"{event_id} saved {keys.count(event_id)} times"
    for call in fake.calls_to("chat.postMessage"):
        assert call.params["text"].startswith("Saved your reflection"), call.params["text"]
    assert left == []


def kill_mid_burst(env: dict[str, str], count: int) -> None:
    """`count` reflections from `count` people; kill -9 once answering has begun; start again and check."""
    first_slack, release = held_slack()
    try:
        with Serve(**env, SLACK_API_URL=f"{first_slack.url}/api/") as first:
            threads, acked = burst(first.base, count)
            first_slack.wait_for_sync(lambda calls: any(c.name == "chat.postMessage" for c in calls), timeout=120)
            first.kill()  # mid-burst: acks may still be on their way; none answered
            for thread in threads:
                thread.join(30)
        assert acked, "nothing was acked before the kill"
    finally:
        release()
        first_slack.stop_thread()
    with FakeSlackAPI().threaded() as second_slack, Serve(**env, SLACK_API_URL=f"{second_slack.url}/api/"):
        check_every_acked_reflection(env["DATABASE_URL"], second_slack, acked)


@pytest.mark.postgres
@pytest.mark.slow
def test_kill_9_mid_burst_on_postgresql_loses_no_acked_reflection(
        pg_database: str, index_dir: Path, retriever: HybridRetriever) -> None:  # noqa: F811
    assert retriever.index.is_current()
    kill_mid_burst(serve_env(pg_database, index_dir), 16)


@pytest.mark.slow
def test_sigterm_with_a_backlog_longer_than_the_shutdown_timeout_hands_it_back(env: dict[str, str]) -> None:
    first_slack, release = held_slack()
    try:
        with Serve(**env, SLACK_API_URL=f"{first_slack.url}/api/") as first:
            threads, acked = burst(first.base, 30)
            for thread in threads:
                thread.join(60)
            first_slack.wait_for_sync(lambda calls: any(c.name == "chat.postMessage" for c in calls), timeout=120)
            assert first.terminate() == 0  # SHUTDOWN_TIMEOUT=1: the backlog cannot be answered in time
            handed = [r for r in first.log if "handed back" in str(r.get("msg"))]
        assert len(acked) == 30
        assert handed, "no hand-back logged"
    finally:
        release()
        first_slack.stop_thread()
    database = open_database(env["DATABASE_URL"])
    try:
        with database.session() as session:
            waiting = session.execute(sa.select(InboxItem.leased_by)).scalars().all()  # type: ignore[call-overload]
    finally:
        database.dispose()
    assert len(waiting) == 30 and "" in waiting  # handed back: no lease to wait out
    with FakeSlackAPI().threaded() as second_slack, Serve(**env, SLACK_API_URL=f"{second_slack.url}/api/"):
        check_every_acked_reflection(env["DATABASE_URL"], second_slack, acked)
