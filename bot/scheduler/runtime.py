"""Build the scheduler from settings, and run it inside the web server's lifetime.

`serve` runs the loop in-process unless SCHEDULER=off; any number of replicas
may do so at once, because every send is claimed in the database first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import time, timedelta

from aiohttp import web

from bot.config import Settings
from bot.documents.review_service import ReviewService
from bot.ports import Composer, Sender
from bot.scheduler.clock import Clock, SystemClock
from bot.scheduler.due import WEEKDAYS, Defaults, Schedule
from bot.scheduler.senders import SendCounter
from bot.scheduler.tick import Scheduler, SchedulerConfig
from knowledge.registry import Knowledge
from storage.db import Database

log = logging.getLogger(__name__)


def defaults_from(settings: Settings) -> Defaults:
    return Defaults(
        prompt=Schedule(WEEKDAYS.index(settings.prompt_day), time.fromisoformat(settings.prompt_time)),
        nudge=Schedule(WEEKDAYS.index(settings.nudge_day), time.fromisoformat(settings.nudge_time)),
        timezone=settings.default_timezone)


def config_from(settings: Settings) -> SchedulerConfig:
    return SchedulerConfig(
        defaults=defaults_from(settings), lease=timedelta(seconds=settings.scheduler_lease),
        grace=timedelta(hours=settings.scheduler_grace_hours), batch=settings.scheduler_batch,
        concurrency=settings.scheduler_concurrency, max_attempts=settings.scheduler_max_attempts,
        keep_events=timedelta(days=settings.processed_event_days), send_rate=settings.scheduler_send_rate,
        reviews=settings.scheduler_reviews)


def make_scheduler(settings: Settings, *, database: Database, knowledge: Knowledge,
                   composer: Composer | None, sender: Sender, clock: Clock | None = None,
                   count_sent: SendCounter | None = None) -> Scheduler:
    packs = ReviewService(session_factory=database.session, knowledge=knowledge, composer=composer,
                          timeout=settings.llm_timeout)
    return Scheduler(sessions=database.session, knowledge=knowledge, composer=composer, sender=sender,
                     clock=clock or SystemClock(), config=config_from(settings), count_sent=count_sent,
                     packs=packs)


def scheduler_context(settings: Settings, *, database: Database, knowledge: Knowledge,
                      composer: Composer | None, sender: Sender, count_sent: SendCounter | None = None
                      ) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """An aiohttp cleanup context: the tick loop starts with the app and stops with it."""

    @contextlib.asynccontextmanager
    async def running(_app: web.Application) -> AsyncIterator[None]:
        scheduler = make_scheduler(settings, database=database, knowledge=knowledge,
                                   composer=composer, sender=sender, count_sent=count_sent)
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(interval=settings.scheduler_interval, stop=stop))
        log.warning("scheduler running every %ss", settings.scheduler_interval)
        try:
            yield
        finally:
            stop.set()
            await task
            await scheduler.sender.close()

    return running
