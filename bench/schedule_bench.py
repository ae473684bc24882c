"""One scheduler tick for 10,000 apprentices and 500 managers, on PostgreSQL, against the fake Slack API.

The tick is the real command (`ksb-coach schedule tick --now ...`) in its own
process, as cron or a replica would run it; the fake Slack API runs here and
counts what arrives. Printed: the tick's wall time, sends per second, and the
proof that every apprentice got exactly one prompt and every manager exactly
one nudge (with one coverage picture); a second tick straight after must
send nothing. People are spread over 15 time zones; prompts are Friday 15:00
and nudges Friday 14:00 local, so one tick late on Friday (UTC) finds every
one of them due. PostgreSQL comes from BENCH_POSTGRES_URL, else
KSB_TEST_POSTGRES_URL, else postgresql://postgres@127.0.0.1:5432/test; the
bench works in a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date
from datetime import time as clock_time
from pathlib import Path
from urllib.parse import quote

import psycopg
from sqlmodel import select

from bench.demo_data import DemoSpec, generate
from bot.adapters.slack.sender import SlackSender
from bot.config import Settings
from bot.ports import Address
from bot.scheduler.due import Defaults, Schedule
from bot.scheduler.weekly_prompts import weekly_prompt
from bot.wiring import load_knowledge
from storage.db import open_database
from storage.models import Person
from tests.fakes.slack_api import FakeSlackAPI
from tests.test_schedule_support import fake_channel

APPRENTICES = 10_000
MANAGERS = 500
TOKEN = "xoxb-bench"
TICK_AT = "2025-10-24T22:30:00Z"
DEFAULTS = Defaults(prompt=Schedule(4, clock_time(15)), nudge=Schedule(4, clock_time(14)))
ROOT = Path(__file__).resolve().parent.parent


def _base_url() -> str:
    return (os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("KSB_TEST_POSTGRES_URL")
            or "postgresql://postgres@127.0.0.1:5432/test")


def _tick(url: str, fake: FakeSlackAPI, concurrency: int) -> tuple[str, float, float]:
    """Run one `schedule tick`; (its report, process wall time, the tick's own time)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "SLACK_", "MICROSOFT_", "SCHEDULER", "PROMPT_",
                                "NUDGE_"))}
    env.update(DATABASE_URL=url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="bench-signing-secret",
               SLACK_API_URL=fake.url + "/api/", PROMPT_DAY="friday", PROMPT_TIME="15:00",
               NUDGE_DAY="friday", NUDGE_TIME="14:00", SCHEDULER_CONCURRENCY=str(concurrency),
               SCHEDULER_SEND_RATE="0",  # the tick's own speed; the shared budget is bench.scale's
               LOG_LEVEL="WARNING")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot.cli", "schedule", "tick", "--now", TICK_AT],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600,
                          check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"tick failed ({done.returncode}): {done.stderr[-2000:]}")
    took = re.search(r"took ([\d.]+)s", done.stdout)
    return done.stdout, wall, float(took.group(1)) if took else wall


def _ceiling(fake: FakeSlackAPI, concurrency: int, count: int = 1000) -> float:
    """Prompt-shaped sends per second the fake itself can take, with no database or scheduler:
    the bound the tick is measured against (the fake records every call in Python)."""
    knowledge = load_knowledge(Settings())
    ksb = knowledge.standard.ksb("K2")
    assert ksb is not None
    reply = weekly_prompt(knowledge=knowledge, ksb=ksb, name="Calibration", week="2000-W01")

    async def run() -> float:
        sender = SlackSender(token=TOKEN, base_url=fake.url + "/api/", connections=concurrency)
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> bool:
            async with gate:
                return await sender.send(to=Address(-i, "slack", "T1", f"UCAL{i}"), reply=reply)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        took = time.perf_counter() - started
        await sender.close()
        return count / took

    rate = asyncio.run(run())
    fake.clear()
    return rate


def _sent(report: str, kind: str) -> int:
    match = re.search(rf"{kind}s: \d+ due, \d+ claimed, (\d+) sent", report)
    return int(match.group(1)) if match else 0


def _proof(fake: FakeSlackAPI, apprentices: set[str], managers: set[str]) -> list[str]:
    opened = Counter(str(c.params["users"]) for c in fake.calls_to("conversations.open"))
    posts = Counter(str(c.params.get("channel")) for c in fake.calls_to("chat.postMessage"))
    pictures = Counter(str(c.params.get("channel_id"))
                       for c in fake.calls_to("files.completeUploadExternal"))
    prompts = Counter(posts[fake_channel(fake, u)] for u in apprentices)
    nudges = Counter(pictures[fake_channel(fake, u)] for u in managers)
    other_prompts = {k: v for k, v in prompts.items() if k != 1} or "none"
    other_nudges = {k: v for k, v in nudges.items() if k != 1} or "none"
    return [
        f"apprentices with exactly 1 prompt: {prompts[1]:,} of {len(apprentices):,} "
        f"(any other count: {other_prompts})",
        f"managers with exactly 1 nudge and 1 picture: {nudges[1]:,} of {len(managers):,} "
        f"(any other count: {other_nudges})",
        f"DMs opened more than once: {sum(1 for n in opened.values() if n > 1)}",
    ]


def main(apprentices: int = APPRENTICES, managers: int = MANAGERS, concurrency: int = 32) -> None:
    base = _base_url()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    try:
        with open_database(url) as database:
            started = time.perf_counter()
            demo = generate(database.session, load_knowledge(Settings()),
                            DemoSpec(apprentices=apprentices, managers=managers, seed=42,
                                     today=date(2025, 10, 24)), DEFAULTS)
            seeded = time.perf_counter() - started
            with database.session() as session:
                users = {p.id: p.user_id for p in session.exec(select(Person))}
        with FakeSlackAPI(token=TOKEN).threaded() as fake:
            ceiling = _ceiling(fake, concurrency)
            report, wall, took = _tick(url, fake, concurrency)
            calls = len(fake.calls)
            again, _, _ = _tick(url, fake, concurrency)
            calls_again = len(fake.calls) - calls
            proof = _proof(fake, {users[i] for i in demo.apprentice_ids},
                           {users[i] for i in demo.manager_ids})
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    sends = _sent(report, "prompt") + _sent(report, "nudge")
    print(f"== schedule tick: {apprentices:,} apprentices, {managers:,} managers, PostgreSQL, "
          f"fake Slack API ==")
    print(f"demo data: {apprentices + managers:,} people, {demo.entries:,} entries, "
          f"{demo.tags:,} tags inserted in {seeded:.1f}s")
    for line in report.strip().splitlines():
        print(f"  {line}")
    print(f"tick: {took:.1f}s inside the process ({wall:.1f}s with process start-up)")
    print(f"sends per second: {sends / took:,.0f}  ({calls:,} Slack API calls, "
          f"concurrency {concurrency}; the fake alone takes about {ceiling:,.0f} prompt sends/s)")
    second = _sent(again, "prompt") + _sent(again, "nudge")
    print(f"second tick straight after: {second} sent, {calls_again} Slack API calls")
    for line in proof:
        print(line)


if __name__ == "__main__":
    main()
