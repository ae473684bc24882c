"""Prompt settings in chat ("prompts friday 4pm"), the App Home's settings view, Snooze and Skip."""

from __future__ import annotations

from datetime import date, time

from bot.coach import Coach
from bot.coaching.directory import Directory
from bot.handlers import prompt_handlers
from bot.messages import Incoming, UserRef
from bot.names import ActionId, IntentName
from bot.ownership import OWNER, owner_of
from bot.scheduler.clock import FixedClock
from bot.scheduler.due import Defaults
from bot.scheduler.settings import PromptSettings
from knowledge.registry import Knowledge
from storage import audit, people
from storage.db import SessionFactory
from tests.test_reflections import NoRetriever
from tests.test_schedule_support import ScriptedComposer, add_person, link, setting, utc

ADA = UserRef(platform="slack", workspace_id="T1", user_id="UADA", display_name="Ada",
              timezone="America/New_York")
NOW = utc(2025, 10, 22, 12)  # a Wednesday


def _coach(sessions: SessionFactory, knowledge: Knowledge) -> Coach:
    service = PromptSettings(sessions=sessions, clock=FixedClock(NOW), defaults=Defaults())
    directory = Directory(sessions=sessions, standard_ref="ST1398", today=lambda: NOW.date())
    return Coach(knowledge=knowledge, retriever=NoRetriever(), composer=ScriptedComposer([]),
                 handlers=prompt_handlers(directory, service))


def _person_id(sessions: SessionFactory, user: UserRef = ADA) -> int:
    with sessions() as session:
        person = people.find_person(session, platform=user.platform,
                                    workspace_id=user.workspace_id, user_id=user.user_id)
        assert person is not None and person.id is not None
        return person.id


async def test_change_day_and_time_in_chat(sessions: SessionFactory, knowledge: Knowledge) -> None:
    coach = _coach(sessions, knowledge)
    reply = await coach.handle(Incoming(user=ADA, text="prompts thursday 4:30pm"))
    row = setting(sessions, _person_id(sessions))
    assert row is not None and (row.weekday, row.local_time, row.enabled) == (3, time(16, 30), True)
    assert reply.intent == IntentName.PROMPT_SETTINGS
    assert "every Thursday at 16:30 (America/New_York)" in reply.text
    assert "Next: Thursday 23 October at 16:30" in reply.text


async def test_off_and_on_again(sessions: SessionFactory, knowledge: Knowledge) -> None:
    coach = _coach(sessions, knowledge)
    off = await coach.handle(Incoming(user=ADA, text="prompts off"))
    assert "off" in off.text and not setting(sessions, _person_id(sessions)).enabled  # type: ignore[union-attr]
    assert [a.label for a in off.actions][0] == "Turn prompts on"
    on = await coach.handle(Incoming(user=ADA, action=off.actions[0].action,
                                     payload=off.actions[0].payload))
    assert "every Friday at 15:00" in on.text
    assert setting(sessions, _person_id(sessions)).enabled  # type: ignore[union-attr]


async def test_app_home_asks_with_empty_text(sessions: SessionFactory, knowledge: Knowledge) -> None:
    coach = _coach(sessions, knowledge)
    reply = await coach.handle(Incoming(user=ADA, action=IntentName.PROMPT_SETTINGS,
                                        payload={"text": ""}))
    assert "every Friday at 15:00 (America/New_York). Next: Friday 24 October" in reply.text
    assert setting(sessions, _person_id(sessions)) is None  # reading changes nothing
    assert {a.label for a in reply.actions} == {"Turn prompts off", "Fridays 3pm", "Mondays 9am"}


async def test_managers_set_their_nudge(sessions: SessionFactory, knowledge: Knowledge) -> None:
    boss = add_person(sessions, "UBOSS", role="manager")
    link(sessions, boss, [add_person(sessions, "UAPP")])
    coach = _coach(sessions, knowledge)
    user = UserRef(platform="slack", workspace_id="T1", user_id="UBOSS")
    shown = await coach.handle(Incoming(user=user, action=IntentName.PROMPT_SETTINGS))
    assert "manager summary: every Monday at 09:00" in shown.text
    await coach.handle(Incoming(user=user, text="nudges tuesday 8am"))
    row = setting(sessions, boss)
    assert row is not None and (row.weekday, row.local_time) == (1, time(8))


async def test_snooze_holds_back_the_next_prompt(sessions: SessionFactory,
                                                  knowledge: Knowledge) -> None:
    reply = await _coach(sessions, knowledge).handle(
        Incoming(user=ADA, action=ActionId.PROMPT_SNOOZE,
                 payload={"week": "2025-W43", "ksb": "S24", OWNER: owner_of(ADA)}))  # as shown to her
    assert "Friday 24 October" in reply.text and "Friday 31 October" in reply.text
    row = setting(sessions, _person_id(sessions))
    assert row is not None and row.snoozed_until == date(2025, 10, 24)


async def test_skip_is_recorded(sessions: SessionFactory, knowledge: Knowledge) -> None:
    reply = await _coach(sessions, knowledge).handle(
        Incoming(user=ADA, action=ActionId.PROMPT_SKIP,
                 payload={"week": "2025-W43", "ksb": "S24", OWNER: owner_of(ADA)}))  # as shown to her
    assert "skipped" in reply.text and "Friday 24 October" in reply.text
    with sessions() as session:
        [event] = audit.events_by_action(session, action="prompt.skipped")
    assert event.subject_id == _person_id(sessions) and event.detail == {"week": "2025-W43",
                                                                         "ksb": "S24"}


async def test_a_question_about_the_setting_shows_it(sessions: SessionFactory, knowledge: Knowledge) -> None:
    coach = _coach(sessions, knowledge)
    await coach.handle(Incoming(user=ADA, text="prompts thursday 4:30pm"))
    for question in ("when does my weekly prompt come?", "what are my prompt settings", "are my prompts paused?",
                     "show my reminder settings"):
        reply = await coach.handle(Incoming(user=ADA, action=IntentName.PROMPT_SETTINGS, payload={"text": question}))
        assert "every Thursday at 16:30 (America/New_York)" in reply.text, question
        assert "didn't catch" not in reply.text, question
    await coach.handle(Incoming(user=ADA, text="prompts off"))
    paused = await coach.handle(Incoming(user=ADA, action=IntentName.PROMPT_SETTINGS,
                                         payload={"text": "are my prompts paused?"}))
    assert "reflection prompt: off" in paused.text


async def test_a_change_not_understood_says_so_and_changes_nothing(sessions: SessionFactory,
                                                                   knowledge: Knowledge) -> None:
    coach = _coach(sessions, knowledge)
    await coach.handle(Incoming(user=ADA, text="prompts thursday 4:30pm"))
    for unclear in ("prompts 9:75", "move my prompts to 25pm"):
        reply = await coach.handle(Incoming(user=ADA, action=IntentName.PROMPT_SETTINGS, payload={"text": unclear}))
        assert reply.text.startswith("I didn't catch a change there"), unclear
        assert "every Thursday at 16:30" in reply.text, unclear
    row = setting(sessions, _person_id(sessions))
    assert row is not None and (row.weekday, row.local_time) == (3, time(16, 30))
