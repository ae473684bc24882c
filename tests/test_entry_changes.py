"""Reflections read their own hours and dates; tags change by text on any entry, authorized and audited."""

from __future__ import annotations

import io
from datetime import date

import pytest

from bot.adapters.console import ConsoleChat
from bot.coach import Coach
from bot.coaching.directory import Directory
from bot.conversation.context_store import ContextStore
from bot.handlers import storage_handlers
from bot.messages import Incoming, Reply, UserRef
from bot.names import ActionId
from bot.ports import TagSuggestion
from knowledge.registry import Knowledge
from storage import audit, entries, people
from storage.db import SessionFactory
from tests.fakes.keyword_tagger import FixedTagger, KeywordTagger, ScriptedComposer
from tests.test_reflections import NoRetriever, entry_and_tags

THURSDAY = date(2026, 12, 3)
ALICE = UserRef(platform="console", workspace_id="local", user_id="alice")
BOB = UserRef(platform="console", workspace_id="local", user_id="bob")
DRIFT = "set up Evidently dashboards for drift monitoring of the fraud model and wrote the runbook"


@pytest.fixture
def coach(sessions: SessionFactory, knowledge: Knowledge) -> Coach:
    handlers = storage_handlers(session_factory=sessions, knowledge=knowledge, tagger=KeywordTagger(knowledge),
                                composer=ScriptedComposer(), today=lambda: THURSDAY, working_day=7.5)
    return Coach(knowledge=knowledge, retriever=NoRetriever(), composer=ScriptedComposer(), handlers=handlers)


async def say(coach: Coach, text: str, user: UserRef = ALICE) -> Reply:
    return await coach.handle(Incoming(user=user, text=text))


def entry_row(sessions: SessionFactory, entry_id: int) -> tuple[date, float, dict[str, str]]:
    entry, found = entry_and_tags(sessions, entry_id)
    return entry.work_date, entry.otj_hours, found


def count_entries(sessions: SessionFactory, user: UserRef = ALICE) -> int:
    with sessions() as session:
        person = people.find_person(session, platform=user.platform, workspace_id=user.workspace_id,
                                    user_id=user.user_id)
        return 0 if person is None else entries.count_entries(session, person_id=person.id or 0)


@pytest.mark.parametrize(("text", "day", "hours"), [
    ("reflect: last Tuesday I " + DRIFT + ", 3h off the job", "2026-12-01", 3.0),
    ("reflect: yesterday, 90 mins pairing on the feature store tests", "2026-12-02", 1.5),
    ("reflect: two days ago, half a day on " + DRIFT, "2026-12-01", 3.75),
    ("reflect: on 28 Nov I " + DRIFT + " - no OTJ time", "2026-11-28", 0.0),
    ("reflect: a full day at the provider on deep learning", "2026-12-03", 7.5),
])
async def test_a_reflection_is_saved_with_the_date_and_hours_it_states(
        coach: Coach, sessions: SessionFactory, text: str, day: str, hours: float) -> None:
    reply = await say(coach, text)
    saved = reply.metadata["saved"]
    assert saved["date"] == day and saved["hours"] == hours
    assert entry_row(sessions, saved["entry_id"])[:2] == (date.fromisoformat(day), hours)
    assert f"{day} ({hours:g} h" in reply.text  # the shape score_chat.py reads
    assert "change hours to 2" in reply.text


async def test_form_fields_win_over_the_words(coach: Coach) -> None:
    reply = await coach.handle(Incoming(user=ALICE, action=ActionId.REFLECT_SUBMIT, payload={
        "text": "yesterday, 3h on " + DRIFT, "date": "2026-11-20", "hours": "1"}))
    assert reply.metadata["saved"]["date"] == "2026-11-20" and reply.metadata["saved"]["hours"] == 1.0
    assert "Read from your words" not in reply.text


@pytest.mark.parametrize("text", [
    "reflect: tomorrow I will present the drift dashboards to the ops team",
    "reflect: worked 30 hours on the warehouse migration",
])
async def test_a_future_date_or_too_many_hours_is_queried_not_stored(
        coach: Coach, sessions: SessionFactory, text: str) -> None:
    reply = await say(coach, text)
    assert reply.metadata.get("saved") is False and "haven't saved" in reply.text
    assert text.removeprefix("reflect: ") in reply.text and reply.form is not None
    assert count_entries(sessions) == 0


async def test_corrections_change_the_latest_entry_and_are_audited(coach: Coach, sessions: SessionFactory) -> None:
    saved = (await say(coach, "reflect: yesterday, 3h on " + DRIFT)).metadata["saved"]
    hours = await say(coach, "change hours to 2")
    assert hours.intent == "reflect" and hours.metadata["saved"]["hours"] == 2.0
    day = await say(coach, "change the date to 28 Nov")
    assert day.metadata["saved"] == {"entry_id": saved["entry_id"], "date": "2026-11-28", "hours": 2.0}
    assert "2026-11-28 (2 h" in day.text
    assert entry_row(sessions, saved["entry_id"])[:2] == (date(2026, 11, 28), 2.0)
    for bad in ("change date to next friday", "change hours to 40", "change hours to lots"):
        reply = await say(coach, bad)
        assert "saved" not in reply.metadata and len(reply.text.splitlines()) == 1
    assert entry_row(sessions, saved["entry_id"])[:2] == (date(2026, 11, 28), 2.0)
    with sessions() as session:
        done = audit.events_by_action(session, action="entry.corrected")
    assert [e.detail for e in done] == [{"hours": 2.0}, {"date": "2026-11-28"}]


