"""Load: simulated Slack users against a real `ksb-coach serve` process, over loopback.

Each user sends a signed Events API message to /slack/events, waits for the
server's answer to reach the fake Slack Web API (chat.postMessage in the
message's thread), then sends the next. Figures: throughput, ack and answer
latency percentiles, errors, and the server's peak RSS (VmHWM). The database
is a scratch database on the local PostgreSQL (SQLite when none answers); the
composer is the grounded one. Printed, never asserted.

    python -m bench.load_test [--seconds 60] [--users 200]   (or LOAD_SECONDS / LOAD_USERS)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from bench.stats import percentile
from tests.fakes.slack_api import FakeSlackAPI

SECRET = "bench-signing-secret-0123456789"
TOKEN = "xoxb-bench-0000-loadtest"
ANSWER_TIMEOUT = 60.0
SLACK_ACK_DEADLINE = 3.0


def messages() -> list[tuple[str, str]]:
    """The development questions and reflections (about 3:1), plus a few progress and help requests."""
    from bench.eval_data import load_jsonl

    questions = [("question", q["text"]) for q in load_jsonl("dev_questions.jsonl")]
    reflections = [("reflection", "reflect: " + r["text"]) for r in load_jsonl("dev_reflections.jsonl")]
    extras = [("progress", "how am I doing?"), ("help", "help")]
    return questions * 7 + reflections * 3 + extras * (len(questions) // 4)


class TimedSlackAPI(FakeSlackAPI):
    """The fake Slack API, noting when each thread's first answer arrives (and not recording calls)."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.waiters: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[float]]] = {}

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request)  # 200 users for a minute: keeping every call would cost memory

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        arrived = time.perf_counter()
        waiter = self.waiters.pop(str(params.get("thread_ts") or ""), None)
        if waiter is not None:
            loop, future = waiter
            loop.call_soon_threadsafe(_resolve, future, arrived)
        return super()._post_message(params)


class ServerProcess:
    """`ksb-coach serve` as its own process on a free port; SIGTERM on exit, exit code kept."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, "HOST": "127.0.0.1", "SCHEDULER": "false", "LOG_FORMAT": "json",
                    "LOG_LEVEL": "INFO", "OPENAI_API_KEY": "", "OPENAI_BASE_URL": "", **env}
        self.log = tempfile.NamedTemporaryFile("w+", prefix="ksb-load-", suffix=".log")
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.exit_code: int | None = None
        self.command = [sys.executable, "-m", "bot.cli", "serve", "--port", "0"]

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(self.command, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600  # a first start may have to embed the index
        while time.monotonic() < deadline and self.process.poll() is None:
            for text in Path(self.log.name).read_text("utf-8", "replace").splitlines():
                if '"listening' in text or "listening on" in text:
                    self.url = f"http://127.0.0.1:{json.loads(text)['port']}"
                    return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"server did not start; see {self.log.name}")

    def memory(self) -> tuple[int, int]:
        """(VmHWM, VmRSS) in kB: the peak and current resident memory of the server process."""
        assert self.process is not None
        fields = dict(line.split(":", 1) for line in
                      Path(f"/proc/{self.process.pid}/status").read_text().splitlines() if ":" in line)
        return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])

    async def metrics(self) -> dict[str, float]:
        async with aiohttp.ClientSession() as http, http.get(self.url + "/metrics") as response:
            text = await response.text()
        totals: dict[str, float] = {}
        for row in text.splitlines():
            name, _, value = row.rpartition(" ")
            for key, prefix in (("5xx", 'ksb_requests_total{outcome="5xx"'), ("errors", "ksb_errors_total"),
                                ("answers", "ksb_answers_total"), ("reflections", "ksb_reflections_saved_total")):
                if name.startswith(prefix):
                    totals[key] = totals.get(key, 0.0) + float(value)
        return totals

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.exit_code = self.process.wait()
        self.log.close()


@contextmanager
def scratch_database() -> Iterator[tuple[str, str]]:
    """A fresh database on the local PostgreSQL, dropped afterwards; a SQLite file when none answers."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = os.environ.get("KSB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"ksb_load_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(server, connect_timeout=3, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/load.db", "SQLite (no PostgreSQL reachable)"
        return
    url = make_url(server).set(database=name)
    try:
        yield url.render_as_string(hide_password=False), f"PostgreSQL {url.host}:{url.port} (scratch db)"
    finally:
        with psycopg.connect(server, connect_timeout=3, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _resolve(future: asyncio.Future[float], arrived: float) -> None:
    if not future.done():
        future.set_result(arrived)


@dataclass
class Results:
    acks: list[float] = field(default_factory=list)
    answers: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)


def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/json"}


