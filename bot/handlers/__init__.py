"""Storage-backed handlers for the coach: reflections, progress, portfolio, data rights."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.coach import Handler
from bot.coaching.evidence import Scorer
from bot.coaching.reflections import Reflections
from bot.conversation.context import Memory
from bot.handlers.common import Services
from bot.handlers.data import data_handlers
from bot.handlers.entry_changes import entry_change_handlers
from bot.handlers.home import home_handlers
from bot.handlers.navigation import navigation_handlers
from bot.handlers.progress import progress_handlers
from bot.handlers.reflect import reflect_handlers
from bot.handlers.review import review_handlers
from bot.ports import Composer, Tagger
from bot.work_pool import WorkPool
from knowledge.registry import Knowledge
from storage.db import SessionFactory


def make_services(*, session_factory: SessionFactory, knowledge: Knowledge, tagger: Tagger,
                  composer: Composer, scorer: Scorer | None = None, tagging_timeout: float = 5.0,
                  evidence_timeout: float = 8.0,
                  today: Callable[[], date] = date.today, working_day: float = 7.0,
                  memory: Memory | None = None, pool: WorkPool | None = None) -> Services:
    reflections = Reflections(session_factory=session_factory, knowledge=knowledge, tagger=tagger,
                              timeout=tagging_timeout, pool=pool)
    return Services(sessions=session_factory, knowledge=knowledge, reflections=reflections,
                    composer=composer, scorer=scorer, today=today,
                    evidence_timeout=evidence_timeout, working_day=working_day, memory=memory)


def handlers_for(services: Services) -> dict[str, Handler]:
    return {**reflect_handlers(services), **entry_change_handlers(services), **progress_handlers(services),
            **data_handlers(services), **review_handlers(services), **navigation_handlers(services),
            **home_handlers(services)}


def storage_handlers(*, session_factory: SessionFactory, knowledge: Knowledge, tagger: Tagger,
                     composer: Composer, scorer: Scorer | None = None,
                     tagging_timeout: float = 5.0, evidence_timeout: float = 8.0,
                     today: Callable[[], date] = date.today,
                     working_day: float = 7.0, memory: Memory | None = None,
                     pool: WorkPool | None = None) -> dict[str, Handler]:
    """Handlers keyed by intent name or action id, for `Coach(handlers=...)`."""
    return handlers_for(make_services(
        session_factory=session_factory, knowledge=knowledge, tagger=tagger, composer=composer,
        scorer=scorer, tagging_timeout=tagging_timeout, evidence_timeout=evidence_timeout,
        today=today, working_day=working_day, memory=memory, pool=pool))


__all__ = ["Services", "handlers_for", "make_services", "storage_handlers"]