async def test_hours_given_to_an_entry_without_a_change_verb(coach: Coach, sessions: SessionFactory) -> None:
    saved = (await say(coach, "reflect: " + DRIFT)).metadata["saved"]
    given = await say(coach, "ok put 90 mins on that")
    assert given.intent == "reflect" and given.metadata["saved"]["hours"] == 1.5
    again = await say(coach, "actually make it an hour and a half")  # not a command: no verb first
    assert "saved" not in again.metadata
    assert (await say(coach, "it took 45 minutes")).metadata["saved"]["hours"] == 0.75
    assert entry_row(sessions, saved["entry_id"])[1] == 0.75


async def test_typed_tag_commands_act_on_the_latest_entry(coach: Coach, sessions: SessionFactory) -> None:
    await say(coach, "reflect: " + DRIFT + " last week")
    entry_id = (await say(coach, "reflect: " + DRIFT)).metadata["entry_id"]
    assert entry_row(sessions, entry_id)[2] == {"S24": "suggested", "S10": "suggested", "S28": "suggested"}

    confirm = await say(coach, "confirm S24")
    assert confirm.intent == "tags" and "Confirmed S24" in confirm.text and f"#{entry_id}" in confirm.text
    assert [c.id for c in confirm.citations] == ["S24"]
    assert [(a.action, a.payload["ksb"]) for a in confirm.actions] == [
        (ActionId.TAG_CONFIRM, "S10"), (ActionId.TAG_REMOVE, "S10"),
        (ActionId.TAG_CONFIRM, "S28"), (ActionId.TAG_REMOVE, "S28")]
    removed = await say(coach, "take S10 off that one")
    assert "Removed S10" in removed.text and removed.metadata["pending"] == ["S28"]
    added = await say(coach, "tag that with K1 too")
    assert "Added K1" in added.text
    await say(coach, "add K25 to that entry")
    await say(coach, "remove K25 from my last reflection")
    everything = await say(coach, "confirm all")
    assert "Confirmed S28" in everything.text and everything.actions == []
    assert entry_row(sessions, entry_id)[2] == {"S24": "confirmed", "S10": "removed", "S28": "confirmed",
                                                "K1": "confirmed", "K25": "removed"}
    nothing = await say(coach, "confirm all")
    assert "Nothing on entry" in nothing.text
    with sessions() as session:
        trail = [(e.action, e.detail["ksb"]) for e in audit.events_for(session, person_id=1)
                 if e.action.startswith("tag.")]
    assert trail == [("tag.confirmed", "S24"), ("tag.removed", "S10"), ("tag.confirmed", "K1"),
                     ("tag.confirmed", "K25"), ("tag.removed", "K25"), ("tag.confirmed", "S28")]


async def test_a_named_entry_is_tagged_not_the_latest(coach: Coach, sessions: SessionFactory) -> None:
    first = (await say(coach, "reflect: " + DRIFT)).metadata["entry_id"]
    latest = (await say(coach, "reflect: wrote unit tests for the scoring service")).metadata["entry_id"]
    reply = await say(coach, f"tag entry {first} with S10 and B1")
    assert reply.intent == "tags"
    assert entry_row(sessions, first)[2]["B1"] == "confirmed" and "B1" not in entry_row(sessions, latest)[2]


async def test_bad_tag_commands_explain_in_one_line_and_change_nothing(
        coach: Coach, sessions: SessionFactory) -> None:
    nothing_yet = await say(coach, "confirm S5")
    assert "haven't logged" in nothing_yet.text
    mine = (await say(coach, "reflect: " + DRIFT)).metadata["entry_id"]
    theirs = (await say(coach, "reflect: " + DRIFT, user=BOB)).metadata["entry_id"]
    before = entry_row(sessions, mine)[2], entry_row(sessions, theirs)[2]
    problems = [await say(coach, text) for text in (
        "confirm S24 and S99",            # an id the standard does not have: nothing changes, not even S24
        f"tag entry {theirs} with S10",   # someone else's entry
        "tag entry 4040 with S10",        # no such entry
        "remove B4 from that one",        # not on the entry
    )]
    for reply in problems:
        assert reply.intent in {"tags", "forbidden"} and len(reply.text.splitlines()) == 1
    assert "S99" in problems[0].text and "only" in problems[1].text and "#4040" in problems[2].text
    assert "wasn't on entry" in problems[3].text
    assert (entry_row(sessions, mine)[2], entry_row(sessions, theirs)[2]) == before
    with sessions() as session:
        assert audit.events_by_action(session, action="tag.confirmed") == []