async def user(n: int, *, url: str, fake: TimedSlackAPI, http: aiohttp.ClientSession,
               deadline: float, results: Results, mix: list[tuple[str, str]]) -> None:
    rng = random.Random(n)
    seq = 0
    loop = asyncio.get_running_loop()
    while time.perf_counter() < deadline:
        seq += 1
        kind, text = rng.choice(mix)
        ts = f"{1_700_000_000 + n}.{seq:06d}"
        event = {"type": "message", "channel": f"D{n:05d}", "channel_type": "im", "user": f"U{n:05d}",
                 "text": text, "ts": ts, "event_ts": ts, "team": "T1"}
        body = json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1",
                           "type": "event_callback", "event_id": f"Ev{n:05d}x{seq:06d}",
                           "event_time": int(time.time()), "event": event})
        answered: asyncio.Future[float] = loop.create_future()
        fake.waiters[ts] = (loop, answered)
        start = time.perf_counter()
        try:
            async with http.post(url, data=body, headers=signed(body)) as response:
                await response.read()
            results.acks.append(time.perf_counter() - start)
            if response.status != 200:
                results.errors[f"ack HTTP {response.status}"] += 1
                continue
            arrived = await asyncio.wait_for(answered, ANSWER_TIMEOUT)
            results.answers.setdefault(kind, []).append(arrived - start)
        except aiohttp.ClientError as exc:
            results.errors[f"ack {type(exc).__name__}"] += 1
        except TimeoutError:
            results.errors["no answer"] += 1
        finally:
            fake.waiters.pop(ts, None)


def line(name: str, values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"{name:<22} n={len(ms):<6} p50={percentile(ms, .5):7.1f} ms  p95={percentile(ms, .95):7.1f} ms  "
            f"p99={percentile(ms, .99):7.1f} ms  max={max(ms, default=float('nan')):7.1f} ms")


async def drive(*, seconds: float, users: int, server: ServerProcess, fake: TimedSlackAPI) -> Results:
    results = Results()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(30)) as http:
        url = server.url + "/slack/events"
        deadline = time.perf_counter() + seconds
        mix = messages()
        await asyncio.gather(*(user(n, url=url, fake=fake, http=http, deadline=deadline, results=results,
                                    mix=mix) for n in range(users)))
    return results


def report(results: Results, *, seconds: float, elapsed: float, users: int,
           server: ServerProcess, database: str, metrics: dict[str, float]) -> None:
    answers = [v for values in results.answers.values() for v in values]
    print(f"== load: {users} simulated Slack users, {seconds:g} s, grounded composer, {database} ==")
    print(f"events acked           {len(results.acks)}  ({len(results.acks) / elapsed:.1f}/s over "
          f"{elapsed:.0f} s, the last answers included)")
    print(f"answers posted         {len(answers)}  ({len(answers) / elapsed:.1f}/s)")
    print(line("ack latency", results.acks))
    late = sum(1 for a in results.acks if a > SLACK_ACK_DEADLINE)
    print(f"acks over Slack's {SLACK_ACK_DEADLINE:g} s   {late}  (Slack would retry these)")
    print(line("answer latency (all)", answers))
    for kind, values in sorted(results.answers.items()):
        print(line(f"  {kind}", values))
    errors = dict(results.errors) or "none"
    print(f"errors (client side)   {errors}")
    print(f"server: 5xx={metrics.get('5xx', 0):.0f}  ksb_errors_total={metrics.get('errors', 0):.0f}  "
          f"answers={metrics.get('answers', 0):.0f}  reflections saved={metrics.get('reflections', 0):.0f}")
    hwm, rss = server.memory()
    print(f"server peak RSS (VmHWM) {hwm / 1024:.0f} MB  (VmRSS now {rss / 1024:.0f} MB; aim < 500 MB)")


async def run(*, seconds: float, users: int) -> int:
    fake = TimedSlackAPI()
    fake.start_in_thread()
    try:
        with scratch_database() as (database_url, label):
            env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                   "SLACK_API_URL": fake.url + "/api/", "DATABASE_URL": database_url}
            with ServerProcess(env) as server:
                start = time.perf_counter()
                results = await drive(seconds=seconds, users=users, server=server, fake=fake)
                elapsed = time.perf_counter() - start
                metrics = await server.metrics()
                report(results, seconds=seconds, elapsed=elapsed, users=users, server=server,
                       database=label, metrics=metrics)
            print(f"server exit after SIGTERM: {server.exit_code}")
    finally:
        fake.stop_thread()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("LOAD_SECONDS", "60")))
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", "200")))
    args = parser.parse_args(list(argv) if argv is not None else [])
    return asyncio.run(run(seconds=args.seconds, users=args.users))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
