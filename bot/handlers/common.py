"""What every storage-backed handler shares: the services, who is talking, and failure replies."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import SQLAlchemyError

from bot.coach import Handler
from bot.coaching.authz import Actor, Forbidden
from bot.coaching.data_rights import DataRights
from bot.coaching.directory import Directory
from bot.coaching.entry_changes import EntryChanges
from bot.coaching.evidence import Scorer
from bot.coaching.manager_team import TeamService
from bot.coaching.progress import ProgressService
from bot.coaching.reflections import Reflections
from bot.conversation.context import Memory
from bot.documents.portfolio_service import PortfolioService
from bot.documents.review_service import ReviewService
from bot.grounding import citations
from bot.intents import Intent
from bot.messages import Citation, Incoming, Reply, UserRef
from bot.names import IntentName
from bot.ports import Composer
from bot.ui_text import ui
from knowledge.registry import Knowledge
from storage.db import SessionFactory

log = logging.getLogger(__name__)


@dataclass
class Services:
    sessions: SessionFactory
    knowledge: Knowledge
    reflections: Reflections
    composer: Composer
    scorer: Scorer | None = None
    today: Callable[[], date] = date.today
    evidence_timeout: float = 8.0
    working_day: float = 7.0  # hours in "a full day" / "half a day" read from a reflection
    memory: Memory | None = None  # the conversation's context: which entry "that one" is
    changes: EntryChanges = field(init=False)
    progress: ProgressService = field(init=False)
    portfolio: PortfolioService = field(init=False)
    reviews: ReviewService = field(init=False)
    team: TeamService = field(init=False)
    data_rights: DataRights = field(init=False)
    directory: Directory = field(init=False)

    def __post_init__(self) -> None:
        self.changes = EntryChanges(session_factory=self.sessions, standard=self.knowledge.standard)
        self.progress = ProgressService(session_factory=self.sessions, knowledge=self.knowledge)
        self.portfolio = PortfolioService(session_factory=self.sessions, knowledge=self.knowledge)
        self.reviews = ReviewService(session_factory=self.sessions, knowledge=self.knowledge,
                                     composer=self.composer, scorer=self.scorer,
                                     timeout=self.evidence_timeout)
        self.team = TeamService(session_factory=self.sessions, knowledge=self.knowledge)
        self.data_rights = DataRights(session_factory=self.sessions)
        self.directory = Directory(sessions=self.sessions, standard_ref=self.knowledge.standard.reference,
                                   today=self.today)

    async def entry_talked_about(self, incoming: Incoming, actor: Actor) -> int | None:
        """The entry this conversation last dealt with, else the person's latest: what "that one" means."""
        if self.memory is not None:
            context = await self.memory.load(incoming.user, incoming.conversation_id)
            if context.entry_id is not None:
                return context.entry_id
        return await self.changes.latest(actor=actor)

    async def actor(self, user: UserRef) -> Actor:
        return await self.directory.actor(user)

    async def existing_actor(self, user: UserRef) -> Actor | None:
        return await self.directory.existing_actor(user)

    def citations(self, ids: list[str]) -> list[Citation]:
        return citations(self.knowledge.standard, ids)


def user_text(incoming: Incoming, intent: Intent) -> str:
    return intent.text or str(incoming.payload.get("text", "")) or incoming.text


def guarded(handler: Handler) -> Handler:
    """Turn storage outages and refused access into friendly replies that keep the user's text."""

    @functools.wraps(handler)
    async def wrapper(incoming: Incoming, intent: Intent) -> Reply:
        try:
            return await handler(incoming, intent)
        except Forbidden as exc:
            return Reply(text=ui("forbidden", reason=str(exc)), intent=IntentName.FORBIDDEN)
        except SQLAlchemyError:
            log.exception("database failure in %s", getattr(handler, "__name__", "handler"))
            return Reply(text=ui("db_unavailable", text=user_text(incoming, intent)),
                         intent=IntentName.ERROR, metadata={"error": "database"})

    return wrapper

