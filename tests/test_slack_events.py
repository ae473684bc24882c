"""Slack events over the real server: answered once, in the thread, only when Slack signed them."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import yaml

from bot.adapters.slack.blocks import FEEDBACK_BLOCK
from bot.adapters.slack.escape import escape
from bot.coach import Coach, starting_points
from bot.composers.grounded import GroundedComposer
from bot.ports import Composition
from bot.search.retrieval import HybridRetriever, Retrieval
from bot.wiring import make_coach
from knowledge.registry import Knowledge
from tests.fakes import FakeSlackAPI
from tests.test_slack_shortcut import MANIFEST
from tests.test_slack_support import (
    BOT_USER,
    SlackHarness,
    blocks_text,
    buttons,
    message_event,
    running_slack,
    slack_settings,
)

pytest_plugins = ["tests.test_slack_support"]  # the `slack` and `fake_slack` fixtures


async def test_dm_question_gets_one_threaded_answer_citing_the_ksb(slack: SlackHarness) -> None:
    event = message_event("what counts for S24?", ts="1700000100.000100")
    assert await slack.event(event) == 200
    await slack.settle()
    [post] = slack.posted()
    assert post["channel"] == "D1" and post["thread_ts"] == "1700000100.000100"
    shown = blocks_text(post["blocks"])
    s24 = slack.coach.knowledge.standard.ksb("S24")
    assert s24 is not None and "*S24*" in shown and json.dumps(escape(s24.text))[1:-1] in shown
    labels = [label for label, *_ in buttons(post["blocks"])]
    assert "How could I evidence S24?" in labels and any("Helpful" in label for label in labels)
    assert FEEDBACK_BLOCK in shown


async def test_a_retried_event_is_not_answered_twice(slack: SlackHarness) -> None:
    event = message_event("what does duty 4 involve?")
    assert await slack.event(event, event_id="EvRETRY1") == 200
    await slack.settle()
    assert await slack.event(event, event_id="EvRETRY1", retry=1) == 200
    assert await slack.event(event, event_id="EvRETRY1", retry=2) == 200
    await slack.settle()
    assert len(slack.posted()) == 1


async def test_a_retry_reaching_another_replica_is_not_answered_again(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI) -> None:
    settings = slack_settings(tmp_path, fake_slack)  # one database, two replicas (or one restarted)
    event = message_event("what counts for K12?")
    async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as first:
        assert await first.event(event, event_id="EvREPLICA") == 200
        await first.settle()
    async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as second:
        assert await second.event(event, event_id="EvREPLICA", retry=1) == 200
        await second.settle()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


async def test_forged_stale_and_missing_signatures_get_401_and_do_nothing(slack: SlackHarness) -> None:
    event = message_event("what counts for S24?")
    assert await slack.event(event, secret="not-the-signing-secret") == 401
    assert await slack.event(event, timestamp=int(time.time()) - 6 * 60) == 401
    assert await slack.event(event, sign=False) == 401
    status, _ = await slack.send(json.dumps({"type": "url_verification", "challenge": "x"}),
                                 content_type="application/json",
                                 headers={"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"},
                                 sign=False)
    assert status == 401
    await slack.settle()
    assert slack.fake.calls == []


async def test_url_verification_echoes_the_challenge(slack: SlackHarness) -> None:
    status, text = await slack.send(json.dumps({"type": "url_verification", "challenge": "c-123"}),
                                    content_type="application/json")
    assert status == 200 and "c-123" in text


async def test_the_bot_ignores_its_own_and_other_bots_messages(slack: SlackHarness) -> None:
    for event in (message_event("what counts for S24?", user=BOT_USER),
                  message_event("what counts for S24?", bot_id="BBOT", subtype="bot_message"),
                  message_event("what counts for S24?", bot_id="BOTHER"),
                  message_event("what counts for S24?", subtype="message_changed")):
        assert await slack.event(event) == 200
    await slack.settle()
    assert slack.posted() == []


async def test_a_mention_is_answered_in_the_channel_thread(slack: SlackHarness) -> None:
    event = {"type": "app_mention", "channel": "C9", "user": "U1", "ts": "1700000200.000200",
             "text": f"<@{BOT_USER}> what does duty 4 involve?", "team": "T1"}
    assert await slack.event(event) == 200
    await slack.settle()
    [post] = slack.posted()
    assert post["channel"] == "C9" and post["thread_ts"] == "1700000200.000200"
    assert "Duty 4" in blocks_text(post["blocks"]) and BOT_USER not in blocks_text(post["blocks"])


async def test_the_ai_app_thread_has_prompts_status_and_title(slack: SlackHarness) -> None:
    started = {"type": "assistant_thread_started",
               "assistant_thread": {"user_id": "U1", "channel_id": "D2", "thread_ts": "1700000300.000300",
                                    "context": {}},
               "event_ts": "1700000300.000301"}
    assert await slack.event(started) == 200
    await slack.settle()
    [prompts] = slack.posted("assistant.threads.setSuggestedPrompts")
    sent = prompts["prompts"]
    titles = [p["title"] for p in (json.loads(sent) if isinstance(sent, str) else sent)]
    assert titles == ["What counts for S24?", "Log a reflection", "How am I doing?"]
    assert slack.posted()[0]["thread_ts"] == "1700000300.000300"

    question = message_event("what counts for S24?", channel="D2", ts="1700000301.000100",
                             thread_ts="1700000300.000300")
    assert await slack.event(question) == 200
    await slack.settle()
    names = [c.name for c in slack.fake.calls]
    assert names.index("assistant.threads.setStatus") < len(names) - 1 - names[::-1].index("chat.postMessage")
    assert slack.posted("assistant.threads.setStatus")[0]["status"] == "is thinking…"
    assert slack.posted("assistant.threads.setTitle")[0]["title"] == "what counts for S24?"
    answer = slack.posted()[-1]
    assert answer["thread_ts"] == "1700000300.000300" and "S24" in blocks_text(answer["blocks"])


async def test_the_messages_tab_opens_an_agent_thread_once_and_answers_it_with_status(slack: SlackHarness) -> None:
    opened = {"type": "app_home_opened", "user": "U1", "channel": "D3", "tab": "messages",
              "event_ts": "1700000400.000400"}
    assert await slack.event(opened) == 200
    assert await slack.event(dict(opened, event_ts="1700000401.000401")) == 200  # opened again: no second welcome
    await slack.settle()
    [welcome] = slack.posted()
    assert welcome["channel"] == "D3" and "thread_ts" not in welcome and "KSB Coach" in welcome["text"]
    [prompts] = slack.posted("assistant.threads.setSuggestedPrompts")
    sent = prompts["prompts"]
    titles = [p["title"] for p in (json.loads(sent) if isinstance(sent, str) else sent)]
    assert titles == ["What counts for S24?", "Log a reflection", "How am I doing?"]
    thread = prompts["thread_ts"]
    assert prompts["channel_id"] == "D3" and thread

    question = message_event("what counts for S24?", channel="D3", ts="1700000402.000100", thread_ts=thread)
    assert await slack.event(question) == 200
    await slack.settle()
    [status] = slack.posted("assistant.threads.setStatus")
    loading = status["loading_messages"]
    assert status["status"] == "is thinking…" and status["thread_ts"] == thread
    assert (json.loads(loading) if isinstance(loading, str) else loading)[0] == "Reading your standard…"
    answer = slack.posted()[-1]
    assert answer["thread_ts"] == thread and "S24" in blocks_text(answer["blocks"])

    plain = message_event("what counts for S23?", channel="D3", ts="1700000403.000100")
    assert await slack.event(plain) == 200
    await slack.settle()
    assert len(slack.posted("assistant.threads.setStatus")) == 1  # a plain DM is not an agent thread


def test_the_manifest_offers_the_agent_view_and_keeps_the_assistant_view_for_older_clients() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    agent, legacy = manifest["features"]["agent_view"], manifest["features"]["assistant_view"]
    assert agent["agent_description"] and agent["suggested_prompts"] == legacy["suggested_prompts"]
    assert tuple(p["message"] for p in agent["suggested_prompts"]) == tuple(starting_points())
    assert {"app_home_opened", "message.im"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])


class GatedComposer:
    """The grounded composer behind a gate the test opens: a stand-in for a slow LLM."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()
        self._grounded = GroundedComposer()

    async def answer(self, *, question: str, retrieval: Retrieval, knowledge: Knowledge) -> Composition:
        self.waiting.set()
        await self.gate.wait()
        return await self._grounded.answer(question=question, retrieval=retrieval, knowledge=knowledge)

    async def complete(self, *, system: str, user: str) -> str | None:
        return None


