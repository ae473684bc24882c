"""The scheduler inside the web app's lifetime, the coach's settings handlers, SCHEDULER=off."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.names import ActionId, IntentName
from bot.scheduler.runtime import config_from, scheduler_context
from bot.wiring import make_sender, prompt_settings_handlers
from knowledge.registry import Knowledge
from storage.db import Database
from storage.schedule import save_setting
from tests.conftest import make_settings
from tests.fakes.slack_api import FakeSlackAPI
from tests.test_schedule_support import TOKEN, add_person


async def test_the_loop_sends_once_while_the_app_runs(database: Database, knowledge: Knowledge,
                                                      tmp_path: Path) -> None:
    pid = add_person(database.session, "U1", tz="UTC")
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    with database.session() as session:
        save_setting(session, person_id=pid, weekday=a_minute_ago.weekday(),
                     local_time=a_minute_ago.time().replace(microsecond=0), enabled=True,
                     snoozed_until=None, last_ksb_id=None)
        session.commit()
    async with FakeSlackAPI(token=TOKEN) as fake:
        settings = make_settings(tmp_path, database_url=database.url, slack_bot_token=TOKEN,
                                 slack_signing_secret="signing-secret-for-tests",
                                 slack_api_url=fake.url + "/api/", scheduler_interval=0.05,
                                 scheduler_reviews=False)  # the prompt only
        app = web.Application()
        app.cleanup_ctx.append(scheduler_context(settings, database=database, knowledge=knowledge, composer=None,
                                                 sender=make_sender(settings, database=database)))
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            await fake.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
            await asyncio.sleep(0.3)  # several more ticks
        finally:
            await runner.cleanup()
        assert len(fake.calls_to("chat.postMessage")) == 1


def test_settings_handlers_are_offered_to_the_coach(database: Database, knowledge: Knowledge,
                                                    tmp_path: Path) -> None:
    handlers = prompt_settings_handlers(make_settings(tmp_path), sessions=database.session,
                                        knowledge=knowledge)
    assert set(handlers) == {IntentName.PROMPT_SETTINGS, ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP}


def test_scheduler_settings(tmp_path: Path) -> None:
    assert make_settings(tmp_path, scheduler="off").scheduler is False
    config = config_from(make_settings(tmp_path, prompt_day="thursday", prompt_time="16:30",
                                       nudge_day="tuesday", default_timezone="Asia/Tokyo",
                                       scheduler_lease=120))
    assert (config.defaults.prompt.weekday, config.defaults.prompt.at.isoformat()) == (3, "16:30:00")
    assert config.defaults.nudge.weekday == 1 and config.defaults.timezone == "Asia/Tokyo"
    assert config.lease == timedelta(minutes=2)
