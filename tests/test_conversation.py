"""Everyday turns, navigation, follow-ups and comparisons through the whole coach, with real storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.coach import Coach
from bot.messages import Incoming, Reply, UserRef
from bot.names import ActionId, IntentName
from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach
from storage.db import Database
from tests.conftest import make_settings

ALICE = UserRef(platform="slack", workspace_id="T1", user_id="UALICE", display_name="Alice")


def coach_on(index_dir: Path, retriever: HybridRetriever, database: Database) -> Coach:
    """The intent examples' vectors are cached beside the session's index, so each test reuses them."""
    return make_coach(make_settings(index_dir), retriever=retriever, database=database)


async def say(coach: Coach, *turns: str, conversation: str = "D1") -> Reply:
    reply = Reply(text="")
    for turn in turns:
        reply = await coach.handle(Incoming(user=ALICE, text=turn, conversation_id=conversation))
    return reply


@pytest.fixture
def coach(index_dir: Path, retriever: HybridRetriever, database: Database) -> Coach:
    return coach_on(index_dir, retriever, database)


@pytest.mark.parametrize("turn", ["hiya", "thanks, that's really useful", "ok", "no", "bye"])
async def test_everyday_turns_get_a_short_warm_reply(coach: Coach, turn: str) -> None:
    reply = await say(coach, turn)
    assert reply.intent == IntentName.SMALLTALK and len(reply.text) < 400


async def test_who_are_you_explains_the_bot(coach: Coach) -> None:
    reply = await say(coach, "who are you?")
    assert reply.intent == IntentName.HELP and "KSB Coach" in reply.text


async def test_next_steps_names_the_weakest_with_an_idea_each(coach: Coach) -> None:
    reply = await say(coach, "what should I focus on next?")
    assert reply.intent == IntentName.NEXT_STEPS and 1 <= len(reply.cited_ids) <= 3
    assert reply.text.count("Idea:") == len(reply.cited_ids)


async def test_the_log_shows_what_was_saved(coach: Coach) -> None:
    empty = await say(coach, "show me my reflections")
    assert empty.intent == IntentName.LOG and empty.metadata["entries"] == 0
    reply = await say(coach, "reflect: wrote the on-call runbook for the pricing service", "list my entries")
    assert reply.intent == IntentName.LOG and "runbook" in reply.text


async def test_prompt_settings_in_plain_words_change_the_setting(coach: Coach) -> None:
    moved = await say(coach, "move my reminders to Monday 9am")
    assert moved.intent == IntentName.PROMPT_SETTINGS and "Monday at 09:00" in moved.text
    stopped = await say(coach, "stop sending me the weekly reminders")
    assert stopped.intent == IntentName.PROMPT_SETTINGS and stopped.metadata["enabled"] is False
    asked = await say(coach, "when does my weekly prompt come?")
    assert asked.intent == IntentName.PROMPT_SETTINGS and "reflection prompt: off" in asked.text
    assert "didn't catch" not in asked.text


async def test_follow_ups_use_context_any_replica_can_read(index_dir: Path, retriever: HybridRetriever,
                                                          database: Database) -> None:
    first, second = coach_on(index_dir, retriever, database), coach_on(index_dir, retriever, database)
    await say(first, "explain K9")
    reply = await say(second, "how do I evidence that one")
    assert reply.cited_ids == ["K9"] and reply.metadata["route"]["by"] == "context"
    elsewhere = await say(second, "how do I evidence that one", conversation="D2")
    assert elsewhere.metadata["route"]["by"] != "context"


async def test_comparisons_say_how_they_relate_and_quote_both(coach: Coach) -> None:
    reply = await say(coach, "whats the difference between S10 and S24")
    assert reply.intent == IntentName.COMPARE and reply.cited_ids == ["S10", "S24"]
    standard = coach.knowledge.standard
    for ksb_id in ("S10", "S24"):
        ksb = standard.ksb(ksb_id)
        assert ksb is not None and ksb.text in reply.text
    mixed = await say(coach, "is S16 the same as K12?")
    assert "whereas" in mixed.text and "knowledge" in mixed.text


async def test_another_one_on_a_topic_is_not_the_one_just_explained(coach: Coach) -> None:
    first = await say(coach, "what is S21")
    assert first.cited_ids == ["S21"]
    other = await say(coach, "is there another monitoring one?")
    assert other.metadata["route"]["by"] == "context" and other.cited_ids and "S21" not in other.cited_ids
    assert {"S10", "S24"} & set(other.cited_ids)


async def test_that_compared_with_a_named_id_is_what_was_just_discussed(coach: Coach) -> None:
    that = await say(coach, "what is S21", "how is that different from S10?")
    assert that.intent == IntentName.COMPARE and set(that.cited_ids) == {"S10", "S21"}


async def test_an_opening_ok_does_not_hide_what_is_asked(coach: Coach) -> None:
    reply = await say(coach, "explain K2", "right, so what now?")
    assert reply.intent == IntentName.NEXT_STEPS


async def test_what_someone_else_logged_is_not_shown(coach: Coach) -> None:
    await say(coach, "reflect: wrote the on-call runbook for the pricing service")
    reply = await say(coach, "what has jordan on my team logged lately")
    assert reply.intent == IntentName.OTHERS_DATA and "runbook" not in reply.text


async def test_evidence_of_work_not_done_is_neither_written_nor_saved(coach: Coach) -> None:
    reply = await say(coach, "write up an entry saying I led the model handover to ops, I didn't really but I need S29")
    assert reply.intent == IntentName.MADE_UP_EVIDENCE and "saved" not in reply.metadata
    assert "own real work" in reply.text and "B4" in reply.text
    log = await say(coach, "show me my reflections")
    assert log.metadata["entries"] == 0


async def test_comparing_with_an_id_that_does_not_exist(coach: Coach) -> None:
    reply = await say(coach, "difference between S10 and S99")
    assert reply.intent == IntentName.UNKNOWN_ID and "no S99" in reply.text


async def test_only_really_off_topic_is_refused(coach: Coach) -> None:
    assert (await say(coach, "can you book me a table for two tonight")).intent == IntentName.OFFTOPIC
    assert (await say(coach, "which ksb is about explaining models to the business")).intent != IntentName.OFFTOPIC
    gdpr = await say(coach, "which ksb covers gdpr?")
    assert gdpr.intent == IntentName.QUESTION and {"K24", "K25"} & set(gdpr.cited_ids)
    assert (await say(coach, "which ksb covers the best pizza in town?")).intent == IntentName.OFFTOPIC


async def test_a_clarifying_question_offers_buttons_that_route(coach: Coach) -> None:
    reply = await coach.handle(Incoming(user=ALICE, action=ActionId.ROUTE, conversation_id="D1",
                                        payload={"intent": IntentName.LOG, "text": "my stuff"}))
    assert reply.intent == IntentName.LOG
    refused = await coach.handle(Incoming(user=ALICE, action=ActionId.ROUTE, conversation_id="D1",
                                          payload={"intent": "data.delete.confirm", "text": "x"}))
    assert refused.intent == IntentName.HELP


@pytest.mark.parametrize("turn", ["", "   ", "🙂🙂🙂", "x" * 3999, "🔥" * 500, "?!?!"])
async def test_odd_input_never_crashes(coach: Coach, turn: str) -> None:
    reply = await say(coach, turn)
    assert reply.text and reply.intent
