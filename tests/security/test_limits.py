"""Limits everywhere: one length limit on every path, and a per-person rate limit."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp

from bot.adapters.slack.app import ADAPTER_KEY as SLACK_ADAPTER_KEY
from bot.limits import MAX_INPUT, PEOPLE_TRACKED, TurnLimiter
from bot.messages import Incoming, UserRef
from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach
from tests.conftest import make_settings
from tests.fakes import FakeBotConnector, FakeSlackAPI
from tests.test_slack_interactive import submission
from tests.test_slack_shortcut import shortcut
from tests.test_slack_support import TEAM, SlackHarness, message_event, signed, slack_settings
from tests.test_teams_endpoint import stored_entries
from tests.test_teams_support import TeamsHarness, card_actions, start

pytest_plugins = ["tests.test_teams_support", "tests.test_slack_support"]

TOO_LONG = "too long"
OVERSIZED = "I built a drift monitor for the churn model and wrote up how it works. " * 700  # ~50 KB


def saved_in_slack(slack: SlackHarness) -> list[str]:
    return [m["text"] for m in slack.posted() if "Saved your reflection" in json.dumps(m)]


async def test_an_oversized_slash_reflect_is_refused_and_not_saved(slack: SlackHarness) -> None:
    assert len(OVERSIZED) > MAX_INPUT
    await slack.command("/reflect", OVERSIZED)
    await slack.settle()
    said = json.dumps([c.params for c in slack.fake.calls])
    assert TOO_LONG in said
    assert saved_in_slack(slack) == []


async def test_an_oversized_reflection_modal_is_refused_and_not_saved(slack: SlackHarness) -> None:
    await slack.command("/reflect")
    await slack.settle()
    [opened] = slack.posted("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    status, body = await slack.interact(submission(view, text=OVERSIZED, day=date.today(), hours="1",
                                                   ksbs=[]))
    await slack.settle()
    assert status == 200
    assert saved_in_slack(slack) == []
    assert TOO_LONG in body + json.dumps([c.params for c in slack.fake.calls])


async def test_an_oversized_typed_message_is_refused_and_not_saved_slack(slack: SlackHarness) -> None:
    await slack.event(message_event("reflect: " + OVERSIZED))
    await slack.settle()
    assert saved_in_slack(slack) == []
    assert TOO_LONG in json.dumps([c.params for c in slack.fake.calls])


async def test_an_oversized_typed_message_is_refused_and_not_saved_teams(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("reflect: " + OVERSIZED))
    await teams.settle()
    assert stored_entries(teams) == []
    assert TOO_LONG in json.dumps(teams.fake.activities())


async def test_an_oversized_teams_card_submit_is_refused_and_not_saved(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("log a reflection"))
    form = next(c for c in teams.cards() if any(i.get("id") == "ksb_text" for i in c["body"]))
    [save] = card_actions(form)
    value = {**save["data"], "ksb_text": OVERSIZED * 6, "ksb_date": date.today().isoformat(), "ksb_hours": "2",
             "ksb_ksbs": "S24"}  # ~300 KB, as in the issue
    await teams.post(teams.activity("", value=value))
    await teams.settle()
    assert stored_entries(teams) == []
    assert TOO_LONG in json.dumps(teams.cards())


async def test_one_person_sending_too_fast_is_slowed_politely_and_others_are_not(
        tmp_path: Path, retriever: HybridRetriever, fake_connector: FakeBotConnector) -> None:
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True, turns_per_minute=3)
    harness = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        for n in range(5):
            await harness.post(harness.activity(f"reflect: day {n}: I retrained the churn model on new data"))
        await harness.post(harness.activity("reflect: I reviewed a feature pipeline for leakage",
                                            user_id="29:user2", aad_object_id="aad-2", conversation_id="conv2"))
        await harness.settle()
        assert len(stored_entries(harness)) == 3
        assert len(stored_entries(harness, "aad-2")) == 1
        assert "slow down" in json.dumps(harness.cards("conv1")).lower()
    finally:
        await harness.close()


def test_the_limiter_forgets_the_least_recent_person_past_its_bound() -> None:
    limiter = TurnLimiter(1, clock=lambda: 0.0)
    first, second = (Incoming(user=UserRef("slack", "T1", user)) for user in ("UFIRST", "USECOND"))
    assert limiter.allow(first) and limiter.allow(second)
    assert not limiter.allow(first)  # first is now the most recent of the two
    for n in range(PEOPLE_TRACKED - 1):
        limiter.allow(Incoming(user=UserRef("slack", "T1", f"U{n}")))
    assert not limiter.allow(first)  # still tracked: second went first
    assert limiter.allow(second)


async def test_an_oversized_card_through_universal_actions_is_refused_and_not_saved(teams: TeamsHarness) -> None:
    """The form's Save is an Action.Execute: an invoke, not a message, and refused the same way."""
    await teams.post(teams.activity("log a reflection"))
    form = next(c for c in teams.cards() if any(i.get("id") == "ksb_text" for i in c["body"]))
    [save] = card_actions(form)
    assert save["type"] == "Action.Execute"
    data = {**save["data"], "ksb_text": OVERSIZED, "ksb_date": date.today().isoformat(), "ksb_hours": "2",
            "ksb_ksbs": "S24"}
    status, body = await teams.post(teams.activity("", activity_type="invoke", value={
        "action": {"type": "Action.Execute", "verb": save["verb"], "data": data}, "trigger": "manual"}))
    await teams.settle()
    assert status == 200 and TOO_LONG in json.dumps(body) + json.dumps(teams.cards())
    assert stored_entries(teams) == []


