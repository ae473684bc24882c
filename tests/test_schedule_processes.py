"""`ksb-coach schedule tick` in real processes: two at once on one database send each prompt once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from aiohttp import web

from bench.demo_data import DemoSpec, generate
from knowledge.registry import Knowledge
from storage.db import Database
from storage.models import Person
from tests.fakes.slack_api import FakeSlackAPI
from tests.test_schedule_support import TOKEN, posts_by_user

FRIDAY_NIGHT = "2025-10-24T23:30:00Z"  # every zone's Friday 15:00 has passed within 24 hours


class SlowSlackAPI(FakeSlackAPI):
    """Slack with some latency, so two ticks overlap rather than run one after the other."""

    async def _api(self, request: web.Request) -> web.Response:
        await asyncio.sleep(0.01)
        return await super()._api(request)


def _env(database: Database, fake: FakeSlackAPI, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "SLACK_", "MICROSOFT_", "DATABASE_", "SCHEDULER"))}
    env.update(DATABASE_URL=database.url, SLACK_BOT_TOKEN=TOKEN,
               SLACK_SIGNING_SECRET="signing-secret-for-tests", SLACK_API_URL=fake.url + "/api/",
               DATA_DIR=str(data_dir), SCHEDULER_CONCURRENCY="4", SCHEDULER_BATCH="25",
               SCHEDULER_REVIEWS="false")  # prompts only: review reminders have their own test
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


@pytest.mark.slow
def test_two_processes_send_each_prompt_once(database: Database, knowledge: Knowledge,
                                             tmp_path: Path) -> None:
    result = generate(database.session, knowledge,
                      DemoSpec(apprentices=150, managers=0, seed=3, today=date(2025, 10, 24)))
    with database.session() as session:
        users = [session.get(Person, pid).user_id  # type: ignore[union-attr]
                 for pid in result.apprentice_ids]
    with SlowSlackAPI(token=TOKEN).threaded() as fake:
        env = _env(database, fake, tmp_path)
        ticks = [subprocess.Popen(_cli("schedule", "tick", "--now", FRIDAY_NIGHT), env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outputs = [tick.communicate(timeout=180) for tick in ticks]
        counts = posts_by_user(fake)
    assert [t.returncode for t in ticks] == [0, 0], [err for _, err in outputs]
    sent = [int(out.split("prompts: ")[1].split(" sent")[0].rsplit(" ", 1)[1])
            for out, _ in outputs]
    assert sum(sent) == 150, outputs
    assert counts == dict.fromkeys(users, 1)


def test_demo_data_tick_and_preview_from_the_shell(database: Database, tmp_path: Path) -> None:
    with FakeSlackAPI(token=TOKEN).threaded() as fake:
        env = _env(database, fake, tmp_path)
        demo = subprocess.run([sys.executable, "-m", "bench.demo_data", "--apprentices", "12", "--managers", "2",
                               "--seed", "5", "--today", "2025-10-24"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert demo.returncode == 0, demo.stderr
        assert "created 12 apprentices, 2 managers" in demo.stdout
        with database.session() as session:
            manager = session.get(Person, 13)
            assert manager is not None and manager.role == "manager"
        preview = subprocess.run(_cli("schedule", "preview", str(manager.id), "--now",
                                      "2025-10-27T12:00:00Z", "--png",
                                      str(tmp_path / "grid.png")),
                                 env=env, capture_output=True, text=True, timeout=120)
        assert preview.returncode == 0, preview.stderr
        assert "== nudge for" in preview.stdout and "Conversation starters" in preview.stdout
        assert (tmp_path / "grid.png").read_bytes().startswith(b"\x89PNG")
        assert fake.calls == []  # previews send nothing
        tick = subprocess.run(_cli("schedule", "tick", "--now", "2025-10-27T23:30:00Z"),
                              env=env, capture_output=True, text=True, timeout=120)
        assert tick.returncode == 0, tick.stderr
        assert "nudges: 2 due, 2 claimed, 2 sent, 0 failed" in tick.stdout
        assert len(fake.calls_to("files.completeUploadExternal")) == 2


def test_tick_refuses_a_bad_now(database: Database, tmp_path: Path) -> None:
    with FakeSlackAPI(token=TOKEN).threaded() as fake:
        bad = subprocess.run(_cli("schedule", "tick", "--now", "next friday"),
                             env=_env(database, fake, tmp_path), capture_output=True, text=True,
                             timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
