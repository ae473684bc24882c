"""Slack over loopback: ack latency under 50 concurrent connections, and event-to-answer time.

The real server (`build_app` + the Slack mount) runs on this process's loop;
the fake Slack Web API runs on its own thread; the load comes from a child
process, so the client's own work does not sit on the server's loop. Requests
are signed like Slack's. "Ack" is the HTTP response to the event; "answer" is
the moment the fake API receives the threaded chat.postMessage for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.child import run_in_child
from bench.stats import summary

SECRET = "bench-signing-secret-0123456789ab"
CONCURRENCY = 50
Job = tuple[str, bytes, dict[str, str]]  # (event ts, body, headers)
Result = tuple[str, float, float, int]  # (event ts, sent, acked, status)
_runs = itertools.count(1)


def signed_event(text: str, n: int, run: int) -> Job:
    ts = f"{1_700_000_000 + run * 100_000 + n}.000100"
    body = json.dumps({"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": f"Ev{run:02d}{n:06d}", "event_time": int(time.time()),
                       "event": {"type": "message", "channel": "D1", "channel_type": "im", "user": f"U{n % 40}",
                                 "text": text, "ts": ts, "event_ts": ts, "team": "T1"}}).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return ts, body, {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                      "X-Slack-Signature": f"v0={digest}"}


async def _fire(url: str, jobs: list[Job], concurrency: int) -> list[Result]:
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(job: Job) -> Result:
            ts, body, headers = job
            async with gate:
                sent = time.time()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    return ts, sent, time.time(), response.status

        return list(await asyncio.gather(*(one(job) for job in jobs)))


def fire(url: str, jobs: list[Job], concurrency: int) -> list[Result]:
    """Send `jobs` from a separate process, `concurrency` connections at a time."""
    results: list[Result] = run_in_child(_fire, url, jobs, concurrency)
    return results


def percentiles(values: list[float]) -> str:
    return summary(values, tail="p99", width=6)


def report(name: str, results: list[Result], posted: dict[str, float], elapsed: float, concurrency: int) -> None:
    acks = [(acked - sent) * 1000 for _, sent, acked, status in results if status == 200]
    answers = [(posted[ts] - sent) * 1000 for ts, sent, _, _ in results if ts in posted]
    failed = sum(1 for r in results if r[3] != 200)
    print(f"{name}: {len(results)} events, {concurrency} connection(s), {len(results) / elapsed:.0f} req/s, "
          f"{failed} non-200, {len(results) - len(answers)} unanswered")
    print(f"  ack:             {percentiles(acks)}")
    print(f"  event -> answer: {percentiles(answers)}")


def answers_at(fake: Any) -> dict[str, float]:
    return {str(c.params.get("thread_ts")): c.timestamp for c in fake.calls_to("chat.postMessage")}


async def one_at_a_time(name: str, url: str, texts: list[str], *, count: int, fake: Any, adapter: Any) -> None:
    """Each event is sent once the previous answer is out: the latency of one question on an idle server."""
    run = next(_runs)
    results: list[Result] = []
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for n in range(count):
            ts, body, headers = signed_event(texts[n % len(texts)], n, run)
            sent = time.time()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                results.append((ts, sent, time.time(), response.status))
            await adapter.drain(timeout=60)
    report(name, results, answers_at(fake), time.perf_counter() - start, 1)


async def burst(name: str, url: str, texts: list[str], *, count: int, fake: Any, adapter: Any) -> None:
    """`count` events from another process over CONCURRENCY connections, as fast as they are acked."""
    run = next(_runs)
    jobs = [signed_event(texts[n % len(texts)], n, run) for n in range(count)]
    start = time.perf_counter()
    results = await asyncio.to_thread(fire, url, jobs, CONCURRENCY)
    elapsed = time.perf_counter() - start
    await adapter.drain(timeout=600)
    report(name, results, answers_at(fake), elapsed, CONCURRENCY)


async def run_bench(data_dir: Path) -> None:
    from bench.eval_data import load_jsonl
    from bench.loopback import serving
    from bot.adapters.slack.app import ADAPTER_KEY, EVENTS_PATH, mount
    from tests.fakes import FakeSlackAPI

    fake = FakeSlackAPI().start_in_thread()
    async with serving(data_dir, mount=mount, adapter_key=ADAPTER_KEY, path=EVENTS_PATH, fake=fake,
                       slack_bot_token="xoxb-1-bench-bot-token", slack_signing_secret=SECRET,
                       slack_api_url=f"{fake.url}/api/") as served:
        url, adapter, retriever = served.url, served.adapter, served.retriever
        lookups = [f"what counts for {k.id}?" for k in retriever.standard.ksbs]
        free_text = [q["text"] for q in load_jsonl("dev_questions.jsonl")]
        print("== slack: loopback, signed requests, fake Web API, grounded composer ==")
        common: dict[str, Any] = {"fake": fake, "adapter": adapter}
        await one_at_a_time("warm-up", url, lookups[:3] + free_text[:3], count=6, **common)
        await one_at_a_time("KSB-id questions, one at a time", url, lookups, count=100, **common)
        await one_at_a_time("free-text questions, one at a time", url, free_text, count=len(free_text), **common)
        await burst("KSB-id questions, burst", url, lookups, count=1000, **common)
        await burst("free-text questions, burst", url, free_text, count=100, **common)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ksb-slack-bench-") as tmp:
        asyncio.run(run_bench(Path(tmp)))


if __name__ == "__main__":
    main()