async def test_an_oversized_message_saved_by_the_shortcut_is_refused_and_not_saved(slack: SlackHarness) -> None:
    await slack.interact(shortcut(OVERSIZED))
    await slack.settle()
    assert saved_in_slack(slack) == []
    assert TOO_LONG in json.dumps([c.params for c in slack.fake.calls])


async def test_eight_oversized_card_submits_hold_up_no_ones_slack_answer(
        tmp_path: Path, retriever: HybridRetriever, fake_connector: FakeBotConnector,
        fake_slack: FakeSlackAPI) -> None:
    """The issue's 86 s: eight 300 KB Teams submits at once, and a Slack question on the same server."""
    settings = slack_settings(tmp_path, fake_slack, teams_dev_unauthenticated=True)
    harness = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        await harness.post(harness.activity("log a reflection"))
        form = next(c for c in harness.cards() if any(i.get("id") == "ksb_text" for i in c["body"]))
        [save] = card_actions(form)
        value = {**save["data"], "ksb_text": OVERSIZED * 6, "ksb_date": date.today().isoformat(),
                 "ksb_hours": "2", "ksb_ksbs": "S24"}
        question = json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                               "event_id": "EvSlow1", "event_time": int(time.time()),
                               "event": message_event("what counts for S24?", user="U2", channel="D2")})

        async def ask_slack() -> int:
            headers = {"Content-Type": "application/json", **signed(question)}
            async with aiohttp.ClientSession() as http, \
                    http.post(harness.base + "/slack/events", data=question.encode(), headers=headers) as response:
                return response.status

        results = await asyncio.gather(ask_slack(), *(harness.post(harness.activity("", value=value))
                                                       for _ in range(8)))
        await harness.settle()
        await harness.app[SLACK_ADAPTER_KEY].drain(timeout=30)
        assert results[0] == 200 and all(status < 300 for status, _ in results[1:])
        assert stored_entries(harness) == []
        assert json.dumps(harness.cards()).count(TOO_LONG) >= 8
        answered = [c.params for c in fake_slack.calls if c.params.get("channel") == "D2"]
        assert "S24" in json.dumps(answered)
    finally:
        await harness.close()


async def test_an_oversized_string_nested_in_a_card_submit_is_refused_like_a_top_level_one(
        teams: TeamsHarness) -> None:
    """A card's data is the client's to shape: text inside a list, or a dict in a list, is text all the same."""
    await teams.post(teams.activity("log a reflection"))
    form = next(c for c in teams.cards() if any(i.get("id") == "ksb_text" for i in c["body"]))
    [save] = card_actions(form)
    fields = {"ksb_text": "I retrained the churn model on new data", "ksb_date": date.today().isoformat(),
              "ksb_hours": "2"}
    nested: list[Any] = [["S24", OVERSIZED], ["S24", {"note": [OVERSIZED]}]]
    for ksbs in nested:
        data = json.loads(json.dumps(save["data"]))
        data["ksb"]["p"]["ksbs"] = ksbs
        before = len(teams.cards())
        await teams.post(teams.activity("", value={**data, **fields}))
        await teams.settle()
        assert TOO_LONG in json.dumps(teams.cards()[before:])
    assert stored_entries(teams) == []
