"""Streaming through the real Slack and Teams servers: words as they come, the checked reply at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach
from tests.conftest import make_settings
from tests.fakes import Chunks, FakeBotConnector, FakeOpenAI, FakeSlackAPI, ToolCall, ToolCalls
from tests.test_slack_support import blocks_text, message_event, running_slack, slack_settings
from tests.test_teams_support import card_text, start

pytest_plugins = ["tests.test_slack_support", "tests.test_teams_support"]

PARTS = ("S24 asks you to ", "watch for data drift ", "and act on it.")


@pytest.fixture
async def model() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def llm(model: FakeOpenAI) -> dict[str, Any]:
    return {"openai_base_url": f"{model.url}/v1", "llm_timeout": 20.0}


async def test_slack_streams_the_answer_then_attaches_citations_and_buttons(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI, model: FakeOpenAI) -> None:
    settings = slack_settings(tmp_path, fake_slack, **llm(model))
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})), Chunks(PARTS))
    async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as slack:
        assert await slack.event(message_event("what counts for S24?", ts="1700000200.000100")) == 200
        await slack.settle()
    [start_call] = fake_slack.calls_to("chat.startStream")
    assert start_call.params["markdown_text"] == PARTS[0]
    assert start_call.params["thread_ts"] == "1700000200.000100" and start_call.params["recipient_user_id"]
    appended = "".join(c.params["markdown_text"] for c in fake_slack.calls_to("chat.appendStream"))
    assert PARTS[0] + appended == "".join(PARTS)
    [stop] = fake_slack.calls_to("chat.stopStream")
    assert "*S24*" in blocks_text(stop.params["blocks"]) and "How could I evidence S24?" in str(stop.params["blocks"])
    assert fake_slack.calls_to("chat.postMessage") == [] and fake_slack.calls_to("chat.update") == []


async def test_slack_replaces_a_streamed_answer_that_fails_the_id_check(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI, model: FakeOpenAI) -> None:
    settings = slack_settings(tmp_path, fake_slack, **llm(model))
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})),
                 Chunks(("S24 and ", "S31 are ", "what you need.")))
    async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as slack:
        assert await slack.event(message_event("what counts for S24?")) == 200
        await slack.settle()
    assert len(fake_slack.calls_to("chat.startStream")) == 1
    [stop] = fake_slack.calls_to("chat.stopStream")
    assert "blocks" not in stop.params
    [update] = fake_slack.calls_to("chat.update")
    shown = blocks_text(update.params["blocks"])
    assert "*S24*" in shown and "what you need" not in shown and "S31" not in shown


async def test_slack_splits_an_answer_longer_than_one_message(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI, model: FakeOpenAI) -> None:
    settings = slack_settings(tmp_path, fake_slack, **llm(model))
    long = tuple(f"Paragraph {n} about S24 and drift monitoring. " * 12 + "\n\n" for n in range(14))
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})), Chunks(long))
    async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as slack:
        assert await slack.event(message_event("tell me everything about S24")) == 200
        await slack.settle()
    streamed = fake_slack.calls_to("chat.startStream")[0].params["markdown_text"] + "".join(
        c.params["markdown_text"] for c in fake_slack.calls_to("chat.appendStream"))
    assert len(streamed) <= 3000 + len(long[0])  # streaming stops at one section's worth
    [update] = fake_slack.calls_to("chat.update")
    rest = fake_slack.calls_to("chat.postMessage")
    shown = blocks_text(update.params["blocks"]) + "".join(blocks_text(c.params["blocks"]) for c in rest)
    assert all(f"Paragraph {n} " in shown for n in range(14))  # complete, across several messages
    assert len(update.params["blocks"]) <= 50 and all(len(c.params["blocks"]) <= 50 for c in rest)


async def test_slack_channel_mentions_do_not_stream(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI, model: FakeOpenAI) -> None:
    settings = slack_settings(tmp_path, fake_slack, **llm(model))
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})), Chunks(PARTS))
    async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as slack:
        event = {"type": "app_mention", "channel": "C1", "channel_type": "channel", "user": "U1",
                 "text": "<@UBOT> what counts for S24?", "ts": "1700000300.000100", "team": "T1"}
        assert await slack.event(event) == 200
        await slack.settle()
    assert fake_slack.calls_to("chat.startStream") == []
    [post] = fake_slack.calls_to("chat.postMessage")
    assert "watch for data drift" in blocks_text(post.params["blocks"])


async def test_teams_streams_in_a_one_to_one_chat_and_ends_with_the_card(
        retriever: HybridRetriever, tmp_path: Path, fake_connector: FakeBotConnector, model: FakeOpenAI) -> None:
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True, **llm(model))
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})), Chunks(PARTS))
    teams = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        status, _ = await teams.post(teams.activity("what counts for S24?"))
        await teams.settle()
    finally:
        await teams.close()
    assert status in {200, 201}
    sent = fake_connector.activities("conv1")
    streaming = [a for a in sent if any(e.get("type") == "streaminfo" for e in a.get("entities") or [])]
    kinds = [next(e for e in a["entities"] if e["type"] == "streaminfo")["streamType"] for a in streaming]
    assert kinds[0] == "informative" and "streaming" in kinds and kinds[-1] == "final"
    first_words = next(a for a in streaming if a["entities"][0]["streamType"] == "streaming")
    assert first_words["type"] == "typing" and first_words["text"] == PARTS[0]
    stream_ids = {e.get("streamId") for a in streaming[1:] for e in a["entities"] if e["type"] == "streaminfo"}
    assert len(stream_ids) == 1 and None not in stream_ids
    final = streaming[-1]
    [final_info] = [e for e in final["entities"] if e["type"] == "streaminfo"]
    assert final["type"] == "message" and final_info["streamId"] in stream_ids
    assert "streamSequence" not in final_info  # Microsoft: the final message carries no sequence number
    assert final["text"] == "".join(PARTS)  # the final message carries the (checked) answer as its text
    card = final["attachments"][0]["content"]
    assert "watch for data drift" not in card_text(card)  # not twice: the card holds citations and buttons
    assert "S24" in card_text(card) and "How could I evidence S24?" in str(card)
    assert streaming.index(final) == len(streaming) - 1 and len([a for a in sent if a["type"] == "message"]) == 1


async def test_teams_replaces_streamed_words_that_fail_the_check_in_the_final_text(
        retriever: HybridRetriever, tmp_path: Path, fake_connector: FakeBotConnector, model: FakeOpenAI) -> None:
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True, **llm(model))
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})),
                 Chunks(("S24 and ", "S31 are ", "what you need.")))
    teams = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        await teams.post(teams.activity("what counts for S24?"))
        await teams.settle()
    finally:
        await teams.close()
    [final] = [a for a in fake_connector.activities("conv1") if a["type"] == "message"]
    assert final["entities"][-1]["streamType"] == "final"
    assert "S31" not in final["text"] and "S24" in final["text"]  # the offline answer replaced the words
    assert final["text"] != "S24 and S31 are what you need."


async def test_teams_out_of_time_mid_stream_ends_the_stream_then_answers_proactively(
        retriever: HybridRetriever, tmp_path: Path, fake_connector: FakeBotConnector, model: FakeOpenAI) -> None:
    import asyncio

    settings = make_settings(tmp_path, teams_dev_unauthenticated=True, teams_reply_deadline=6.0, **llm(model))
    gate = asyncio.Event()
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})), Chunks(PARTS, gate=gate))
    teams = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        await teams.post(teams.activity("what counts for S24?"))  # returns once the deadline has passed
        in_turn = fake_connector.activities("conv1")
        gate.set()  # the model finishes after the turn is over
        await teams.settle()
    finally:
        await teams.close()
    infos = [next((e for e in a.get("entities") or [] if e.get("type") == "streaminfo"), None) for a in in_turn]
    kinds = [i["streamType"] for i in infos if i]
    assert kinds[0] == "informative" and "streaming" in kinds and kinds[-1] == "final"
    ending = in_turn[[i is not None and i["streamType"] == "final" for i in infos].index(True)]
    assert ending["type"] == "message" and "Still working on that" in ending["text"]
    later = fake_connector.activities("conv1")[len(in_turn):]
    assert not any(e.get("type") == "streaminfo" for a in later for e in a.get("entities") or [])
    [answer] = [a for a in later if a["type"] == "message"]
    assert "watch for data drift" in card_text(answer["attachments"][0]["content"])


async def test_teams_group_chats_get_one_final_card(
        retriever: HybridRetriever, tmp_path: Path, fake_connector: FakeBotConnector, model: FakeOpenAI) -> None:
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True, **llm(model))
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})), Chunks(PARTS))
    teams = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        await teams.post(teams.activity("what counts for S24?", conversation_id="group1",
                                        conversation_type="groupChat"))
        await teams.settle()
    finally:
        await teams.close()
    sent = fake_connector.activities("group1")
    assert not any(e.get("type") == "streaminfo" for a in sent for e in a.get("entities") or [])
    assert [a["type"] for a in sent if a["type"] == "message"] == ["message"]


async def test_teams_streams_a_long_answer_within_the_message_size_and_ends_it_complete(
        retriever: HybridRetriever, tmp_path: Path, fake_connector: FakeBotConnector, model: FakeOpenAI) -> None:
    import json

    from bot.adapters.teams.stream import STREAM_BYTES

    settings = make_settings(tmp_path, teams_dev_unauthenticated=True, **llm(model))
    long = tuple(f"Paragraph {n} about S24 and drift monitoring. " * 12 + "\n\n" for n in range(45))
    model.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})), Chunks(long))
    teams = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        await teams.post(teams.activity("tell me everything about S24"))
        await teams.settle()
    finally:
        await teams.close()
    sent = fake_connector.activities("conv1")
    updates = [a for a in sent if a["type"] == "typing" and a.get("text")]
    assert updates and all(len(a["text"].encode()) <= STREAM_BYTES for a in updates)
    assert all(len(json.dumps(a).encode()) < 28_000 for a in sent)  # every message within Teams' size
    final, *rest = [a for a in sent if a["type"] == "message"]
    assert final["entities"][-1]["streamType"] == "final" and rest  # the rest follows as cards
    shown = final["text"] + "".join(card_text(a["attachments"][0]["content"]) for a in rest)
    assert all(f"Paragraph {n} " in shown for n in range(45))  # complete