async def test_the_ack_does_not_wait_for_a_slow_answer(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI) -> None:
    composer = GatedComposer()
    coach = Coach(knowledge=retriever.index.knowledge, retriever=retriever, composer=composer)
    async with running_slack(slack_settings(tmp_path, fake_slack), coach, fake_slack) as slack:
        assert await slack.event(message_event("what counts for S24?")) == 200
        await asyncio.wait_for(composer.waiting.wait(), 30)
        assert slack.posted() == []  # acked while the answer is still being composed
        composer.gate.set()
        await slack.settle()
        assert len(slack.posted()) == 1


async def test_a_slow_llm_still_gets_the_grounded_answer_out(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI) -> None:
    from tests.fakes import Delay, FakeOpenAI

    async with FakeOpenAI() as openai:
        openai.script(Delay(5.0, "{}"))
        settings = slack_settings(tmp_path, fake_slack, openai_base_url=f"{openai.url}/v1",
                                  openai_api_key="sk-test-0123456789", llm_timeout=0.3)
        async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as slack:
            assert await slack.event(message_event("what counts for S24?")) == 200
            await slack.settle()
    [post] = fake_slack.calls_to("chat.postMessage")
    assert "*S24*" in blocks_text(post.params["blocks"])


async def test_rate_limited_posts_are_retried_after_retry_after(slack: SlackHarness) -> None:
    slack.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    assert await slack.event(message_event("what counts for S24?")) == 200
    await slack.settle()
    calls: list[Any] = slack.fake.calls_to("chat.postMessage")
    assert len(calls) == 2 and calls[0].params == calls[1].params


class BrokenComposer:
    """A composer that fails with a detail the user must never see."""

    async def answer(self, *, question: str, retrieval: Retrieval, knowledge: Knowledge) -> Composition:
        raise RuntimeError("db password is hunter2")

    async def complete(self, *, system: str, user: str) -> str | None:
        return None


async def test_a_failure_reaches_the_user_as_a_short_friendly_message(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI) -> None:
    coach = Coach(knowledge=retriever.index.knowledge, retriever=retriever, composer=BrokenComposer())
    async with running_slack(slack_settings(tmp_path, fake_slack), coach, fake_slack) as slack:
        assert await slack.event(message_event("what counts for S24?")) == 200
        await slack.settle()
        [post] = slack.posted()
    shown = blocks_text(post["blocks"]) + post["text"]
    assert "something went wrong" in shown and "hunter2" not in shown and "RuntimeError" not in shown
