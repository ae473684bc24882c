"""POST /api/messages on the real server: answers, mentions, the reflection card, auth, late answers."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.teams.text import escape
from bot.intents import Intent
from bot.messages import Incoming, Reply
from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach
from storage import entries, people
from storage.db import open_database
from tests.conftest import make_settings
from tests.fakes import FakeBotConnector
from tests.test_teams_support import (
    TeamsHarness,
    card_actions,
    card_text,
    start,
)

pytest_plugins = ["tests.test_teams_support"]  # the `teams` and `fake_connector` fixtures

APP_ID = "6f0b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"


def stored_entries(harness: TeamsHarness, aad: str = "aad-1") -> list[str]:
    database = open_database(harness.settings.effective_database_url)
    try:
        with database.session() as session:
            person = people.find_person(session, platform="teams", workspace_id="tenant-1", user_id=aad)
            if person is None or person.id is None:
                return []
            return [e.text for e in entries.list_entries(session, person_id=person.id)]
    finally:
        database.dispose()


def mentioned(activity: dict[str, Any]) -> dict[str, Any]:
    """As Teams sends an @mention of the bot: the `<at>` text plus a mention entity naming the bot."""
    activity["entities"].append({"type": "mention", "text": "<at>KSB Coach</at>",
                                 "mentioned": {"id": "28:bot", "name": "KSB Coach"}})
    return activity


async def test_a_question_gets_a_card_quoting_the_ksb(teams: TeamsHarness) -> None:
    status, _ = await teams.post(teams.activity("what counts for S24?"))
    assert status in {200, 201}
    kinds = [a["type"] for a in teams.fake.activities("conv1")]
    assert kinds[0] == "typing" and kinds[-1] == "message"
    [card] = teams.cards("conv1")
    s24 = teams.coach.knowledge.standard.ksb("S24")
    assert s24 is not None
    shown = card_text(card)
    assert "**S24**" in shown and json.dumps(escape(s24.text), ensure_ascii=False)[1:-1] in shown
    assert "How could I evidence S24?" in [a["title"] for a in card_actions(card)]


async def test_a_channel_mention_is_stripped_and_answered_in_the_thread(teams: TeamsHarness) -> None:
    activity = mentioned(teams.activity("<at>KSB Coach</at> what does duty 4 involve?", conversation_type="channel",
                                        conversation_id="19:chan@thread.tacv2;messageid=1700"))
    status, _ = await teams.post(activity)
    assert status in {200, 201}
    calls = [c for c in teams.fake.calls if c.name in {"send_to_conversation", "reply_to_activity"}]
    assert [c.name for c in calls] == ["reply_to_activity"]  # no typing in channels; a threaded reply
    shown = card_text(teams.cards()[0])
    assert "duty 4" in shown.lower() and "KSB Coach" not in teams.cards()[0]["body"][0]["text"]


async def test_progress_asked_in_a_channel_goes_to_the_personal_chat(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("hello"))  # the 1:1 chat the bot can reach later
    teams.fake.clear()
    channel = "19:chan@thread.tacv2;messageid=1800"
    await teams.post(teams.activity("how am I doing?", conversation_type="channel", conversation_id=channel))
    await teams.settle()
    assert "1:1 chat" in card_text(teams.cards(channel)[0])
    assert any("coverage" in card_text(c).lower() or "KSB" in card_text(c) for c in teams.cards("conv1"))


async def test_a_reflection_started_in_a_group_chat_opens_its_form_in_private(teams: TeamsHarness) -> None:
    group = "19:group@thread.v2"
    await teams.post(mentioned(teams.activity("<at>KSB Coach</at> log a reflection", conversation_type="groupChat",
                                              conversation_id=group)))
    assert "1:1 chat" in card_text(teams.cards(group)[-1])  # no personal chat yet: asked to start one
    await teams.post(teams.activity("hello"))
    await teams.post(teams.activity("log a reflection", conversation_type="groupChat", conversation_id=group))
    await teams.settle()
    assert not any(i.get("id") == "ksb_text" for c in teams.cards(group) for i in c["body"])
    assert any(i.get("id") == "ksb_text" for c in teams.cards("conv1") for i in c["body"])


async def test_the_reflection_card_submit_stores_an_entry(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("log a reflection"))
    form = next(c for c in teams.cards() if any(i.get("id") == "ksb_text" for i in c["body"]))
    [save] = card_actions(form)
    text = "This week I set up Evidently drift dashboards for the credit model and alerts on PSI per feature."
    value = {**save["data"], "ksb_text": text, "ksb_date": date.today().isoformat(), "ksb_hours": "2",
             "ksb_ksbs": "S24"}
    status, _ = await teams.post(teams.activity("", value=value))  # Action.Submit arrives as a message
    assert status in {200, 201}
    assert stored_entries(teams) == [text]
    assert "S24" in card_text(teams.cards()[-1])


async def test_action_execute_saves_and_replaces_the_card(teams: TeamsHarness) -> None:
    text = "Today I wrote unit tests for the feature pipeline and reviewed a colleague's model card."
    data = {"ksb": {"a": "reflect.submit", "p": {}}, "ksb_text": text, "ksb_ksbs": ""}
    invoke = teams.activity("", activity_type="invoke",
                            value={"action": {"type": "Action.Execute", "verb": "reflect.submit", "data": data},
                                   "trigger": "manual"})
    status, body = await teams.post(invoke)
    assert status == 200 and body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive" and body["value"]["type"] == "AdaptiveCard"
    assert stored_entries(teams) == [text]


async def test_a_tag_click_updates_the_card_keeping_the_entry_its_citations_and_other_buttons(
        teams: TeamsHarness) -> None:
    text = ("This week I set up Evidently dashboards to monitor data drift and model drift on our churn "
            "model in production, and added alerts when the drift score passes a threshold.")
    data = {"ksb": {"a": "reflect.submit", "p": {}}, "ksb_text": text, "ksb_ksbs": ""}
    _, body = await teams.post(teams.activity("", activity_type="invoke", value={
        "action": {"type": "Action.Execute", "verb": "reflect.submit", "data": data}, "trigger": "manual"}))
    saved = body["value"]
    confirms = [a for a in card_actions(saved) if a.get("verb") == "tag.confirm"]
    assert len(confirms) >= 2  # at least two suggestions, so one stays after the click
    clicked, *others = confirms
    ksb = clicked["data"]["ksb"]["p"]["ksb"]
    status, body = await teams.post(teams.activity("", activity_type="invoke", value={
        "action": {"type": "Action.Execute", "verb": "tag.confirm", "data": clicked["data"]},
        "trigger": "manual"}))
    assert status == 200 and body["statusCode"] == 200
    card = body["value"]
    shown = card_text(card)
    assert f"Confirmed {ksb}" in shown and "This week I set up Evidently" in shown  # the acted-on tag, the entry
    left = {a["data"]["ksb"]["p"]["ksb"] for a in card_actions(card) if a.get("verb") == "tag.confirm"}
    assert ksb not in left and left == {a["data"]["ksb"]["p"]["ksb"] for a in others}
    standard = teams.coach.knowledge.standard
    for cited in (ksb, *left):  # the clicked and every remaining suggestion still quoted in the standard's words
        quote = standard.ksb(cited).text  # type: ignore[union-attr]
        assert escape(quote)[:60] in shown or quote[:60] in shown, cited


async def test_a_retried_activity_is_answered_once(teams: TeamsHarness) -> None:
    activity = teams.activity("what counts for K12?")
    await teams.post(activity)
    await teams.post(activity)
    assert len(teams.cards()) == 1


async def test_a_slow_answer_is_sent_proactively_after_the_turn(tmp_path: Path, retriever: HybridRetriever,
                                                                 fake_connector: FakeBotConnector) -> None:
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True, teams_reply_deadline=0.05)
    coach = make_coach(settings, retriever=retriever)
    release = asyncio.Event()

    async def slow(incoming: Incoming, intent: Intent) -> Reply:
        await release.wait()
        return Reply(text="Finally, the answer.")

    coach.add_handlers({"slow": slow})
    harness = await start(settings, coach, fake_connector)
    try:
        status, _ = await harness.post(harness.activity("", value={"ksb": {"a": "slow", "p": {}}}))
        assert status in {200, 201}  # the turn ended without the answer
        assert "Still working" in card_text(harness.cards()[-1])
        release.set()
        await harness.settle()
        assert "Finally, the answer." in card_text(harness.cards()[-1])
    finally:
        release.set()
        await harness.close()


async def test_without_an_app_id_it_warns_loudly(tmp_path: Path, retriever: HybridRetriever,
                                                 fake_connector: FakeBotConnector,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True)
    with caplog.at_level(logging.WARNING, logger="bot.adapters.teams.app"):
        harness = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    await harness.close()
    assert any("UNAUTHENTICATED" in r.getMessage() for r in caplog.records)


async def test_with_an_app_id_requests_without_a_valid_token_are_rejected(
        tmp_path: Path, retriever: HybridRetriever, fake_connector: FakeBotConnector) -> None:
    settings = make_settings(tmp_path, microsoft_app_id=APP_ID, microsoft_app_password="s3cret-Value-1")
    harness = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        activity = harness.activity("what counts for S24?")
        assert (await harness.post(activity))[0] == 401
        assert (await harness.post(activity, {"Authorization": "Bearer not-a-jwt"}))[0] == 401
        assert (await harness.post(activity, {"Authorization": "Basic eDp5"}))[0] == 401
        assert harness.fake.calls == []
        assert stored_entries(harness) == []
    finally:
        await harness.close()
