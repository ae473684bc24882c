"""Helpers shared by the scheduler tests (people, a no-wait sleep, a take-over, a scripted composer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select

from bot.adapters.slack.sender import SlackSender
from bot.ports import Composer, Composition
from bot.scheduler.clock import FixedClock
from bot.scheduler.due import PROMPT
from bot.scheduler.senders import RoutingSender, SendCounter
from bot.scheduler.tick import Scheduler, SchedulerConfig
from bot.search.retrieval import Retrieval
from knowledge.registry import Knowledge
from storage import people
from storage import schedule as claims
from storage.db import SessionFactory
from storage.models import PromptSetting, ScheduledSend
from storage.schedule import Claim, save_setting
from tests.fakes.slack_api import FakeSlackAPI

TOKEN = "xoxb-schedule-tests"
START = date(2025, 9, 1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def add_person(sessions: SessionFactory, user_id: str, *, tz: str = "Europe/London",
               role: str = "apprentice", name: str = "", platform: str = "slack",
               weekday: int | None = None, at: time | None = None,
               enabled: bool = True) -> int:
    """An enrolled person; a prompt setting only when a day or time is given."""
    with sessions() as session:
        person = people.ensure_person(session, platform=platform, workspace_id="T1",
                                      user_id=user_id, display_name=name or user_id,
                                      timezone=tz, standard_ref="ST1398", today=START)
        assert person.id is not None
        if role != "apprentice":
            people.set_role(session, person_id=person.id, role=role)
        if weekday is not None or at is not None or not enabled:
            save_setting(session, person_id=person.id, weekday=4 if weekday is None else weekday,
                         local_time=at or time(15), enabled=enabled, snoozed_until=None,
                         last_ksb_id=None)
        session.commit()
        return person.id


def link(sessions: SessionFactory, manager_id: int, apprentice_ids: Sequence[int]) -> None:
    with sessions() as session:
        for apprentice_id in apprentice_ids:
            people.link(session, manager_id=manager_id, apprentice_id=apprentice_id)
        session.commit()


def setting(sessions: SessionFactory, person_id: int) -> PromptSetting | None:
    with sessions() as session:
        return session.get(PromptSetting, person_id)


class NoWait:
    """Records the waits a rate-limit retry asks for instead of sleeping through them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class TakeOverWhileWaiting(NoWait):
    """A sleep during which another replica takes over every unsent claim (as after a lapsed lease)."""

    def __init__(self, sessions: SessionFactory, clock: FixedClock) -> None:
        super().__init__()
        self.sessions = sessions
        self.clock = clock
        self.taken: list[Claim] = []

    async def __call__(self, seconds: float) -> None:
        await super().__call__(seconds)
        with self.sessions() as session:
            keys = [(row.person_id, row.week) for row in session.exec(select(ScheduledSend)) if row.sent_at is None]
            now = self.clock.now()
            self.taken += claims.claim(session, kind=PROMPT, keys=keys, now=now,
                                       lease_cutoff=now + timedelta(hours=1), max_attempts=5)


def slack_scheduler(sessions: SessionFactory, knowledge: Knowledge, fake: FakeSlackAPI,
                    clock: FixedClock, *, composer: Composer | None = None,
                    config: SchedulerConfig | None = None,
                    sleep: NoWait | None = None, count_sent: SendCounter | None = None) -> Scheduler:
    sender = RoutingSender({"slack": SlackSender(token=TOKEN, base_url=fake.url + "/api/",
                                                 sleep=sleep or NoWait())})
    return Scheduler(sessions=sessions, knowledge=knowledge, sender=sender, clock=clock,
                     composer=composer, config=config, count_sent=count_sent)


def posts_by_user(fake: FakeSlackAPI) -> dict[str, int]:
    """Messages posted per DM'd user: the DM channel id is derived from the user id."""
    opened = {c.params["users"] for c in fake.calls_to("conversations.open")}
    channels = {user: fake_channel(fake, user) for user in opened}
    counts = dict.fromkeys(opened, 0)
    for call in fake.calls_to("chat.postMessage"):
        for user, channel in channels.items():
            if call.params.get("channel") == channel:
                counts[user] += 1
    return counts


def fake_channel(fake: FakeSlackAPI, user_id: str) -> str:
    import hashlib

    return "D" + hashlib.sha1(user_id.encode()).hexdigest()[:8].upper()


class ScriptedComposer:
    """A real Composer whose completions are scripted; records what it was asked."""

    def __init__(self, answers: Sequence[str | None]) -> None:
        self.answers = list(answers)
        self.history: list[tuple[str, str]] = []

    async def answer(self, *, question: str, retrieval: Retrieval, knowledge: Knowledge
                     ) -> Composition:
        raise AssertionError("the scheduler never answers questions")

    async def complete(self, *, system: str, user: str) -> str | None:
        self.history.append((system, user))
        return self.answers.pop(0) if self.answers else None