async def test_every_suggestion_stays_actionable_after_a_click(coach: Coach, sessions: SessionFactory) -> None:
    saved = await say(coach, "reflect: " + DRIFT)
    entry_id = saved.metadata["entry_id"]
    reply = saved
    while reply.actions:
        first = reply.actions[0]
        reply = await coach.handle(Incoming(user=ALICE, action=first.action, payload=first.payload))
        assert reply.intent == ActionId.TAG_CONFIRM and reply.metadata["changed"] == [first.payload["ksb"]]
    assert entry_row(sessions, entry_id)[2] == {"S24": "confirmed", "S10": "confirmed", "S28": "confirmed"}


async def test_console_keeps_the_other_suggestions_pickable(coach: Coach, sessions: SessionFactory) -> None:
    script = io.StringIO(f"reflect: {DRIFT}\n1\n1\n2\n")
    out = io.StringIO()
    await ConsoleChat(coach=coach, user=ALICE, stdin=script, stdout=out).run()
    turns = out.getvalue().split("you> ")
    assert "[1] Confirm S24" in turns[1] and "[5] Confirm S28" in turns[1]
    assert "[1] Confirm S10" in turns[2] and "[3] Confirm S28" in turns[2]
    assert "[1] Confirm S28" in turns[3] and "[2] Remove S28" in turns[3]
    assert "Removed S28" in turns[4] and "[1]" not in turns[4]
    assert entry_row(sessions, 1)[2] == {"S24": "confirmed", "S10": "confirmed", "S28": "removed"}


async def test_an_id_the_tagger_suggests_from_the_words_is_shown_with_its_reason(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    named = FixedTagger([TagSuggestion("K28", 0.9, "you named K28")])
    handlers = storage_handlers(session_factory=sessions, knowledge=knowledge, tagger=named,
                                composer=ScriptedComposer(), today=lambda: THURSDAY)
    coach = Coach(knowledge=knowledge, retriever=NoRetriever(), composer=ScriptedComposer(), handlers=handlers)
    reply = await say(coach, "reflect: wrote up our retraining policy, I think this is K28")
    assert "• K28 — you named K28" in reply.text and [c.id for c in reply.citations] == ["K28"]
    assert [(a.action, a.payload["ksb"]) for a in reply.actions] == [(ActionId.TAG_CONFIRM, "K28"),
                                                                    (ActionId.TAG_REMOVE, "K28")]


async def test_a_tag_or_correction_turn_without_a_command_says_how(coach: Coach, sessions: SessionFactory) -> None:
    await say(coach, "reflect: " + DRIFT)
    before = entry_row(sessions, 1)
    tags_turn = await coach.handle(Incoming(user=ALICE, action="tags", payload={"text": "can you sort my tags"}))
    assert tags_turn.intent == "tags" and "confirm S5" in tags_turn.text
    edit_turn = await coach.handle(Incoming(user=ALICE, action="reflect_edit", payload={"text": "fix it"}))
    assert edit_turn.intent == "reflect" and "change hours to 2" in edit_turn.text
    assert entry_row(sessions, 1) == before


async def test_that_one_is_the_entry_this_conversation_last_dealt_with(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    memory = ContextStore(directory=Directory(sessions=sessions, standard_ref="ST1398", today=lambda: THURSDAY))
    handlers = storage_handlers(session_factory=sessions, knowledge=knowledge, tagger=KeywordTagger(knowledge),
                                composer=ScriptedComposer(), today=lambda: THURSDAY, memory=memory)
    coach = Coach(knowledge=knowledge, retriever=NoRetriever(), composer=ScriptedComposer(), handlers=handlers,
                  memory=memory)

    async def turn(text: str, conversation: str = "D1") -> Reply:
        return await coach.handle(Incoming(user=ALICE, text=text, conversation_id=conversation))

    first = (await turn("reflect: " + DRIFT)).metadata["entry_id"]
    latest = (await turn("reflect: wrote unit tests for the scoring service")).metadata["entry_id"]
    await turn(f"tag entry {first} with B1")
    that = await turn("take S10 off that one")
    assert that.metadata["entry_id"] == first and entry_row(sessions, first)[2]["S10"] == "removed"
    hours = await turn("change hours to 1.5")
    assert hours.metadata["saved"]["entry_id"] == first
    elsewhere = await turn("add K25 to that entry", conversation="D2")  # a new conversation: the latest entry
    assert elsewhere.metadata["entry_id"] == latest


async def test_console_asked_for_a_form_says_how_to_type_the_reflection(coach: Coach, sessions: SessionFactory) -> None:
    out = io.StringIO()
    await ConsoleChat(coach=coach, user=ALICE, stdin=io.StringIO("reflect\n"), stdout=out).run()
    answer = out.getvalue().split("you> ")[1]
    assert "reflect:" in answer and "form" not in answer.lower()
    assert count_entries(sessions) == 0
