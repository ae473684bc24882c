"""Storage-backed handlers for the coach: reflections, progress, portfolio, data rights."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.coach import Handler
from bot.coaching.evidence import Scorer
from bot.coaching.reflections import Reflections
from bot.conversation.context import Memory
from bot.handlers.common import Services, guarded
from bot.handlers.data import DataRequests
from bot.handlers.entry_edits import EntryEdits
from bot.handlers.home import Home
from bot.handlers.navigation import Navigation
from bot.handlers.progress_replies import ProgressReplies
from bot.handlers.prompt_settings import People, PromptSettingsHandlers
from bot.handlers.reflect import Reflecting
from bot.handlers.review import Reviews
from bot.names import ActionId, IntentName
from bot.ports import Composer, Tagger
from bot.scheduler.settings import PromptSettings
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
    """Every storage-backed handler against the intent or action id it answers: the one place they are named."""
    reflecting, changes, progress = Reflecting(services), EntryEdits(services), ProgressReplies(services)
    data, reviews, navigation, home = DataRequests(services), Reviews(services), Navigation(services), Home(services)
    routes: dict[IntentName | ActionId, Handler] = {
        IntentName.REFLECT: reflecting.reflect,
        ActionId.REFLECT_SUBMIT: reflecting.submit,
        ActionId.REFLECT_SAVE: reflecting.save_previewed,
        IntentName.TAG_PREVIEW: reflecting.preview,
        ActionId.TAG_CONFIRM: changes.confirm_tag,
        ActionId.TAG_ADD: changes.add_tag,
        ActionId.TAG_REMOVE: changes.remove_tag,
        IntentName.TAGS: changes.typed_tags,
        IntentName.REFLECT_EDIT: changes.correct,
        IntentName.PROGRESS: progress.progress,
        IntentName.PORTFOLIO: progress.portfolio,
        IntentName.EXPORT_DATA: data.export,
        IntentName.DELETE_DATA: data.delete,
        ActionId.DATA_DELETE_CONFIRM: data.confirm_delete,
        ActionId.FEEDBACK: data.feedback,
        IntentName.REVIEW_PACK: reviews.own_pack,
        IntentName.REVIEW_FOR: reviews.pack_for_named,
        ActionId.REVIEW_PACK_FOR: reviews.pack_for_button,
        IntentName.REVIEW_RECORD: reviews.record,
        IntentName.MY_TEAM: reviews.my_team,
        IntentName.LOG: navigation.log,
        IntentName.NEXT_STEPS: navigation.next_steps,
        ActionId.HOME: home.home,
    }
    return {key: guarded(handler) for key, handler in routes.items()}


def prompt_handlers(people: People, settings: PromptSettings) -> dict[str, Handler]:
    """PROMPT_SETTINGS, PROMPT_SNOOZE and PROMPT_SKIP, for `Coach.add_handlers`: apart from `handlers_for`
    because they need the scheduler's settings service and only a directory of people."""
    handlers = PromptSettingsHandlers(people, settings)
    routes: dict[IntentName | ActionId, Handler] = {
        IntentName.PROMPT_SETTINGS: handlers.change,
        ActionId.PROMPT_SNOOZE: handlers.snooze,
        ActionId.PROMPT_SKIP: handlers.skip,
    }
    return {key: guarded(handler) for key, handler in routes.items()}


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


__all__ = ["Services", "handlers_for", "make_services", "prompt_handlers", "storage_handlers"]
